import numpy as np
import pytest

from celestial.pipeline.metrics import (
    classification_metrics,
    expected_calibration_error,
    novelty_auroc,
    reliability,
)


def test_classification_metrics() -> None:
    targets = np.array([0, 0, 1, 1])
    probabilities = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]])
    metrics = classification_metrics(targets, probabilities, ["cat", "dog"])
    assert metrics["accuracy"] == 0.75
    assert metrics["per_class"]["cat"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": 0.666667,
        "support": 2,
    }
    assert metrics["per_class"]["dog"]["precision"] == pytest.approx(0.666667)
    assert metrics["macro"]["f1"] == pytest.approx((2 / 3 + 0.8) / 2, abs=1e-6)


def test_a_class_never_predicted_counts_as_zero() -> None:
    metrics = classification_metrics(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]), "ab")
    assert metrics["per_class"]["b"]["f1"] == 0.0


def test_calibrated_predictions_have_zero_ece() -> None:
    # Confidence 0.75, right 3 times out of 4.
    targets = np.array([0, 0, 0, 1])
    probabilities = np.tile([0.75, 0.25], (4, 1))
    assert expected_calibration_error(targets, probabilities) == pytest.approx(0.0)


def test_overconfidence_is_the_gap() -> None:
    # Confidence 0.95 but right half the time: ECE 0.45.
    targets = np.array([0, 1, 0, 1])
    probabilities = np.tile([0.95, 0.05], (4, 1))
    assert expected_calibration_error(targets, probabilities) == pytest.approx(0.45)
    (only_bin,) = reliability(targets, probabilities)
    assert only_bin == pytest.approx({"confidence": 0.95, "accuracy": 0.5, "share": 1.0})


def test_auroc() -> None:
    assert novelty_auroc(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == 1.0
    assert novelty_auroc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 0.0
    assert novelty_auroc(np.array([1.0, 3.0]), np.array([2.0, 4.0])) == 0.75
