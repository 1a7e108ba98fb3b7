import numpy as np
import pytest

from celestial.novelty import fit_novelty
from celestial.pipeline.leave_out import class_folds, distribution_points
from celestial.pipeline.metrics import novelty_auroc

rng = np.random.default_rng(0)
CENTRES = np.array([[0.0, 0.0, 0.0, 0.0], [6.0, 0.0, 0.0, 0.0], [0.0, 6.0, 0.0, 0.0]])


def clusters(per_class: int, spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian embeddings around three class centres, with a stretched last dimension."""
    targets = np.repeat(np.arange(len(CENTRES)), per_class)
    noise = rng.normal(size=(len(targets), 4)) * np.array([1, 1, 1, 4]) * spread
    return CENTRES[targets] + noise, targets


def test_known_points_score_low_and_far_points_high() -> None:
    embeddings, targets = clusters(300)
    scorer = fit_novelty(embeddings, targets, num_classes=3)
    nearest = scorer.scores(CENTRES)
    assert np.all(nearest < 0.3), "each class centre is (nearly) where its class is"
    known, _ = clusters(100)
    far = rng.normal(size=(100, 4)) + np.array([-8.0, -8.0, 0.0, 0.0])
    assert novelty_auroc(scorer.scores(known), scorer.scores(far)) > 0.99


def test_scores_are_mahalanobis_distances_to_the_nearest_centre() -> None:
    embeddings, targets = clusters(200)
    scorer = fit_novelty(embeddings, targets, num_classes=3)
    precisions, means = [], []
    for c in range(3):
        points = embeddings[targets == c]
        covariance = np.cov(points, rowvar=False, bias=True)
        covariance += 1e-3 * np.trace(covariance) / 4 * np.eye(4)
        precisions.append(np.linalg.inv(covariance))
        means.append(points.mean(axis=0))
    points = rng.normal(size=(20, 4)) * 5
    direct = [
        min(np.sqrt((p - m) @ q @ (p - m)) for m, q in zip(means, precisions, strict=True))
        for p in points
    ]
    assert np.allclose(scorer.scores(points), direct)


def test_distance_follows_each_class_own_spread() -> None:
    embeddings, targets = clusters(500)
    embeddings[targets == 1] = CENTRES[1] + (embeddings[targets == 1] - CENTRES[1]) * 0.25
    scorer = fit_novelty(embeddings, targets, num_classes=3)
    along_stretch, across = scorer.scores(np.array([[0, 0, 0, 4.0], [0, 0, 4.0, 0]]))
    assert along_stretch == pytest.approx(1.0, abs=0.15)  # one standard deviation (4) away
    assert across == pytest.approx(4.0, abs=0.5)  # four standard deviations (1) away
    # Class 1 is four times tighter: the same step away from it is four times as far.
    tight = scorer.scores(np.array([[6.0, 0, 1.0, 0]]))[0]
    assert tight == pytest.approx(4.0, abs=0.5)


def test_threshold_keeps_the_chosen_share_of_known_images() -> None:
    embeddings, targets = clusters(300)
    calibration, _ = clusters(300)
    scorer = fit_novelty(embeddings, targets, num_classes=3).calibrated(calibration, keep=0.95)
    assert np.mean(scorer.scores(calibration) <= scorer.threshold) == pytest.approx(0.95, abs=0.01)
    fresh, _ = clusters(1000)
    assert 0.92 < np.mean(scorer.scores(fresh) <= scorer.threshold) < 0.98


def test_dead_dimensions_do_not_break_the_covariance() -> None:
    embeddings, targets = clusters(50)
    embeddings[:, 2] = 0.0  # a ReLU unit that never fires
    scorer = fit_novelty(embeddings, targets, num_classes=3)
    scores = scorer.scores(embeddings)
    assert np.all(np.isfinite(scores))
    assert np.all(scores >= 0)


def test_uncalibrated_scorer_flags_nothing() -> None:
    embeddings, targets = clusters(20)
    assert fit_novelty(embeddings, targets, num_classes=3).threshold == float("inf")


def test_folds_cover_every_class_once_and_depend_on_the_seed() -> None:
    labels = [f"class{i}" for i in range(10)]
    folds = class_folds(labels, 3, seed=1)
    assert sorted(label for fold in folds for label in fold) == labels
    assert sorted(len(fold) for fold in folds) == [3, 3, 4]
    assert class_folds(labels, 3, seed=1) == folds
    assert class_folds(labels, 3, seed=2) != folds
    assert len(class_folds(["a", "b"], 3, seed=0)) == 2, "no empty folds"


def test_distribution_shares_sum_to_one() -> None:
    known, unknown = rng.uniform(0.1, 1.2, 200), rng.uniform(3, 1e4, 50)
    points = distribution_points(known, unknown)
    assert sum(p["known"] for p in points) == pytest.approx(1)
    assert sum(p["unknown"] for p in points) == pytest.approx(1)
    assert all(p["log10_novelty_over_threshold"] < 0.2 for p in points if p["known"] > 0)
