"""`make drift-report`: has the traffic of a time window drifted from the reference?

    python -m celestial.monitoring.report [--since 24h | --since 2026-11-30T00:00] [--until ...]
                                          [--records DIR] [--reference DIR] [--output DIR]

Reads the prediction records the service wrote in the window, compares them with the reference
profile (the reference stage) using the calibrated thresholds, and writes Evidently's reports
(report.html for the features, the label mix and the out-of-distribution flag; embedding.html;
each with its JSON) and the verdict (verdict.json) into the output folder. Exit status: 0
when nothing drifted, or when the window holds too few records for a verdict ("not enough
data"); 1 when something drifted; 2 for a usage mistake.
"""

import argparse
import json
import logging
import re
import sys
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from celestial import cli
from celestial.errors import UserError
from celestial.monitoring import drift
from celestial.monitoring.records import CATEGORICAL, EMBEDDING, NUMERICAL, read_records
from celestial.pipeline.params import load_params

log = logging.getLogger(__name__)

DRIFT, NO_DRIFT, NOT_ENOUGH_DATA = "drift", "no drift", "not enough data"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", default="24h", help="start: an age (30m, 24h, 7d) or a time")
    parser.add_argument("--until", help="end (default: now): a time")
    parser.add_argument(
        "--records", type=Path, help="the records' folder (CELESTIAL_MONITORING_DIR)"
    )
    parser.add_argument("--reference", type=Path, help="default: paths.reference in params.yaml")
    parser.add_argument("--output", type=Path, default=Path("reports/drift"))
    args = parser.parse_args(argv)

    until = parse_time(args.until) if args.until else datetime.now(UTC)
    since = parse_time(args.since, now=until)
    records_dir = args.records or Path(_monitoring_dir())
    if not records_dir.is_dir():
        raise UserError(f"no prediction records in {records_dir}: pass --records DIR")
    reference_dir = args.reference or load_params().paths.reference
    thresholds = drift.Thresholds.load(reference_dir / "thresholds.json")
    reference = drift.frame(_lines(reference_dir / "profile.jsonl"))
    window = list(read_records(records_dir, since=since, until=until))

    summary = verdict(reference, window, thresholds)
    summary |= {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "records_dir": str(records_dir),
    }
    args.output.mkdir(parents=True, exist_ok=True)
    if summary["status"] != NOT_ENOUGH_DATA:
        render(reference, drift.frame(window), thresholds, args.output)
    (args.output / "verdict.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(describe(summary))
    sys.exit(1 if summary["status"] == DRIFT else 0)


def verdict(reference: pd.DataFrame, window: list[dict], thresholds: drift.Thresholds) -> dict:
    """The window's status, what drifted, and the figures behind it."""
    summary: dict = {"records": len(window), "min_records": thresholds.min_records}
    if len(window) < thresholds.min_records:
        return {**summary, "status": NOT_ENOUGH_DATA}
    current = drift.frame(window)
    embedded = len(drift.embeddings(current))
    found = drift.statistics(reference, current)
    drifted = drift.drifted(found, thresholds, embedded)
    return {
        **summary,
        "status": DRIFT if drifted else NO_DRIFT,
        "drifted": drifted,
        "p_values": {name: found[name] for name in thresholds.p_values},
        "p_value_thresholds": thresholds.p_values,
        "embedding": {
            "records": embedded,
            "distance": found[EMBEDDING],
            "threshold": thresholds.embedding_threshold(embedded) if embedded else None,
        },
        "out_of_distribution": {
            "window": _share_false(current["in_distribution"]),
            "reference": _share_false(reference["in_distribution"]),
        },
        "label_mix": {
            "window": _shares(current["prediction"]),
            "reference": _shares(reference["prediction"]),
        },
    }


def render(
    reference: pd.DataFrame, current: pd.DataFrame, thresholds: drift.Thresholds, out: Path
) -> None:
    """Evidently's reports of the same tests with the same thresholds: report.html (the features,
    the label mix and the out-of-distribution flag, over every record) and embedding.html (over
    the records that carry an embedding), each with its JSON."""
    from evidently import DataDefinition, Report
    from evidently.metrics import DriftedColumnsCount, EmbeddingsDrift, ValueDrift
    from evidently.metrics.embeddings import DistanceDriftMethod

    features = [*NUMERICAL, *CATEGORICAL]
    definition = DataDefinition(
        numerical_columns=list(NUMERICAL), categorical_columns=list(CATEGORICAL)
    )
    tests = [
        ValueDrift(column=column, method=drift.TESTS[column][0], threshold=p)
        for column, p in thresholds.p_values.items()
    ]
    tests.append(DriftedColumnsCount(columns=list(thresholds.p_values)))
    _run(Report(tests, include_tests=True), reference[features], current[features],
         definition, out / "report")  # fmt: skip

    ref_embeddings, cur_embeddings = drift.embeddings(reference), drift.embeddings(current)
    if len(cur_embeddings) < drift.MIN_EMBEDDINGS:
        return
    columns = list(ref_embeddings.columns)
    method = DistanceDriftMethod(threshold=thresholds.embedding_threshold(len(cur_embeddings)))
    embedding = Report([EmbeddingsDrift(embeddings_name=EMBEDDING, drift_method=method)])
    definition = DataDefinition(numerical_columns=columns, embeddings={EMBEDDING: columns})
    _run(embedding, ref_embeddings, cur_embeddings, definition, out / "embedding")


def _run(report, reference: pd.DataFrame, current: pd.DataFrame, definition, name: Path) -> None:
    from evidently import Dataset

    with warnings.catch_warnings():  # its charts divide by the spread of constant columns
        warnings.simplefilter("ignore", RuntimeWarning)
        snapshot = report.run(
            current_data=Dataset.from_pandas(current, data_definition=definition),
            reference_data=Dataset.from_pandas(reference, data_definition=definition),
        )
    snapshot.save_html(str(name.with_suffix(".html")))
    snapshot.save_json(str(name.with_suffix(".json")))


def describe(summary: dict) -> str:
    """One paragraph for a person (and the scheduled workflow's issue)."""
    lines = [f"{summary['status']}: {summary['records']} records from {summary['since']} to "
             f"{summary['until']}"]  # fmt: skip
    if summary["status"] == NOT_ENOUGH_DATA:
        lines.append(f"a verdict needs at least {summary['min_records']} records")
    elif summary["drifted"]:
        lines.append("drifted: " + ", ".join(summary["drifted"]))
    if "out_of_distribution" in summary:
        ood = summary["out_of_distribution"]
        lines.append(f"out of distribution: {ood['window']:.1%} (reference {ood['reference']:.1%})")
    return "\n".join(lines)


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """An age before `now` (30m, 24h, 7d) or an ISO time (UTC unless it says otherwise)."""
    if match := re.fullmatch(r"(\d+)([mhd])", text):
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return (now or datetime.now(UTC)) - timedelta(**{unit: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"{text!r} is neither an age (30m, 24h, 7d) nor an ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _monitoring_dir() -> str:
    from celestial.serving.settings import ServingSettings

    return ServingSettings().monitoring_dir


def _lines(path: Path) -> list[dict]:
    if not path.is_file():
        raise UserError(f"{path} does not exist: run the pipeline (make train) or dvc pull")
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def _share_false(column: pd.Series) -> float:
    return round(float((column == "False").mean()), 4)


def _shares(column: pd.Series) -> dict[str, float]:
    return {
        label: round(float(share), 4)
        for label, share in column.value_counts(normalize=True).items()
    }


if __name__ == "__main__":
    cli.run(main)
