"""The prediction records' hand-over: the worker's PredictionLog, a real record writer process,
and what happens when the writer falls behind or dies."""

import asyncio
import io
import os
import pickle
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from bentoml._internal.context import trace_context
from bentoml._internal.monitoring import api
from prometheus_client import REGISTRY

from celestial.monitoring.records import read_records
from celestial.preprocessing import Tone
from celestial.serving import prediction_log
from celestial.serving.prediction_log import PredictionLog
from celestial.serving.record_files import JsonLinesMonitor
from celestial.serving.record_writer import (
    Image,
    RecordWriter,
    Request,
    WriterConfig,
    configure,
    serve,
)
from celestial.serving.uploads import Prepared

PREDICTION = {"prediction": "Mars", "probabilities": {"Mars": 0.75, "Moon": 0.25},
              "novelty": 0.5, "in_distribution": True}  # fmt: skip
MODEL_INPUT = np.full((32, 32, 3), 51, np.uint8)
TONE = Tone(brightness=0.2, contrast=0.05)


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BentoML's monitoring set to the project's JSON lines under a folder of the test's."""
    monkeypatch.setattr(api, "_MONITOR_INSTANCES", {})  # BentoML caches monitors by name
    folder = tmp_path / "records"
    configure(config(folder))
    return folder


def config(folder: Path) -> WriterConfig:
    """A writer's configuration: BentoML's monitoring set to JSON lines under `folder`."""
    monitoring = {"enabled": True, "type": JsonLinesMonitor.TYPE,
                  "options": {"log_path": str(folder)}}  # fmt: skip
    return WriterConfig("m:1", 1.0, monitoring, 0, "CelestialClassifier", "test")


def new_log(embedding_share: float) -> PredictionLog:
    return PredictionLog(model_tag="m:1", threshold=1.0, embedding_share=embedding_share)


def failures() -> float:
    return REGISTRY.get_sample_value("celestial_prediction_record_failures_total") or 0.0


def test_the_writer_writes_a_record_per_image_with_its_request_s_ids(records: Path) -> None:
    embedding = np.arange(4, dtype=np.float32)
    requests = [
        Request(7, 0xABC, 0x1, 1_700_000_000.0, "predict",
                [Image(PREDICTION, 64, 48, "JPEG", TONE, embedding)]),
        Request(8, 0xDEF, 0x2, 1_700_000_001.0, "predict_batch",
                [Image(PREDICTION, 32, 32, "PNG", TONE, None)] * 2),
    ]  # fmt: skip
    serve(io.BytesIO(pickle.dumps(requests)), RecordWriter(config(records)))
    written = list(read_records(records))
    assert [(r["request_id"], r["trace_id"], r["image_index"]) for r in written] == [
        ("7", str(0xABC), 0), ("8", str(0xDEF), 0), ("8", str(0xDEF), 1)]  # fmt: skip
    first = written[0]
    assert (first["time"], first["endpoint"], first["model_tag"]) == (
        "2023-11-14T22:13:20.000+00:00", "predict", "m:1")  # fmt: skip
    assert (first["width"], first["height"], first["format"]) == (64, 48, "JPEG")
    assert first["brightness"] == pytest.approx(0.2, abs=0.001)
    assert (first["top_probability"], first["in_distribution"]) == (0.75, True)
    assert first["embedding"] == [0.0, 1.0, 2.0, 3.0]
    assert written[1]["embedding"] is None


def note(log: PredictionLog, request_id: int) -> None:
    trace_context.request_id = request_id
    prepared = Prepared(MODEL_INPUT, TONE, 32, 32, "PNG")
    log.note("predict", [PREDICTION], [prepared], [np.zeros(4, np.float32)])


async def written(folder: Path, count: int, timeout: float = 20) -> list[dict]:
    """The records under `folder` once there are `count` (the writer takes a moment to start)."""
    deadline = time.monotonic() + timeout
    while len(found := list(read_records(folder))) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return found


def test_records_reach_a_real_writer_process_in_order(records: Path) -> None:
    async def run() -> list[dict]:
        log = PredictionLog(model_tag="m:1", threshold=1.0, embedding_share=0.5)
        for request_id in range(1, 51):
            note(log, request_id)
            await asyncio.sleep(0)  # a turn of the loop: the notes leave
        await log.close()
        assert log._writer.returncode == 0, "the writer finished at the end of its input"
        return list(read_records(records))

    found = asyncio.run(run())
    assert [int(r["request_id"]) for r in found] == list(range(1, 51))
    assert 0 < sum(r["embedding"] is None for r in found) < 50, "half the embeddings, sampled"


def test_a_writer_that_falls_behind_loses_records_not_requests(
    records: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopped writer: the pipe fills, then the backlog up to its bound; beyond, the records
    are dropped and counted; once the writer runs again, all the others are written."""
    monkeypatch.setattr(prediction_log, "MAX_BACKLOG_BYTES", 20_000)
    before = failures()

    async def run() -> tuple[list[dict], float]:
        log = PredictionLog(model_tag="m:1", threshold=1.0, embedding_share=0.0)
        note(log, 1)
        await asyncio.sleep(0)
        assert len(await written(records, 1)) == 1
        os.kill(log._writer.pid, signal.SIGSTOP)
        started = time.monotonic()
        for request_id in range(2, 1002):  # ~0.5 MB: more than the pipe and the backlog hold
            note(log, request_id)  # never blocks, however far behind the writer is
            await asyncio.sleep(0)
        noting = time.monotonic() - started
        os.kill(log._writer.pid, signal.SIGCONT)
        await log.close()
        return list(read_records(records)), noting

    found, noting = asyncio.run(run())
    lost = failures() - before
    assert 0 < lost < 1000
    assert len(found) == 1001 - lost
    ids = [int(r["request_id"]) for r in found]
    assert ids == sorted(ids), "what is kept stays in order"
    assert noting < 5, "1000 notes to a stopped writer took seconds: something blocked"


def test_a_writer_that_dies_is_started_again(
    records: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = failures()

    async def run() -> list[dict]:
        log = PredictionLog(model_tag="m:1", threshold=1.0, embedding_share=0.0)
        note(log, 1)
        await asyncio.sleep(0)
        assert len(await written(records, 1)) == 1
        log._writer.kill()
        log._writer.wait()
        note(log, 2)  # too soon after the start to start it again: lost, and counted
        await asyncio.sleep(0)
        monkeypatch.setattr(prediction_log, "RESTART_SECONDS", 0.0)
        note(log, 3)  # started again
        await asyncio.sleep(0)
        await log.close()
        return list(read_records(records))

    found = asyncio.run(run())
    assert [int(r["request_id"]) for r in found] == [1, 3]
    assert failures() - before == 1


def test_another_monitor_type_gets_each_request_s_ids_from_its_context(records: Path) -> None:
    """BentoML's own default monitor (through Python logging) takes ids only from the context:
    one cycle per request, each with its request's ids set."""
    other = config(records)
    other.monitoring["type"] = "default"
    configure(other)
    requests = [
        Request(request_id, 0x100 + request_id, 0x1, 1_700_000_000.0, "predict",
                [Image(PREDICTION, 32, 32, "PNG", TONE, None)])
        for request_id in (21, 22)
    ]  # fmt: skip
    serve(io.BytesIO(pickle.dumps(requests)), RecordWriter(other))
    written = list(read_records(records))
    assert [(r["request_id"], r["trace_id"]) for r in written] == [
        ("21", str(0x115)), ("22", str(0x116))]  # fmt: skip


def test_an_input_cut_inside_a_hand_over_ends_the_writer_quietly(records: Path) -> None:
    image = Image(PREDICTION, 32, 32, "PNG", TONE, None)
    whole = pickle.dumps([Request(31, 0x1, 0x1, 1_700_000_000.0, "predict", [image])])
    serve(io.BytesIO(whole + whole[: len(whole) // 2]), RecordWriter(config(records)))
    assert [r["request_id"] for r in read_records(records)] == ["31"]
