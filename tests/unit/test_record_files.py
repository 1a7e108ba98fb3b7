"""The prediction records' files: BentoML's default layout, rotated when a UTC day ends."""

import json
from datetime import date
from pathlib import Path

from celestial.serving.record_files import DailyFile, JsonLinesMonitor


def test_a_day_s_lines_move_to_a_dated_file_when_the_day_ends(tmp_path: Path) -> None:
    path = tmp_path / "data" / "data.0.log"
    lines = DailyFile(path)
    lines.write("yesterday\n")
    lines._day = date(2026, 1, 1)  # as if the day had ended since
    lines.write("today\n")
    assert (tmp_path / "data" / "data.0.log.2026-01-01").read_text() == "yesterday\n"
    assert path.read_text() == "today\n"


def test_records_are_json_lines_with_bentoml_s_columns(tmp_path: Path) -> None:
    monitor = JsonLinesMonitor("predictions", log_path=str(tmp_path))
    monitor.start_record()
    monitor.log("Mars", name="prediction", role="prediction", data_type="categorical")
    monitor.log(0.5, name="novelty", role="prediction", data_type="numerical")
    monitor.stop_record()
    (schema,) = (tmp_path / "predictions/schema/schema.0.log").read_text().splitlines()
    assert [c["name"] for c in json.loads(schema)["columns"]] == ["prediction", "novelty"]
    (line,) = (tmp_path / "predictions/data/data.0.log").read_text().splitlines()
    record = json.loads(line)
    assert (record["prediction"], record["novelty"]) == ("Mars", 0.5)
    assert {"timestamp", "request_id", "trace_id"} <= set(record)
