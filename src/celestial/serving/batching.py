"""Dynamic batching: requests wait on the event loop, the model runs batches in a thread of its own.

The first arrival schedules a batch for the loop's next turn (or after a window), so every request
ready by then joins it, and the next batch gathers while one runs. LiteRT releases the GIL, so the
model computes beside the loop and the thread hand-off is paid once per batch. A batch of at most
`inline_max_items` runs on the loop instead: for a lone image the hand-off costs more than the
model. Unlike BentoML's own batching, each request is decoded and checked before it joins, so a
bad image fails only its own request.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
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

    Call it from one event loop: its state is the loop's alone, so it needs no lock.
    """

    def __init__(
        self,
        run: Callable[[list[Item]], list[Result]],
        *,
        max_batch_size: int,
        window_ms: float = 0.0,
        inline_max_items: int = 0,
    ) -> None:
        self._run = run
        self._max_batch_size = max_batch_size
        self._inline_max_items = inline_max_items
        self._window = window_ms / 1000
        self._queue: deque[_Job] = deque()
        self._queued_items = 0
        self._scheduled: asyncio.Handle | None = None
        self._running = False  # a batch is in the model thread
        self._model_thread = ThreadPoolExecutor(1, thread_name_prefix="batcher")

    async def __call__(self, items: Sequence[Item]) -> list[Result]:
        """Run items in the next batch and return their results; re-raises the batch's error."""
        loop = asyncio.get_running_loop()
        job: _Job[Item, Result] = _Job(items, loop.create_future())
        self._queue.append(job)
        self._queued_items += len(items)
        if not self._running:  # else the running batch starts the next one as it ends
            if self._queued_items >= self._max_batch_size:
                self._schedule(loop, 0)  # full: no need to wait out the window
            elif self._scheduled is None:
                self._schedule(loop, self._window)
        return await job.done

    def _schedule(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        if self._scheduled is not None:
            self._scheduled.cancel()
        self._scheduled = (
            loop.call_later(delay, self._start_batch)
            if delay
            else loop.call_soon(self._start_batch)
        )

    def _start_batch(self) -> None:
        """Hand the queued jobs, oldest first and up to max_batch_size items, to the model."""
        self._scheduled = None
        batch = [self._queue.popleft()]  # the oldest job, however large
        size = len(batch[0].items)
        while self._queue and size + len(self._queue[0].items) <= self._max_batch_size:
            batch.append(self._queue.popleft())
            size += len(batch[-1].items)
        self._queued_items -= size
        items = [item for job in batch for item in job.items]
        if size <= self._inline_max_items:
            self._finish_batch(batch, self._run_here(items))
            return
        self._running = True
        running = asyncio.get_running_loop().run_in_executor(self._model_thread, self._run, items)
        running.add_done_callback(partial(self._finish_batch, batch))

    def _run_here(self, items: list[Item]) -> asyncio.Future:
        """Run a small batch on the loop, its outcome as a finished future like the thread's."""
        outcome = asyncio.get_running_loop().create_future()
        try:
            outcome.set_result(self._run(items))
        except Exception as error:  # the callers get it, as from the model thread
            outcome.set_exception(error)
        return outcome

    def _finish_batch(self, batch: list[_Job], running: asyncio.Future) -> None:
        """Give each job its results (or the batch's error); start the batch that gathered."""
        self._running = False
        error = running.exception()
        if error is not None:  # every caller in the batch gets it
            log.error("batch of %d failed", sum(len(j.items) for j in batch), exc_info=error)
        results = running.result() if error is None else None
        start = 0
        for job in batch:
            end = start + len(job.items)
            if not job.done.done():  # done already: its request was cancelled (the client left)
                if results is not None:
                    job.done.set_result(results[start:end])
                else:
                    job.done.set_exception(error)
            start = end
        if self._queue:
            self._schedule(asyncio.get_running_loop(), 0)  # they waited a whole batch already
