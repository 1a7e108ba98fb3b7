"""Keeping uploads that need a person's look, for labelling (opt-in: CELESTIAL_CAPTURE_DIR).

Kept: images flagged out of distribution, images whose top probability is under a confidence
level, and a small random sample of the rest (labelled, it estimates the real accuracy). Each is
stored as it was uploaded, with its prediction record (`celestial.labelling.captures`).

Deciding is cheap and happens on the event loop; writing happens in one background thread fed by
a bounded queue. A full queue, a limit reached, a full disk or any write error is counted on
/metrics and logged, never raised: a capture lost is better than a request failed or slowed.
"""

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bentoml._internal.context import trace_context
from prometheus_client import Counter

from celestial.labelling.captures import (
    LOW_CONFIDENCE,
    OUT_OF_DISTRIBUTION,
    SAMPLE,
    Capture,
    new_capture_id,
    sha256,
    usage,
    write_capture,
)
from celestial.preprocessing import PredictionDict

log = logging.getLogger(__name__)

CAPTURES = Counter("celestial_captures", "Uploads kept for labelling, by reason.", ["reason"])
CAPTURE_FAILURES = Counter(
    "celestial_capture_failures",
    "Uploads that were to be kept but could not be written (full disk, write error).",
)
CAPTURES_SKIPPED = Counter(
    "celestial_captures_skipped",
    "Uploads that were to be kept but were not: the folder's limits reached, or the writer's "
    "queue full.",
    ["reason"],
)
# Uploads waiting for the writer, in number and in bytes; more are dropped (and counted) rather
# than held in memory.
QUEUE_SIZE = 64
QUEUE_BYTES = 64 * 1024 * 1024
# How often the writer re-reads the folder's usage: other workers write into it too, and people
# empty it after an export.
RECOUNT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Original:
    """An upload as it was sent: its bytes and what Pillow found in its header."""

    data: bytes
    format: str
    width: int
    height: int


def reason_to_keep(
    prediction: PredictionDict, *, confidence: float, sample: float, draw: float
) -> str | None:
    """Why an image should be kept for labelling, or None. `draw` is uniform in [0, 1)."""
    if not prediction["in_distribution"]:
        return OUT_OF_DISTRIBUTION
    if max(prediction["probabilities"].values()) < confidence:
        return LOW_CONFIDENCE
    if draw < sample:
        return SAMPLE
    return None


class Capturer:
    """Keeps the uploads `reason_to_keep` picks in `directory`, within a count and a size."""

    def __init__(
        self,
        directory: Path,
        *,
        model_tag: str,
        confidence: float,
        sample: float,
        max_images: int,
        max_bytes: int,
        queue_size: int = QUEUE_SIZE,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.directory = directory
        self.model_tag = model_tag
        self.confidence = confidence
        self.sample = sample
        self.max_images = max_images
        self.max_bytes = max_bytes
        self._draw = draw
        self._queue: queue.Queue[tuple[Capture, bytes] | None] = queue.Queue(queue_size)
        self._queued_bytes = 0
        self._thread: threading.Thread | None = None  # started on the first capture
        self._lock = threading.Lock()
        self._used: tuple[int, int] = (0, 0)
        self._counted_at = -float("inf")

    def offer(self, predictions: Sequence[PredictionDict], originals: Sequence[Original]) -> None:
        """Queue the images worth keeping; never blocks, never raises."""
        try:
            request_id = trace_context.request_id
            for prediction, original in zip(predictions, originals, strict=True):
                reason = reason_to_keep(
                    prediction, confidence=self.confidence, sample=self.sample, draw=self._draw()
                )
                if reason is not None:
                    self._enqueue(self._capture(prediction, original, reason, request_id), original)
        except Exception:
            CAPTURE_FAILURES.inc()
            log.warning("an upload was not captured", exc_info=True)

    def close(self, timeout: float = 10) -> None:
        """Write what is queued, then stop the writer."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _capture(
        self, prediction: PredictionDict, original: Original, reason: str, request_id: int | None
    ) -> Capture:
        return Capture(
            capture_id=new_capture_id(),
            request_id=None if request_id is None else str(request_id),
            model_tag=self.model_tag,
            time=datetime.now(UTC).isoformat(timespec="milliseconds"),
            prediction=prediction["prediction"],
            probabilities={k: round(v, 6) for k, v in prediction["probabilities"].items()},
            novelty=round(prediction["novelty"], 4),
            in_distribution=prediction["in_distribution"],
            reason=reason,
            sha256="",  # hashed by the writer, off the event loop
            format=original.format,
            width=original.width,
            height=original.height,
        )

    def _enqueue(self, capture: Capture, original: Original) -> None:
        self._start()
        size = len(original.data)
        with self._lock:
            if self._queued_bytes + size > QUEUE_BYTES:
                CAPTURES_SKIPPED.labels(reason="queue_full").inc()
                return
            self._queued_bytes += size
        try:
            self._queue.put_nowait((capture, original.data))
        except queue.Full:
            self._dequeued(size)
            CAPTURES_SKIPPED.labels(reason="queue_full").inc()

    def _dequeued(self, size: int) -> None:
        with self._lock:
            self._queued_bytes -= size

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="capture", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            capture, data = item
            self._dequeued(len(data))
            self.write(capture, data)

    def write(self, capture: Capture, data: bytes) -> bool:
        """Write one capture if the folder has room; count what happened. True if written."""
        try:
            if not self._has_room(len(data)):
                CAPTURES_SKIPPED.labels(reason="limit").inc()
                return False
            self.directory.mkdir(parents=True, exist_ok=True)
            capture = replace(capture, sha256=sha256(data))
            written = write_capture(self.directory, capture, data)
        except Exception:  # a full disk, a folder gone, anything: never the writer's end
            CAPTURE_FAILURES.inc()
            log.warning("capture %s was not written", capture.capture_id, exc_info=True)
            return False
        count, size = self._used
        self._used = (count + 1, size + written)
        CAPTURES.labels(reason=capture.reason).inc()
        return True

    def _has_room(self, size: int) -> bool:
        now = time.monotonic()
        if now - self._counted_at >= RECOUNT_SECONDS:
            self._used, self._counted_at = usage(self.directory), now
        count, used = self._used
        return count < self.max_images and used + size <= self.max_bytes
