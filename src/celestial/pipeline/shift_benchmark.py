"""DVC stage `shift_benchmark`: the exported model on the test split changed in everyday ways.

For the clean test images and for each kind of shift in `shifts` (darker, brighter, lower
contrast, the body smaller, larger, off-centre, rotated, blurred, noisy, heavily compressed, low
resolution), each at a moderate severity drawn per image: the accuracy, the share flagged out of
distribution, and the silent errors (wrong and not flagged), through the model's stored preprocess
and postprocess as the service runs them. Writes metrics (dvc metrics) and a plot (dvc plots)
into shifts.reports.
"""

import logging

import numpy as np
from dvclive import Live

from celestial import cli
from celestial.imaging import open_image
from celestial.inference import Classifier
from celestial.pipeline.dataset import class_indices, read_split
from celestial.pipeline.params import load_params
from celestial.pipeline.shifts import KINDS, shifted_set
from celestial.store import import_export

log = logging.getLogger(__name__)


def score(classifier: Classifier, images: list, targets: np.ndarray) -> dict[str, float]:
    """Accuracy, share flagged out of distribution, and silent errors (wrong, not flagged)."""
    arrays = np.stack([classifier.preprocess(image) for image in images])
    predictions = classifier.postprocess(classifier.outputs(arrays))
    labels = classifier.postprocess.labels
    right = np.array([labels.index(p["prediction"]) for p in predictions]) == targets
    flagged = np.array([not p["in_distribution"] for p in predictions])
    return {
        "accuracy": round(float(right.mean()), 6),
        "flagged": round(float(flagged.mean()), 6),
        "silent_errors": round(float((~right & ~flagged).mean()), 6),
    }


def benchmark(classifier: Classifier, images: list, targets: np.ndarray, seed: int) -> dict:
    """The scores of the clean images and of each kind of shift, and their mean and worst."""
    kinds = {kind: score(classifier, shifted_set(images, kind, seed), targets) for kind in KINDS}
    accuracies = [scores["accuracy"] for scores in kinds.values()]
    return {
        "clean": score(classifier, images, targets),
        "shifted": {
            "mean_accuracy": round(float(np.mean(accuracies)), 6),
            "worst_accuracy": round(min(accuracies), 6),
            "worst_kind": KINDS[int(np.argmin(accuracies))],
            "mean_flagged": round(float(np.mean([s["flagged"] for s in kinds.values()])), 6),
            "mean_silent_errors": round(
                float(np.mean([s["silent_errors"] for s in kinds.values()])), 6
            ),
            "max_silent_errors": round(max(s["silent_errors"] for s in kinds.values()), 6),
        },
        "kinds": kinds,
    }


def main() -> None:
    params = load_params()
    classifier = Classifier.from_store(import_export(params.model_export))
    labels = classifier.postprocess.labels
    test = read_split(params.paths.split_file)["test"]
    images = [open_image(sample.path) for sample in test]
    targets = class_indices(test, labels)
    metrics = benchmark(classifier, images, targets, params.base.seed)

    live = Live(str(params.shifts.reports), save_dvc_exp=False, dvcyaml=None)
    live.summary = metrics
    rows = [{"kind": "clean", **metrics["clean"]}]
    rows += [{"kind": kind, **scores} for kind, scores in metrics["kinds"].items()]
    live.log_plot("shifts", rows, x="accuracy", y="kind", template="bar_horizontal",
                  title="Accuracy on the test split under everyday shifts")  # fmt: skip
    live.make_summary()
    log.info(
        "%d test images: clean accuracy %.3f; shifted: mean %.3f, worst %.3f (%s)",
        len(test),
        metrics["clean"]["accuracy"],
        metrics["shifted"]["mean_accuracy"],
        metrics["shifted"]["worst_accuracy"],
        metrics["shifted"]["worst_kind"],
    )


if __name__ == "__main__":
    cli.run(main)
