import asyncio
import threading
import time

import pytest

from celestial.serving.batching import Batcher


class Recorder:
    """A model stand-in: doubles numbers and records each batch it was given."""

    def __init__(self, fail_on: int | None = None, seconds: float = 0) -> None:
        self.batches: list[list[int]] = []
        self.threads: set[threading.Thread] = set()
        self.fail_on = fail_on
        self.seconds = seconds

    def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        self.threads.add(threading.current_thread())
        time.sleep(self.seconds)
        if self.fail_on in items:
            raise RuntimeError(f"cannot process {self.fail_on}")
        return [2 * item for item in items]


async def call_concurrently(batcher: Batcher, requests: list[list[int]]) -> list[object]:
    """Each request from its own task, as concurrent HTTP requests reach the endpoint."""
    return await asyncio.gather(*(batcher(items) for items in requests), return_exceptions=True)


def run(batcher: Batcher, requests: list[list[int]]) -> list[object]:
    return asyncio.run(call_concurrently(batcher, requests))


def test_a_lone_call_runs_in_order() -> None:
    model = Recorder()
    assert run(Batcher(model, max_batch_size=8), [[1, 2, 3]]) == [[2, 4, 6]]
    assert model.batches == [[1, 2, 3]]


def test_concurrent_calls_share_batches_and_get_their_own_results() -> None:
    model = Recorder()
    requests = [[i, 100 + i] for i in range(40)]
    results = run(Batcher(model, max_batch_size=8), requests)
    assert results == [[2 * i, 200 + 2 * i] for i in range(40)]
    assert len(model.batches) == 10, "full batches of 4 calls"
    assert max(len(batch) for batch in model.batches) <= 8
    assert sorted(x for batch in model.batches for x in batch) == sorted(
        x for r in requests for x in r
    )


def test_a_call_larger_than_the_batch_runs_alone() -> None:
    model = Recorder()
    assert run(Batcher(model, max_batch_size=4), [list(range(10)), [20]]) == [
        [2 * i for i in range(10)],
        [40],
    ]
    assert model.batches == [list(range(10)), [20]]


@pytest.mark.parametrize(
    ("inline_max_items", "requests"),
    [(0, [[7], [8]]), (1, [[7]])],
    ids=["in the model thread", "on the loop"],
)
def test_a_failing_batch_fails_its_callers_and_the_batcher_goes_on(
    inline_max_items: int, requests: list[list[int]]
) -> None:
    model = Recorder(fail_on=7)
    batcher = Batcher(model, max_batch_size=64, inline_max_items=inline_max_items)

    async def scenario() -> tuple[list[object], list[int]]:
        failed = await call_concurrently(batcher, requests)
        return failed, await batcher([5])

    failed, after = asyncio.run(scenario())
    assert all(isinstance(r, RuntimeError) for r in failed)
    assert after == [10]
    assert (model.threads == {threading.main_thread()}) == (inline_max_items > 0)


def test_window_gathers_calls_that_arrive_close_together() -> None:
    model = Recorder()
    batcher = Batcher(model, max_batch_size=16, window_ms=200)

    async def staggered(i: int) -> list[int]:
        await asyncio.sleep(0.01 * i)  # on different turns of the loop, within the window
        return await batcher([i])

    async def scenario() -> list[list[int]]:
        return await asyncio.gather(*(staggered(i) for i in range(6)))

    assert asyncio.run(scenario()) == [[2 * i] for i in range(6)]
    assert model.batches == [list(range(6))]


def test_a_full_batch_does_not_wait_out_the_window() -> None:
    model = Recorder()
    batcher = Batcher(model, max_batch_size=4, window_ms=10_000)

    async def scenario() -> list[object]:
        return await asyncio.wait_for(call_concurrently(batcher, [[i] for i in range(4)]), 5)

    assert asyncio.run(scenario()) == [[2 * i] for i in range(4)]


def test_a_cancelled_call_does_not_disturb_its_batch() -> None:
    model = Recorder()
    batcher = Batcher(model, max_batch_size=8, window_ms=50)

    async def scenario() -> list[object]:
        gone = asyncio.ensure_future(batcher([1]))  # a client that disconnects
        stays = asyncio.ensure_future(batcher([2]))
        await asyncio.sleep(0)
        gone.cancel()
        return await asyncio.gather(stays, batcher([3]))

    assert asyncio.run(scenario()) == [[4], [6]]
    assert model.batches == [[1, 2, 3]]


@pytest.mark.parametrize("callers", [1, 3, 17])
def test_no_call_is_lost(callers: int) -> None:
    model = Recorder()
    batcher = Batcher(model, max_batch_size=5)
    for _ in range(5):
        assert run(batcher, [[i] for i in range(callers)]) == [[2 * i] for i in range(callers)]


def test_the_model_runs_in_one_thread_beside_the_loop() -> None:
    model = Recorder()
    batcher = Batcher(model, max_batch_size=2)
    run(batcher, [[i] for i in range(10)])
    assert len(model.batches) == 5
    (thread,) = model.threads
    assert thread is not threading.main_thread()  # asyncio.run's loop runs in this thread


def test_calls_gather_while_a_batch_runs() -> None:
    model = Recorder(seconds=0.2)
    batcher = Batcher(model, max_batch_size=64)

    async def scenario() -> list[object]:
        first = asyncio.ensure_future(batcher([0]))
        await asyncio.sleep(0.05)  # the first batch is running: these wait for the next
        return await asyncio.gather(first, *(batcher([i]) for i in range(1, 6)))

    assert asyncio.run(scenario()) == [[2 * i] for i in range(6)]
    assert model.batches == [[0], [1, 2, 3, 4, 5]]


def test_batches_up_to_inline_max_items_run_on_the_loop() -> None:
    model = Recorder()
    batcher = Batcher(model, max_batch_size=8, inline_max_items=1)

    async def scenario() -> tuple[list[int], set[threading.Thread], list[object]]:
        alone = await batcher([1])
        alone_in = set(model.threads)
        return alone, alone_in, await call_concurrently(batcher, [[2], [3]])

    alone, alone_in, together = asyncio.run(scenario())
    assert (alone, together) == ([2], [[4], [6]])
    assert model.batches == [[1], [2, 3]]
    assert alone_in == {threading.main_thread()}  # asyncio.run's loop runs in this thread
    assert len(model.threads) == 2, "the batch of two ran in the model thread"
