"""Dynamic batching inside one server process.

Request threads hand their preprocessed images to a Batcher and wait; one thread runs the model
on everything queued at that moment. Under load the batches grow by themselves (requests queue
while the model runs), and with a single client each request runs at once, without waiting for
company. A small optional window lets a batch wait for more requests.

BentoML's own adaptive batching batches endpoints whose input is a list, and runs the merged batch
through one call, so a bad image in one request would fail its neighbours; here each request is
decoded and checked in its own thread before it joins a batch, and /predict (one image) batches
too.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

_STOP = object()  # queued by close()

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Job(Generic[Item, Result]):
    items: Sequence[Item]
    future: Future[list[Result]] = field(default_factory=Future)


class Batcher(Generic[Item, Result]):
    """Calls run(items) -> results (one per item, in order) on batches of concurrent calls."""

    def __init__(
        self,
        run: Callable[[list[Item]], list[Result]],
        *,
        max_batch_size: int,
        window_ms: float = 0.0,
    ) -> None:
        self._run = run
        self._max_batch_size = max_batch_size
        self._window = window_ms / 1000
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._held = None  # a job (or _STOP) taken from the queue that belongs to the next batch
        self._thread = threading.Thread(target=self._serve, name="batcher", daemon=True)
        self._thread.start()

    def __call__(self, items: Sequence[Item]) -> list[Result]:
        """Run items in the next batch and return their results; re-raises the batch's error."""
        job: _Job[Item, Result] = _Job(items)
        self._queue.put(job)
        return job.future.result()

    def close(self) -> None:
        """Stop the batching thread once the queued work is done."""
        self._queue.put(_STOP)
        self._thread.join()

    def _serve(self) -> None:
        while jobs := self._gather():
            items = [item for job in jobs for item in job.items]
            try:
                results = self._run(items)
            except Exception as error:  # every caller in the batch gets the error
                log.exception("batch of %d failed", len(items))
                for job in jobs:
                    job.future.set_exception(error)
                continue
            start = 0
            for job in jobs:
                job.future.set_result(results[start : start + len(job.items)])
                start += len(job.items)

    def _gather(self) -> list[_Job]:
        """The next batch: what is queued now, up to max_batch_size items; [] once closed."""
        first, self._held = self._held or self._queue.get(), None
        if first is _STOP:
            return []
        jobs, size = [first], len(first.items)
        deadline = time.monotonic() + self._window
        while size < self._max_batch_size:
            job = self._next(deadline)
            if job is None:
                break
            if job is _STOP or size + len(job.items) > self._max_batch_size:
                self._held = job  # it starts the next round
                break
            jobs.append(job)
            size += len(job.items)
        return jobs

    def _next(self, deadline: float) -> "_Job | object | None":
        """The next queued job, waiting until the deadline at most; None if there is none."""
        remaining = deadline - time.monotonic()
        try:
            return self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None
