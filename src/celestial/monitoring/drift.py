"""Drift of a window of production records from the reference: the tests, and their calibration.

Every feature gets Evidently's own test (Kolmogorov-Smirnov for numbers, chi-square for
categories: the label mix, the format, the out-of-distribution flag) and the embedding the
distance between the two means. Evidently's defaults (p < 0.05 on each of a dozen tests) raise a
false alarm on many in-distribution windows; here the thresholds are calibrated instead, on
held-out images split at random into a reference and windows, so that at most `false_alarm` of
in-distribution windows see any drift at all.
"""

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from evidently.legacy.calculations.stattests.chisquare_stattest import chi_stat_test
from evidently.legacy.calculations.stattests.ks_stattest import ks_stat_test
from evidently.legacy.core import ColumnType
from evidently.legacy.metrics.data_drift.embedding_drift_methods import distance

from celestial.monitoring.records import CATEGORICAL, EMBEDDING, NUMERICAL

# Evidently's test for each feature: its name there, and the function itself.
TESTS = {
    **{column: ("ks", ks_stat_test, ColumnType.Numerical) for column in NUMERICAL},
    **{column: ("chisquare", chi_stat_test, ColumnType.Categorical) for column in CATEGORICAL},
}
MIN_EMBEDDINGS = 20  # fewer in a window, and its embedding is not compared
# Evidently's default significance: a calibrated threshold is never looser than it (a feature
# that never varies in held-out images would otherwise get a threshold of 1: any change drifts).
DEFAULT_P = 0.05


@dataclass(frozen=True)
class Thresholds:
    """Calibrated thresholds: a feature drifts when its p-value is below its threshold, the
    embedding when the distance of the means exceeds `embedding_distance` (at `embedding_count`
    embeddings; scaled for other counts)."""

    window: int  # records in the calibration windows
    min_records: int  # fewer, and a window is "not enough data"
    p_values: dict[str, float]
    embedding_distance: float
    embedding_count: int
    reference_embeddings: int
    false_alarm: dict[str, float]  # target, and as measured on fresh resamples

    def embedding_threshold(self, count: int) -> float:
        """The distance threshold for a window with `count` embeddings: the mean of n points
        wanders as sqrt(1/n + 1/N) from the reference's."""
        scale = (1 / count + 1 / self.reference_embeddings) / (
            1 / self.embedding_count + 1 / self.reference_embeddings
        )
        return self.embedding_distance * float(np.sqrt(scale))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> "Thresholds":
        return cls(**json.loads(path.read_text()))


def frame(records: Iterable[dict]) -> pd.DataFrame:
    """Records -> one row each: the features, categories as text, the embedding as a list."""
    table = pd.DataFrame.from_records(list(records))
    for column in CATEGORICAL:
        table[column] = table[column].astype(str)
    if EMBEDDING not in table:
        table[EMBEDDING] = None
    return table


def embeddings(table: pd.DataFrame) -> pd.DataFrame:
    """The embeddings a table's records carry, one column per dimension."""
    rows = [row for row in table[EMBEDDING] if isinstance(row, list)]
    return pd.DataFrame(rows, columns=[f"e{i}" for i in range(len(rows[0]))] if rows else None)


def statistics(reference: pd.DataFrame, window: pd.DataFrame) -> dict[str, float | None]:
    """Each feature's p-value, and the embedding distance (None with too few embeddings)."""
    found: dict[str, float | None] = {
        column: _p_value(test.func(reference[column], window[column], kind, DEFAULT_P)[0])
        for column, (_, test, kind) in TESTS.items()
    }
    current = embeddings(window)
    found[EMBEDDING] = None
    if len(current) >= MIN_EMBEDDINGS:
        found[EMBEDDING] = float(distance(threshold=np.inf)(current, embeddings(reference))[0])
    return found


def drifted(found: dict[str, float | None], thresholds: Thresholds, embedded: int) -> list[str]:
    """The features (and "embedding") whose statistic crosses its threshold."""
    names = [name for name, p in thresholds.p_values.items() if found[name] < p]
    score = found[EMBEDDING]
    if score is not None and score > thresholds.embedding_threshold(embedded):
        names.append(EMBEDDING)
    return names


def calibrate(
    held_out: pd.DataFrame,
    *,
    reference_size: int,
    window: int,
    min_records: int,
    embedding_share: float,
    false_alarm: float,
    resamples: int,
    seed: int,
) -> Thresholds:
    """Thresholds under which at most `false_alarm` of in-distribution windows see any drift.

    Each resample splits the held-out records at random into a reference of `reference_size`
    (as large as the real one) and the rest, and draws a window of `window` records from the rest
    with replacement, a share `embedding_share` of them with their embedding, as the service
    samples them: so the thresholds allow for the reference being a sample too, not only the
    window. Each test's statistic is turned into its rank among the resamples; the thresholds sit
    where the largest rank of a window exceeds them in `false_alarm` of windows. Half the
    resamples set them, the other half measure the false alarms they give.
    """
    if not 0 < reference_size < len(held_out):
        raise ValueError(f"a reference of {reference_size} leaves no window in {len(held_out)}")
    rng = np.random.default_rng(seed)
    embedded = max(MIN_EMBEDDINGS, round(window * embedding_share))
    scores = []
    for _ in range(resamples):
        order = rng.permutation(len(held_out))
        reference = held_out.iloc[order[:reference_size]]
        rest = held_out.iloc[order[reference_size:]]
        scores.append(_scores(statistics(reference, resample_window(rest, window, embedded, rng))))
    scores = np.array(scores)
    setting, checking = scores[: resamples // 2], scores[resamples // 2 :]
    # Each test's rank within the setting half; a window's alarm is its highest-ranked test.
    ranks = (setting[:, None, :] <= setting[None, :, :]).mean(axis=0)
    level = float(np.quantile(ranks.max(axis=1), 1 - false_alarm))
    cut = np.quantile(setting, level, axis=0)  # per test, in "higher is more drift" units
    cut[:-1] = np.maximum(cut[:-1], -np.log10(DEFAULT_P))
    names = [*TESTS, EMBEDDING]
    measured = float(np.mean((checking > cut).any(axis=1)))
    return Thresholds(
        window=window,
        min_records=min_records,
        p_values={name: float(10 ** -cut[i]) for i, name in enumerate(names[:-1])},
        embedding_distance=float(cut[-1]),
        embedding_count=embedded,
        reference_embeddings=round(reference_size * embeddings(held_out).shape[0] / len(held_out)),
        false_alarm={"target": false_alarm, "measured": round(measured, 4)},
    )


def resample_window(
    pool: pd.DataFrame, size: int, embedded: int, rng: np.random.Generator
) -> pd.DataFrame:
    """A resampled window whose first `embedded` records keep their embedding."""
    sample = pool.iloc[rng.integers(0, len(pool), size)].reset_index(drop=True)
    sample.loc[embedded:, EMBEDDING] = None
    return sample


def _p_value(value: float) -> float:
    """A test's p-value; one category on both sides leaves chi-square undefined: no evidence."""
    return 1.0 if np.isnan(value) else float(value)


def _scores(found: dict[str, float | None]) -> list[float]:
    """Statistics as "higher is more drift": -log10 of p-values, then the embedding distance."""
    return [-np.log10(max(found[name], 1e-300)) for name in TESTS] + [found[EMBEDDING]]
