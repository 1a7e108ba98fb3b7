"""DVC stage `leave_out`: how well novelty is flagged on real images of classes never trained on.

The classes are split into `leave_out.folds` seeded groups. For each group, a model is trained
exactly as the train stage trains one, on the other classes only; its novelty threshold is
calibrated the same way. Its novelty scores then have to separate the known classes' test images
from every image of the left-out classes. Reported per fold and overall (dvc metrics): the AUROC,
the share of unknown images flagged, and the share of known test images kept; and the score
distributions of known versus unknown images (dvc plots), in units of each fold's threshold.
"""

import logging
from collections.abc import Sequence

import numpy as np
from dvclive import Live

from celestial import cli
from celestial.pipeline.dataset import Sample, labels_of, read_split
from celestial.pipeline.metrics import novelty_auroc
from celestial.pipeline.params import Params, load_params
from celestial.pipeline.recipe import load_for_labels, train_classifier

log = logging.getLogger(__name__)

# The plotted range of log10(novelty / threshold): 0 is the threshold; unknown images score up to
# a hundred times it. Scores outside fall into the end bins.
PLOT_RANGE = (-1.0, 2.5)
PLOT_BINS = 35


def main() -> None:
    params = load_params()
    splits = read_split(params.paths.split_file)
    labels = labels_of(splits["train"])
    live = Live(str(params.paths.leave_out_reports), save_dvc_exp=False, dvcyaml=None)
    folds = [fold for fold in class_folds(labels, params.leave_out.folds, params.base.seed)
             if len(labels) - len(fold) >= 2]  # fmt: skip
    if not folds:
        live.summary = {"skipped": f"{len(labels)} classes: leaving some out leaves fewer than 2"}
        live.make_summary()
        log.warning("leave_out skipped: %s", live.summary["skipped"])
        return

    results, known_scores, unknown_scores = [], [], []
    for number, left_out in enumerate(folds, start=1):
        log.info("fold %d/%d: leaving out %s", number, len(folds), ", ".join(left_out))
        known, unknown = score_fold(splits, labels, left_out, params)
        results.append(fold_figures(left_out, known, unknown))
        known_scores.append(known)
        unknown_scores.append(unknown)
        log.info("fold %d: AUROC %.4f", number, results[-1]["auroc"])

    aurocs = [fold["auroc"] for fold in results]
    live.summary = {
        "auroc": round(float(np.mean(aurocs)), 6),
        "auroc_min": round(min(aurocs), 6),
        "unknown_flagged": round(float(np.mean([f["unknown_flagged"] for f in results])), 6),
        "known_kept": round(float(np.mean([f["known_kept"] for f in results])), 6),
        # Keyed by number: dvc metrics show drops lists.
        "folds": {str(number): fold for number, fold in enumerate(results, start=1)},
    }
    live.log_plot(
        "novelty_distribution",
        distribution_points(np.concatenate(known_scores), np.concatenate(unknown_scores)),
        x="log10_novelty_over_threshold",
        y=["known", "unknown"],
        template="linear",
        title="Novelty of known test images vs left-out classes (0 = threshold)",
        x_label="log10(novelty / threshold)",
        y_label="share of images",
    )
    live.make_summary()
    log.info("novelty AUROC %.4f (worst fold %.4f)", live.summary["auroc"], min(aurocs))


def class_folds(labels: Sequence[str], folds: int, seed: int) -> list[list[str]]:
    """The labels shuffled with the seed and cut into `folds` groups (empty groups dropped)."""
    shuffled = np.random.default_rng(seed).permutation(list(labels))
    return [sorted(group.tolist()) for group in np.array_split(shuffled, folds) if len(group)]


def score_fold(
    splits: dict[str, list[Sample]], labels: Sequence[str], left_out: list[str], params: Params
) -> tuple[np.ndarray, np.ndarray]:
    """Novelty / threshold for the known classes' test images and for every left-out image."""
    known_labels = tuple(label for label in labels if label not in left_out)
    trained = train_classifier(splits["train"], splits["val"], known_labels, params, verbose=0)
    novelty, preprocess = trained.postprocess.novelty, trained.preprocess
    classifier = trained.classifier()

    known_test, _ = load_for_labels(splits["test"], known_labels, preprocess)
    everything = [sample for split in splits.values() for sample in split]
    unknown, _ = load_for_labels(everything, left_out, preprocess)
    score = lambda images: novelty.scores(classifier.outputs(images)["embedding"])  # noqa: E731
    return score(known_test) / novelty.threshold, score(unknown) / novelty.threshold


def fold_figures(left_out: list[str], known: np.ndarray, unknown: np.ndarray) -> dict:
    return {
        "left_out": ", ".join(left_out),
        "auroc": round(novelty_auroc(known, unknown), 6),
        "unknown_flagged": round(float(np.mean(unknown > 1)), 6),
        "known_kept": round(float(np.mean(known <= 1)), 6),
    }


def distribution_points(known: np.ndarray, unknown: np.ndarray) -> list[dict]:
    """Histogram rows for dvc plots: the share of each group per bin of log10(novelty/threshold)."""
    edges = np.linspace(*PLOT_RANGE, PLOT_BINS + 1)

    def share(scores: np.ndarray) -> np.ndarray:
        logs = np.clip(np.log10(np.maximum(scores, 1e-12)), *PLOT_RANGE)
        return np.histogram(logs, edges)[0] / len(scores)

    centres = (edges[:-1] + edges[1:]) / 2
    return [
        {"log10_novelty_over_threshold": round(float(c), 3), "known": float(k), "unknown": float(u)}
        for c, k, u in zip(centres, share(known), share(unknown), strict=True)
    ]


if __name__ == "__main__":
    cli.run(main)
