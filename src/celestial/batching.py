"""Dynamic batching on the server's event loop.

Requests await their place in the next batch. The first arrival schedules the batch to run on the
loop's next turn (or after a window, when one is set), so every request that becomes ready before
then joins it: under load the batches grow by themselves, and a lone request waits for nothing but
the loop's turn. The model runs on the loop thread itself: for this model a batch takes well
under a millisecond per image, less than handing it to a thread and back would cost.

BentoML's own adaptive batching batches endpoints whose input is a list, and runs the merged batch
through one call, so a bad image in one request would fail its neighbours; here each request is
decoded and checked before it joins a batch, and /predict (one image) batches too.
"""

import asyncio
import logging
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
    done: asyncio.Future


class Batcher(Generic[Item, Result]):
    """Calls run(items) -> results (one per item, in order) on batches of concurrent calls.

    Use it from one event loop: it is not thread-safe, and needs no lock because of that.
    """

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
        self._queue: deque[_Job] = deque()
        self._queued_items = 0
        self._scheduled: asyncio.Handle | None = None

    async def __call__(self, items: Sequence[Item]) -> list[Result]:
        """Run items in the next batch and return their results; re-raises the batch's error."""
        loop = asyncio.get_running_loop()
        job: _Job[Item, Result] = _Job(items, loop.create_future())
        self._queue.append(job)
        self._queued_items += len(items)
        if self._queued_items >= self._max_batch_size:
            self._run_now(loop)
        elif self._scheduled is None:
            self._scheduled = (
                loop.call_later(self._window, self._run_queued)
                if self._window
                else loop.call_soon(self._run_queued)
            )
        return await job.done

    def _run_now(self, loop: asyncio.AbstractEventLoop) -> None:
        """A full batch is waiting: run it on the loop's next turn, without the window."""
        if self._scheduled is not None:
            self._scheduled.cancel()
        self._scheduled = loop.call_soon(self._run_queued)

    def _run_queued(self) -> None:
        """Run one batch of the queued jobs, oldest first; schedule the next if some are left."""
        self._scheduled = None
        batch = [self._queue.popleft()]  # the oldest job, however large
        size = len(batch[0].items)
        while self._queue and size + len(self._queue[0].items) <= self._max_batch_size:
            batch.append(self._queue.popleft())
            size += len(batch[-1].items)
        self._queued_items -= size
        self._run_batch(batch)
        if self._queue:
            self._scheduled = asyncio.get_running_loop().call_soon(self._run_queued)

    def _run_batch(self, batch: list[_Job]) -> None:
        items = [item for job in batch for item in job.items]
        try:
            results = self._run(items)
        except Exception as error:  # every caller in the batch gets the error
            log.exception("batch of %d failed", len(items))
            for job in batch:
                if not job.done.done():
                    job.done.set_exception(error)
            return
        start = 0
        for job in batch:
            if not job.done.done():  # its request may have been cancelled (client gone)
                job.done.set_result(results[start : start + len(job.items)])
            start += len(job.items)
