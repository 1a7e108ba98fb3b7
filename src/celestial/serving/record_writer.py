"""The record writer: a process beside each worker that turns its predictions into records and
live metrics, so that the worker only hands them over.

Started by PredictionLog as `python -c "...; main()"`, not `python -m`: the pickled requests
name this module's classes, which a `__main__` copy of it would define a second time.

The worker pickles its predictions onto this process's standard input, a pipe only the two share
(`Handover`). Here each request's images become one cycle of BentoML's monitor, with BentoML's
request id and trace id set as they were in the worker, so that whichever monitor BentoML's
configuration names (the project's JSON lines, OTLP...) writes them as it would have in the
worker; and they are counted in the live metrics, which prometheus_client keeps in the
multiprocess files that /metrics adds up. At the end of its input (the worker closed the pipe, or
died) it writes what it has and exits; it leaves SIGINT and SIGTERM to the worker, which closes
the pipe when it stops.
"""

import contextvars
import json
import logging
import os
import pickle
import signal
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, NamedTuple

import bentoml
import numpy as np
from bentoml._internal.configuration.containers import BentoMLContainer
from bentoml._internal.context import server_context, trace_context
from opentelemetry import context as otel_context
from opentelemetry import trace
from prometheus_client import Counter, Histogram

from celestial.monitoring.records import (
    EMBEDDING,
    IMAGE_NUMBERS,
    embedding_field,
    image_facts,
    record,
)
from celestial.preprocessing import PredictionDict, Tone
from celestial.serving.record_files import JsonLinesMonitor

log = logging.getLogger(__name__)

MONITOR = "celestial_predictions"  # the monitor's name: its folder under the records' directory
CONFIG_VARIABLE = "CELESTIAL_RECORD_WRITER"  # the writer's configuration, as JSON

# Live metrics (Prometheus, on /metrics). BentoML runs prometheus_client in multiprocess mode, so
# the counts of every worker's writer add up on whichever worker answers the scrape.
PREDICTIONS = Counter(
    "celestial_predictions",
    "Images classified, by predicted label and whether they look like the training images.",
    ["label", "in_distribution"],
)
NOVELTY = Histogram(
    "celestial_novelty_ratio",
    "Novelty divided by the model's threshold: above 1 is flagged out of distribution.",
    buckets=(0.25, 0.5, 0.75, 0.9, 1.0, 1.25, 1.5, 2, 3, 5, 10),
)
TOP_PROBABILITY = Histogram(
    "celestial_top_probability",
    "Probability of the predicted label.",
    buckets=(0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999),
)
BRIGHTNESS = Histogram(
    "celestial_image_brightness",
    "Mean luminance of the uploaded image, 0 (black) to 1 (white).",
    buckets=(0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8),
)
RECORD_FAILURES = Counter(
    "celestial_prediction_record_failures",
    "Prediction records known lost (the requests were answered all the same).",
)


class Image(NamedTuple):
    """One classified image, as the worker hands it over: never the upload itself."""

    prediction: PredictionDict
    width: int  # as uploaded
    height: int
    format: str | None
    tone: Tone  # as uploaded, before preprocessing normalised it
    embedding: np.ndarray | None  # None when not sampled


class Request(NamedTuple):
    """One request's images, with what the worker knew of the request."""

    request_id: int | None  # BentoML's
    trace_id: int  # OpenTelemetry's, 0 outside a trace
    span_id: int
    time: float  # of the prediction, seconds since the epoch
    endpoint: str
    images: list[Image]


@dataclass(frozen=True)
class WriterConfig:
    """What the writer needs to know of its worker (CONFIG_VARIABLE holds it as JSON)."""

    model_tag: str
    threshold: float  # the model's novelty threshold
    monitoring: dict[str, Any]  # BentoML's monitoring configuration, as the worker resolved it
    worker_index: int | None
    bento_name: str
    bento_version: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> "WriterConfig":
        return cls(**json.loads(text))


class RecordWriter:
    """Requests -> records through BentoML's monitor, and the live metrics.

    Any monitor learns a record's request id and trace id from the context of the cycle it is
    written in, so records go one request per cycle. The project's own monitor (the default)
    takes them as columns instead, so a hand-over's requests go in one cycle, which costs a
    fraction of one per request.
    """

    def __init__(self, config: WriterConfig) -> None:
        self.model_tag = config.model_tag
        self.threshold = config.threshold
        self.ids_as_columns = config.monitoring.get("type") == JsonLinesMonitor.TYPE
        self.monitor: Any = None  # BentoML's monitor, made by the first cycle

    def write(self, requests: list[Request]) -> None:
        """A hand-over's records; a failure is counted, not raised."""
        if self.ids_as_columns:
            rows = [
                {**row, "request_id": str(request.request_id), "trace_id": str(request.trace_id)}
                for request in requests
                for row in self._rows(request)
            ]
            self._cycle_safely(None, rows)
            return
        for request in requests:
            self._cycle_safely(request, self._rows(request))

    def _rows(self, request: Request) -> list[dict[str, Any]]:
        """A request's records (counted in the live metrics), one per image."""
        time = datetime.fromtimestamp(request.time, UTC).isoformat(timespec="milliseconds")
        rows = []
        for index, image in enumerate(request.images):
            facts = image_facts(image.width, image.height, image.format, image.tone)
            entry = record(image.prediction, facts)
            self._count(entry)
            # Every row has every field (the monitor takes columns); unsampled: a null embedding.
            embedding = None if image.embedding is None else embedding_field(image.embedding)
            rows.append({"model_tag": self.model_tag, "time": time, "endpoint": request.endpoint,
                         "image_index": index, **entry, EMBEDDING: embedding})  # fmt: skip
        return rows

    def _cycle_safely(self, request: Request | None, rows: list[dict[str, Any]]) -> None:
        try:
            # A context of its own: BentoML's monitor keeps the record being built in a context
            # variable, which an error would otherwise leave set for the next cycle's.
            contextvars.copy_context().run(self._cycle, request, rows)
        except Exception:  # whatever the monitor's backend raised
            RECORD_FAILURES.inc(len(rows))
            log.warning("%d prediction records were not written", len(rows), exc_info=True)

    def _cycle(self, request: Request | None, rows: list[dict[str, Any]]) -> None:
        if request is not None:  # the request's ids, where BentoML's monitors look for them
            trace_context.request_id = request.request_id
            span = trace.SpanContext(request.trace_id, request.span_id, is_remote=True)
            otel_context.attach(trace.set_span_in_context(trace.NonRecordingSpan(span)))
        if self.monitor is None:
            # The first cycle resolves BentoML's configuration into a monitor; the rest reuse it
            # rather than resolve it again (by dependency injection) for every cycle.
            with bentoml.monitor(MONITOR) as monitor:
                _log(monitor, rows)
            self.monitor = monitor
            return
        self.monitor.start_record()
        _log(self.monitor, rows)
        self.monitor.stop_record()

    def _count(self, entry: dict[str, Any]) -> None:
        flag = "true" if entry["in_distribution"] else "false"
        PREDICTIONS.labels(label=entry["prediction"], in_distribution=flag).inc()
        NOVELTY.observe(entry["novelty"] / self.threshold)
        TOP_PROBABILITY.observe(entry["top_probability"])
        BRIGHTNESS.observe(entry["brightness"])


# BentoML's monitor role and data type of each field of a record.
_CATEGORICAL = ("model_tag", "time", "endpoint", "format", "request_id", "trace_id")
_CATEGORICAL = ("model_tag", "time", "endpoint", "format", "request_id", "trace_id")
_PREDICTION = ("top_probability", "entropy", "novelty")
COLUMNS = {
    **{name: ("feature", "categorical") for name in _CATEGORICAL},
    **{name: ("feature", "numerical") for name in ("image_index", *IMAGE_NUMBERS)},
    **{name: ("prediction", "categorical") for name in ("prediction", "in_distribution")},
    **{name: ("prediction", "numerical") for name in _PREDICTION},
    EMBEDDING: ("feature", "numerical_sequence"),
}


def _log(monitor: Any, rows: list[dict[str, Any]]) -> None:
    """Each field as a column with a value per image (all rows have the same fields)."""
    for name in rows[0]:
        role, kind = COLUMNS.get(name, ("feature", "numerical"))
        monitor.log_batch([row[name] for row in rows], name=name, role=role, data_type=kind)


def configure(config: WriterConfig) -> None:
    """BentoML's monitoring configuration and the worker's identity, as the worker has them."""
    BentoMLContainer.config.monitoring.set(config.monitoring)
    server_context.worker_index = config.worker_index
    server_context.bento_name = config.bento_name
    server_context.bento_version = config.bento_version


def serve(stream: BinaryIO, writer: RecordWriter) -> None:
    """Write the requests pickled on `stream` until it ends."""
    while True:
        try:
            requests: list[Request] = pickle.load(stream)
        except EOFError:
            return
        except pickle.UnpicklingError:  # the worker stopped in the middle of a hand-over
            log.warning("the input ended inside a hand-over; its records are lost")
            return
        writer.write(requests)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.SIG_IGN)  # the worker stops it by closing the pipe
    config = WriterConfig.from_json(os.environ[CONFIG_VARIABLE])
    configure(config)
    serve(sys.stdin.buffer, RecordWriter(config))
