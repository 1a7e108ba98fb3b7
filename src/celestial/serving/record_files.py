"""A BentoML monitor that writes its records as JSON lines itself, without Python logging.

The files, columns and schema are those of BentoML's default monitor, so whatever reads its files
reads these: `<log_path>/<name>/data/data.<worker>.log`, one JSON object per record with
BentoML's `timestamp`, `request_id` and `trace_id` added, renamed to `....log.YYYY-MM-DD` at
midnight (UTC), and the schema in `<log_path>/<name>/schema/schema.<worker>.log`. The default
monitor hands every record to Python logging, whose record object, caller lookup and handler
cost more than the rest of a record; the service selects this class as the monitoring `type`,
which a BENTOML_CONFIG can still change (to `otlp`, for instance).
"""

import json
from collections import deque
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bentoml._internal.context import server_context, trace_context
from bentoml._internal.monitoring.base import MonitorBase


class JsonLinesMonitor(MonitorBase[Any]):
    """BentoML's default monitor's files, written directly (see the module's docstring).

    A record's `request_id` and `trace_id` are those of the cycle's context, as BentoML's monitors
    write them, unless the record brings its own as columns: then one cycle can hold several
    requests' records.
    """

    TYPE = "celestial.serving.record_files.JsonLinesMonitor"  # its name in monitoring `type`
    PRESERVED_COLUMNS = ("timestamp",)

    def __init__(self, name: str, log_path: str, **options: Any) -> None:
        super().__init__(name, **options)
        self.log_path = Path(log_path)
        self._data: DailyFile | None = None

    def _path(self, kind: str) -> Path:
        worker = server_context.worker_index or 0
        return self.log_path / self.name / kind / f"{kind}.{worker}.log"

    def export_schema(self, columns_schema: dict[str, dict[str, str]]) -> None:
        meta = {"bento_name": server_context.bento_name,
                "bento_version": server_context.bento_version}  # fmt: skip
        path = self._path("schema")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.write(_line({"meta_data": meta, "columns": list(columns_schema.values())}))

    def export_data(self, datas: dict[str, deque[Any]]) -> None:
        if self._data is None:
            self._data = DailyFile(self._path("data"))
        added = {"timestamp": datetime.now().isoformat()}  # local time, as BentoML's monitor
        if "request_id" not in datas:
            added["request_id"] = str(trace_context.request_id)
        if "trace_id" not in datas:
            added["trace_id"] = str(trace_context.trace_id)
        names = list(datas)
        rows = zip(*datas.values(), strict=True)  # every column holds one value per record
        self._data.write(
            "".join(_line({**dict(zip(names, row, strict=True)), **added}) for row in rows)
        )


class DailyFile:
    """An append-only text file renamed to `<name>.YYYY-MM-DD` when a UTC day ends, as logging's
    TimedRotatingFileHandler(when="midnight", utc=True) names it. Each write is flushed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self._day = datetime.now(UTC).date()

    def write(self, text: str) -> None:
        today = datetime.now(UTC).date()
        if today != self._day:
            self._rotate(today)
        self._file.write(text)
        self._file.flush()

    def _rotate(self, today: date) -> None:
        self._file.close()
        done = self.path.with_name(f"{self.path.name}.{self._day.isoformat()}")
        if self.path.exists() and not done.exists():
            self.path.rename(done)
        self._file = self.path.open("a", encoding="utf-8")
        self._day = today


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"
