"""DVC stage `evaluate`: score the exported model on the test split, through the serving path.

The model is loaded from the .bentomodel archive with its stored preprocess and postprocess, as the
service loads it, so the figures describe what is served. Writes metrics (dvc metrics: accuracy,
macro and per-class F1, ECE, the share of test images the novelty threshold keeps) and plots (a
confusion matrix and a reliability diagram: accuracy against confidence, beside the ideal) into
paths.eval_reports.
"""

import logging

import numpy as np
from dvclive import Live

from celestial import cli
from celestial.inference import Classifier
from celestial.pipeline.dataset import load_arrays, read_split
from celestial.pipeline.metrics import classification_metrics, reliability
from celestial.pipeline.params import load_params
from celestial.store import import_export

log = logging.getLogger(__name__)


def main() -> None:
    params = load_params()
    bento_model = import_export(params.model_export)
    classifier = Classifier.from_store(bento_model)
    labels = classifier.postprocess.labels
    test = read_split(params.paths.split_file)["test"]
    images, targets = load_arrays(test, labels, classifier.preprocess)
    outputs = classifier.outputs(images)
    probabilities = outputs["probabilities"]
    predictions = classifier.postprocess(outputs)

    metrics = classification_metrics(targets, probabilities, labels)
    metrics["novelty"] = {
        "threshold": round(classifier.postprocess.novelty.threshold, 6),
        "test_kept": round(float(np.mean([p["in_distribution"] for p in predictions])), 6),
    }
    live = Live(str(params.paths.eval_reports), save_dvc_exp=False, dvcyaml=None)
    live.summary = metrics
    predicted = probabilities.argmax(axis=1)
    live.log_sklearn_plot(
        "confusion_matrix",
        [labels[i] for i in targets],
        [labels[i] for i in predicted],
        name="confusion_matrix.json",
    )
    live.log_plot(
        "reliability",
        [{**row, "ideal": row["confidence"]} for row in reliability(targets, probabilities)],
        x="confidence",
        y=["accuracy", "ideal"],
        template="linear",
        title="Reliability (test split; ECE in dvc metrics)",
    )
    live.make_summary()
    log.info(
        "%s: test accuracy %.4f, macro F1 %.4f, ECE %.4f on %d images",
        bento_model.tag,
        metrics["accuracy"],
        metrics["macro"]["f1"],
        metrics["ece"],
        len(targets),
    )


if __name__ == "__main__":
    cli.run(main)
