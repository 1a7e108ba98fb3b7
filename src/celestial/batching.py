"""Dynamic batching inside one server process, without a batching thread.

Request threads queue their preprocessed images. A thread that finds no batch running becomes the
leader: it runs everything queued at that moment (up to max_batch_size items) in one model call,
hands each waiting thread its results, and goes on until its own images are done; then the next
waiting thread leads. Under load the batches grow by themselves (requests queue while the model
runs), and a lone request runs at once in its own thread, without waiting for company or for a
hand-off to another thread. A small optional window lets a leader wait for more requests.

BentoML's own adaptive batching batches endpoints whose input is a list, and runs the merged batch
through one call, so a bad image in one request would fail its neighbours; here each request is
decoded and checked in its own thread before it joins a batch, and /predict (one image) batches
too.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(eq=False, slots=True)
class _Job(Generic[Item, Result]):
    items: Sequence[Item]
    results: list | None = None
    error: BaseException | None = None
    finished: bool = False
    leads: bool = False  # handed the lead by the previous leader
    woken: threading.Event | None = None  # only a job that has to wait needs one


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
        self._lock = threading.Lock()  # guards the queue and the lead
        self._arrived = threading.Condition(self._lock)  # a leader waiting out the window
        self._queue: deque[_Job] = deque()
        self._leading = False

    def __call__(self, items: Sequence[Item]) -> list[Result]:
        """Run items in the next batch and return their results; re-raises the batch's error."""
        job: _Job[Item, Result] = _Job(items)
        with self._lock:
            self._queue.append(job)
            if self._window:
                self._arrived.notify()
            if self._leading:
                job.woken = threading.Event()
            else:
                job.leads = self._leading = True
        if job.woken is not None:
            job.woken.wait()  # finished by a leader, or handed the lead
        if not job.finished:
            self._lead(job)
        if job.error is not None:
            raise job.error
        return job.results

    def _lead(self, own: _Job) -> None:
        """Run batches until `own` is finished, then hand the lead to the oldest waiting job."""
        try:
            while not own.finished:
                self._run_batch(self._take())
        finally:
            with self._lock:
                if self._queue:
                    successor = self._queue[0]  # it waits: it came while a leader ran
                    successor.leads = True
                    successor.woken.set()
                else:
                    self._leading = False

    def _take(self) -> list[_Job]:
        """The queued jobs, oldest first, up to max_batch_size items (at least one job)."""
        deadline = time.monotonic() + self._window
        with self._lock:
            while (
                self._window
                and self._queued_items() < self._max_batch_size
                and (remaining := deadline - time.monotonic()) > 0
            ):
                self._arrived.wait(remaining)
            batch = [self._queue.popleft()]  # the oldest job, however large
            size = len(batch[0].items)
            while self._queue and size + len(self._queue[0].items) <= self._max_batch_size:
                batch.append(self._queue.popleft())
                size += len(batch[-1].items)
            return batch

    def _queued_items(self) -> int:
        return sum(len(job.items) for job in self._queue)

    def _run_batch(self, batch: list[_Job]) -> None:
        items = [item for job in batch for item in job.items]
        try:
            results, error = self._run(items), None
        except Exception as failure:  # every caller in the batch gets the error
            log.exception("batch of %d failed", len(items))
            results, error = None, failure
        start = 0
        for job in batch:
            if error is None:
                job.results = results[start : start + len(job.items)]
                start += len(job.items)
            job.error, job.finished = error, True
            if job.woken is not None:  # the leader's own job is not waiting
                job.woken.set()
