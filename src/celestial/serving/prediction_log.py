"""A record per classified image, through BentoML's monitoring, and the live metrics beside it.

Records go wherever BentoML's monitoring configuration sends them: JSON lines under
CELESTIAL_MONITORING_DIR by default (the service's configuration), OTLP or another monitor where
BENTOML_CONFIG says so. Each carries the request's id (BentoML's, as in the X-BentoML-Request-ID
header, in decimal), the model's tag, the time, the prediction and the image's facts, and, for a
sampled share of images, the embedding (null in the others); never the image. A request's records
are one cycle of the monitor, so a batch request's images cost one write.

Writing is deferred to the event loop's next turn, after the response is on its way, in the
request's own context (so BentoML writes the right request id), and a failure is counted, never
raised: a record lost is better than a request failed.
"""

import asyncio
import contextvars
import logging
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import bentoml
import numpy as np
from prometheus_client import Counter, Histogram

from celestial.monitoring.records import (
    EMBEDDING,
    IMAGE_NUMBERS,
    ImageFacts,
    embedding_field,
    record,
)
from celestial.preprocessing import PredictionDict

log = logging.getLogger(__name__)

MONITOR = "celestial_predictions"  # the monitor's name: its folder under the records' directory

# Live metrics (Prometheus, on /metrics). BentoML runs prometheus_client in multiprocess mode, so
# every worker's counts add up on whichever worker answers the scrape.
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
    "Prediction records that could not be written (the requests were answered all the same).",
)


class PredictionLog:
    """Notes every classified image: a record through BentoML's monitor, and the live metrics."""

    def __init__(self, *, model_tag: str, threshold: float, embedding_share: float) -> None:
        self.model_tag = model_tag
        self.threshold = threshold
        self.embedding_share = embedding_share

    def note(
        self,
        endpoint: str,
        predictions: Sequence[PredictionDict],
        facts: Sequence[ImageFacts],
        embeddings: np.ndarray,
    ) -> None:
        """Note one request's images once the loop is free again, in the request's context."""
        # The time of the prediction, taken before the response leaves: a client that reads the
        # records of the window it sent in finds its last request's too.
        time = datetime.now(UTC)
        asyncio.get_running_loop().call_soon(
            self._write, endpoint, predictions, facts, embeddings, time,
            context=contextvars.copy_context(),
        )  # fmt: skip

    def _write(
        self,
        endpoint: str,
        predictions: Sequence[PredictionDict],
        facts: Sequence[ImageFacts],
        embeddings: np.ndarray,
        moment: datetime,
    ) -> None:
        time = moment.isoformat(timespec="milliseconds")
        rows = []
        for index, (prediction, image) in enumerate(zip(predictions, facts, strict=True)):
            entry = record(prediction, image)
            self._count(entry)
            # Every row has every field (the monitor takes columns); unsampled: a null embedding.
            sampled = random.random() < self.embedding_share
            entry[EMBEDDING] = embedding_field(embeddings[index]) if sampled else None
            rows.append({"model_tag": self.model_tag, "time": time, "endpoint": endpoint,
                         "image_index": index, **entry})  # fmt: skip
        try:
            write(rows)
        except Exception:  # whatever the monitor's backend raised: never the request's
            RECORD_FAILURES.inc(len(rows))
            log.warning("a request's prediction records were not written", exc_info=True)

    def _count(self, entry: dict[str, Any]) -> None:
        flag = "true" if entry["in_distribution"] else "false"
        PREDICTIONS.labels(label=entry["prediction"], in_distribution=flag).inc()
        NOVELTY.observe(entry["novelty"] / self.threshold)
        TOP_PROBABILITY.observe(entry["top_probability"])
        BRIGHTNESS.observe(entry["brightness"])


# BentoML's monitor role and data type of each field of a record, looked up once per field.
_PREDICTION = ("top_probability", "entropy", "novelty")
COLUMNS = {
    **{name: ("feature", "categorical") for name in ("model_tag", "time", "endpoint", "format")},
    **{name: ("feature", "numerical") for name in ("image_index", *IMAGE_NUMBERS)},
    **{name: ("prediction", "categorical") for name in ("prediction", "in_distribution")},
    **{name: ("prediction", "numerical") for name in _PREDICTION},
    EMBEDDING: ("feature", "numerical_sequence"),
}


class _Monitor:
    """BentoML's monitor for the records, as `bentoml.monitor(MONITOR)` makes it.

    The first request goes through the `with bentoml.monitor(...)` block; the rest call the same
    monitor's start_record / log_batch / stop_record, which is all that block does besides
    resolving the monitoring configuration by dependency injection on every call, at a cost
    larger than the records' own.
    """

    monitor: Any = None

    def write(self, rows: list[dict[str, Any]]) -> None:
        if self.monitor is None:
            with bentoml.monitor(MONITOR) as monitor:
                _log(monitor, rows)
            self.monitor = monitor
            return
        self.monitor.start_record()
        _log(self.monitor, rows)
        self.monitor.stop_record()


_MONITOR = _Monitor()


def write(rows: list[dict[str, Any]]) -> None:
    """A request's records, one per image, in one cycle of the monitor (so one write), in a
    context of its own: BentoML's monitor keeps the records being built in a context variable,
    which an error would otherwise leave set for the next request's."""
    contextvars.copy_context().run(_MONITOR.write, rows)


def _log(monitor: Any, rows: list[dict[str, Any]]) -> None:
    """Each field as a column with a value per image (all rows have the same fields)."""
    for name in rows[0]:
        role, kind = COLUMNS.get(name, ("feature", "numerical"))
        monitor.log_batch([row[name] for row in rows], name=name, role=role, data_type=kind)
