"""A record per classified image, handed by the worker to its record writer process.

Building a record, counting it in the live metrics and writing it through BentoML's monitor
took the worker's event loop, which every request waits for, a share of each request
(docs/monitoring.md); the worker does none of it now. It notes each request's images with what
it knew of the request (BentoML's request id, the trace, the time), and once per turn of the
event loop pickles the turn's notes onto the pipe to a process of its own, `record_writer`,
which does the rest beside the worker.

The pipe is written without blocking: what does not fit waits in a buffer that the loop drains
when the pipe has room. A writer that falls behind by more than MAX_BACKLOG_BYTES, or is gone,
loses records, never requests: the loss is counted in celestial_prediction_record_failures_total
and logged, and a writer that died is started again.
"""

import asyncio
import logging
import os
import pickle
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from bentoml._internal.configuration.containers import BentoMLContainer
from bentoml._internal.context import server_context, trace_context
from opentelemetry import trace

import celestial
from celestial.preprocessing import PredictionDict
from celestial.serving.record_writer import (
    CONFIG_VARIABLE,
    RECORD_FAILURES,
    Image,
    Request,
    WriterConfig,
)
from celestial.serving.uploads import Prepared

log = logging.getLogger(__name__)

MAX_BACKLOG_BYTES = 64 * 2**20  # records waiting for the writer; beyond this they are dropped
RESTART_SECONDS = 5.0  # a writer that died is started again at most this often
PROJECT_PATH = str(Path(celestial.__file__).parent.parent)


class PredictionLog:
    """Hands every classified image to the record writer (see the module's docstring)."""

    def __init__(
        self,
        *,
        model_tag: str,
        threshold: float,
        embedding_share: float,
    ) -> None:
        self.embedding_share = embedding_share
        self._config = WriterConfig(
            model_tag=model_tag,
            threshold=threshold,
            monitoring=dict(BentoMLContainer.config.monitoring.get()),
            worker_index=server_context.worker_index,
            bento_name=server_context.bento_name,
            bento_version=server_context.bento_version,
        )
        self._notes: list[Request] = []  # this turn's, not yet pickled
        self._backlog = bytearray()  # pickled, waiting for room in the pipe
        self._backlog_images = 0
        self._start_writer()

    def note(
        self,
        endpoint: str,
        predictions: Sequence[PredictionDict],
        prepared: Sequence[Prepared],
        embeddings: Sequence[np.ndarray],
    ) -> None:
        """Note one request's images; they leave for the writer on the loop's next turn, after
        this turn's responses."""
        span = trace.get_current_span().get_span_context()
        share = self.embedding_share
        images = [
            Image(prediction, item.width, item.height, item.format, item.tone,
                  embedding if random.random() < share else None)
            for prediction, item, embedding in zip(predictions, prepared, embeddings, strict=True)
        ]  # fmt: skip
        self._notes.append(Request(trace_context.request_id, span.trace_id, span.span_id,
                                   time.time(), endpoint, images))  # fmt: skip
        if len(self._notes) == 1:
            asyncio.get_running_loop().call_soon(self._send)

    def _send(self) -> None:
        notes, self._notes = self._notes, []
        images = sum(len(request.images) for request in notes)
        if self._writer.poll() is not None and not self._restart_writer():
            self._lose(images, "the record writer is not running")
            return
        if len(self._backlog) > MAX_BACKLOG_BYTES:
            self._lose(images, "the record writer is behind by more than MAX_BACKLOG_BYTES")
            return
        data = pickle.dumps(notes, protocol=pickle.HIGHEST_PROTOCOL)
        if self._backlog:  # behind data still waiting: keep the order
            self._backlog += data
            self._backlog_images += images
            return
        written = self._write(data)
        if written is None:
            self._lose(images, "the record writer closed its input")
        elif written < len(data):
            self._backlog += data[written:]
            self._backlog_images += images
            asyncio.get_running_loop().add_writer(self._fd, self._drain)

    def _drain(self) -> None:
        """The pipe has room again: write what waits."""
        written = self._write(self._backlog)
        if written is None:
            self._drop_backlog("the record writer closed its input")
            return
        del self._backlog[:written]
        if not self._backlog:  # all written: stop watching the pipe
            self._drop_backlog("")

    def _drop_backlog(self, reason: str) -> None:
        """Stop waiting for room in the pipe; what still waits is lost, for `reason`."""
        asyncio.get_running_loop().remove_writer(self._fd)
        if self._backlog:
            self._lose(self._backlog_images, reason)
        self._backlog.clear()
        self._backlog_images = 0

    def _write(self, data: bytes | bytearray) -> int | None:
        """Bytes written (0 when the pipe is full), or None when the writer is gone."""
        try:
            return os.write(self._fd, data)
        except BlockingIOError:
            return 0
        except OSError:  # BrokenPipeError, mostly: the writer exited
            return None

    def _lose(self, images: int, reason: str) -> None:
        RECORD_FAILURES.inc(images)
        log.warning("%d prediction records lost: %s", images, reason)

    def _start_writer(self) -> None:
        # The writer imports the project from where this worker did (a Bento's src/ folder, say).
        path = os.pathsep.join(filter(None, (PROJECT_PATH, os.environ.get("PYTHONPATH"))))
        environment = {**os.environ, CONFIG_VARIABLE: self._config.to_json(), "PYTHONPATH": path}
        self._writer: subprocess.Popen = subprocess.Popen(
            [sys.executable, "-c", "from celestial.serving.record_writer import main; main()"],
            stdin=subprocess.PIPE,
            env=environment,
        )
        self._fd = self._writer.stdin.fileno()
        os.set_blocking(self._fd, False)
        self._started = time.monotonic()

    def _restart_writer(self) -> bool:
        """Start the writer again, unless it was started less than RESTART_SECONDS ago."""
        if time.monotonic() - self._started < RESTART_SECONDS:
            return False
        log.error("the record writer exited with %s; starting it again", self._writer.poll())
        # The rest of a hand-over cut in two would garble the new writer's input.
        self._drop_backlog("the record writer exited before reading them")
        self._writer.stdin.close()
        self._start_writer()
        return True

    async def close(self, timeout: float = 10) -> None:
        """Hand over what is noted, close the pipe, and wait for the writer to finish."""
        if self._notes:
            self._send()
        deadline = time.monotonic() + timeout
        while self._backlog and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        self._drop_backlog("the record writer did not read them in time")
        self._writer.stdin.close()  # the writer writes what it has and exits
        while self._writer.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self._writer.poll() is None:
            log.error("the record writer did not finish within %s s; stopping it", timeout)
            self._writer.kill()
