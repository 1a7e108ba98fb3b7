import threading
import time

import pytest

from celestial.batching import Batcher


class Recorder:
    """A model stand-in: doubles numbers, slowly, and records each batch it was given."""

    def __init__(self, seconds: float = 0.005, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.seconds = seconds
        self.fail_on = fail_on

    def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        time.sleep(self.seconds)
        if self.fail_on in items:
            raise RuntimeError(f"cannot process {self.fail_on}")
        return [2 * item for item in items]


def call_concurrently(batcher: Batcher, requests: list[list[int]]) -> dict[int, object]:
    results: dict[int, object] = {}

    def call(index: int) -> None:
        try:
            results[index] = batcher(requests[index])
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_a_lone_call_runs_at_once_in_order() -> None:
    model = Recorder()
    assert Batcher(model, max_batch_size=8)([1, 2, 3]) == [2, 4, 6]
    assert model.batches == [[1, 2, 3]]


def test_concurrent_calls_share_batches_and_get_their_own_results() -> None:
    model = Recorder()
    requests = [[i, 100 + i] for i in range(40)]
    results = call_concurrently(Batcher(model, max_batch_size=8), requests)
    assert results == {i: [2 * i, 200 + 2 * i] for i in range(40)}
    assert len(model.batches) < 40, "calls were batched"
    assert max(len(batch) for batch in model.batches) <= 8
    assert sorted(x for batch in model.batches for x in batch) == sorted(
        x for r in requests for x in r
    )


def test_a_call_larger_than_the_batch_runs_alone() -> None:
    model = Recorder()
    assert Batcher(model, max_batch_size=4)(list(range(10))) == [2 * i for i in range(10)]
    assert model.batches == [list(range(10))]


def test_a_failing_batch_fails_its_callers_and_the_batcher_goes_on() -> None:
    model = Recorder(fail_on=7)
    batcher = Batcher(model, max_batch_size=64, window_ms=50)
    results = call_concurrently(batcher, [[7], [8]])
    assert all(isinstance(r, RuntimeError) for r in results.values())
    assert batcher([5]) == [10]


def test_window_gathers_calls_that_arrive_close_together() -> None:
    model = Recorder(seconds=0)
    results = call_concurrently(
        Batcher(model, max_batch_size=16, window_ms=200), [[i] for i in range(6)]
    )
    assert results == {i: [2 * i] for i in range(6)}
    assert len(model.batches) <= 2


@pytest.mark.parametrize("callers", [1, 3, 17])
def test_no_call_is_lost(callers: int) -> None:
    model = Recorder(seconds=0.001)
    batcher = Batcher(model, max_batch_size=5)
    for _ in range(5):
        results = call_concurrently(batcher, [[i] for i in range(callers)])
        assert results == {i: [2 * i] for i in range(callers)}
