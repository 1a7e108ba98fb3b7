"""Figures of merit computed from true labels and predicted probabilities (pure functions)."""

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support, roc_auc_score

# Equal-width confidence bins for the expected calibration error and the reliability diagram.
CALIBRATION_BINS = 10


def classification_metrics(
    targets: np.ndarray, probabilities: np.ndarray, labels: Sequence[str]
) -> dict:
    """Accuracy, macro precision/recall/F1, ECE, and precision/recall/F1 per class."""
    predicted = probabilities.argmax(axis=1)
    every_class = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(
        targets, predicted, labels=every_class, zero_division=0
    )
    return {
        "accuracy": _round(accuracy_score(targets, predicted)),
        "macro": {
            "precision": _round(precision.mean()),
            "recall": _round(recall.mean()),
            "f1": _round(f1.mean()),
        },
        "ece": _round(expected_calibration_error(targets, probabilities)),
        "per_class": {
            label: {
                "precision": _round(precision[i]),
                "recall": _round(recall[i]),
                "f1": _round(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
    }


def reliability(targets: np.ndarray, probabilities: np.ndarray) -> list[dict]:
    """Per non-empty confidence bin: mean confidence, accuracy and share of the images.

    Confidence is the top-label probability. A calibrated model's accuracy equals its confidence.
    """
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == targets
    bins = np.minimum((confidence * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    return [
        {
            "confidence": float(confidence[bins == b].mean()),
            "accuracy": float(correct[bins == b].mean()),
            "share": float(np.mean(bins == b)),
        }
        for b in np.unique(bins)
    ]


def expected_calibration_error(targets: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean gap between confidence and accuracy over confidence bins, weighted by bin size."""
    bins = reliability(targets, probabilities)
    return float(sum(b["share"] * abs(b["accuracy"] - b["confidence"]) for b in bins))


def novelty_auroc(known: np.ndarray, unknown: np.ndarray) -> float:
    """Probability that an unknown image scores higher than a known one (1 = perfect)."""
    scores = np.concatenate([known, unknown])
    is_unknown = np.concatenate([np.zeros(len(known)), np.ones(len(unknown))])
    return float(roc_auc_score(is_unknown, scores))


def _round(value: float) -> float:
    return round(float(value), 6)
