"""Drift statistics and their calibration, on records drawn from known distributions."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from celestial.monitoring import drift
from celestial.monitoring.report import NOT_ENOUGH_DATA, parse_time, verdict

LABELS = ("Earth", "Mars", "Venus")


def records(count: int, rng: np.random.Generator, *, brightness: float = 0.2,
            labels: tuple[float, ...] = (1 / 3, 1 / 3, 1 / 3)) -> list[dict]:  # fmt: skip
    """Records of the shape the service writes, every one with an 8-dimensional embedding."""
    return [
        {
            "prediction": str(rng.choice(LABELS, p=labels)),
            "top_probability": float(rng.beta(20, 1)),
            "entropy": float(rng.exponential(0.05)),
            "novelty": float(rng.gamma(9, 1)),
            "in_distribution": bool(rng.random() < 0.95),
            "brightness": float(rng.normal(brightness, 0.03)),
            "contrast": float(rng.normal(0.15, 0.02)),
            "width": 128,
            "height": 128,
            "format": "JPEG",
            "embedding": rng.normal(0, 1, 8).round(3).tolist(),
        }
        for _ in range(count)
    ]


@pytest.fixture(scope="module")
def calibrated() -> tuple[pd.DataFrame, drift.Thresholds]:
    rng = np.random.default_rng(0)
    held_out = drift.frame(records(400, rng))
    thresholds = drift.calibrate(
        held_out, reference_size=200, window=100, min_records=50, embedding_share=0.5,
        false_alarm=0.05, resamples=400, seed=1,
    )  # fmt: skip
    return held_out.iloc[:200], thresholds


def test_statistics_are_evidentlys_tests() -> None:
    rng = np.random.default_rng(2)
    reference, window = drift.frame(records(200, rng)), drift.frame(records(80, rng))
    found = drift.statistics(reference, window)
    assert found["brightness"] == pytest.approx(
        ks_2samp(reference["brightness"], window["brightness"]).pvalue
    )
    assert found["format"] == 1.0, "one category on both sides: no evidence of drift"
    means = drift.embeddings(reference).mean(), drift.embeddings(window).mean()
    assert found["embedding"] == pytest.approx(np.linalg.norm(means[0] - means[1]))


def test_calibrated_thresholds_keep_false_alarms_to_the_target(calibrated) -> None:
    reference, thresholds = calibrated
    assert thresholds.false_alarm["measured"] <= 0.1  # 5 % set on half, measured on the other
    assert all(p <= drift.DEFAULT_P for p in thresholds.p_values.values())
    # Fresh windows from the same distributions: few alarms.
    rng = np.random.default_rng(3)
    alarms = [
        bool(drift.drifted(drift.statistics(reference, window := drift.frame(records(100, rng))),
                           thresholds, len(drift.embeddings(window))))
        for _ in range(60)
    ]  # fmt: skip
    assert sum(alarms) <= 6


@pytest.mark.parametrize(
    ("change", "feature"),
    [({"brightness": 0.12}, "brightness"), ({"labels": (0.8, 0.1, 0.1)}, "prediction")],
    ids=["darker", "label mix"],
)
def test_a_shift_is_found_in_its_feature(calibrated, change: dict, feature: str) -> None:
    reference, thresholds = calibrated
    window = drift.frame(records(100, np.random.default_rng(4), **change))
    found = drift.drifted(drift.statistics(reference, window), thresholds, 100)
    assert feature in found


def test_the_embedding_threshold_widens_for_fewer_embeddings(calibrated) -> None:
    _, thresholds = calibrated
    at = thresholds.embedding_count
    assert thresholds.embedding_threshold(at) == pytest.approx(thresholds.embedding_distance)
    assert thresholds.embedding_threshold(at // 2) > thresholds.embedding_distance


def test_too_few_records_are_not_enough_data(calibrated) -> None:
    reference, thresholds = calibrated
    result = verdict(reference, records(10, np.random.default_rng(5)), thresholds)
    assert result == {"records": 10, "min_records": 50, "status": NOT_ENOUGH_DATA}


def test_windows_are_ages_or_times() -> None:
    now = parse_time("2026-11-30T12:00:00+00:00")
    assert parse_time("24h", now=now).isoformat() == "2026-11-29T12:00:00+00:00"
    assert parse_time("2026-11-30T06:00").isoformat() == "2026-11-30T06:00:00+00:00"
    with pytest.raises(Exception, match="neither an age"):
        parse_time("yesterday")
