"""Figures of merit computed from true labels and predicted probabilities (pure functions)."""

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support


def classification_metrics(
    targets: np.ndarray, probabilities: np.ndarray, labels: Sequence[str]
) -> dict:
    """Accuracy, macro precision/recall/F1 and the same per class, rounded for diffs."""
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


def _round(value: float) -> float:
    return round(float(value), 6)
