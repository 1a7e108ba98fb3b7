"""Which uploads the service keeps for labelling, within its limits, and that failing to keep one
is counted, never raised."""

import threading
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from celestial.labelling.captures import (
    LOW_CONFIDENCE,
    OUT_OF_DISTRIBUTION,
    SAMPLE,
    read_captures,
    sha256,
    usage,
)
from celestial.serving.capture import Capturer, Original, reason_to_keep

SURE = {"Mars": 0.97, "Venus": 0.03}
UNSURE = {"Mars": 0.55, "Venus": 0.45}
IMAGE = Original(b"\xff\xd8 not really a JPEG", "JPEG", 24, 24)


def prediction(probabilities: dict = SURE, in_distribution: bool = True) -> dict:
    label = max(probabilities, key=probabilities.get)
    return {"prediction": label, "probabilities": probabilities, "novelty": 3.0,
            "in_distribution": in_distribution}  # fmt: skip


@pytest.mark.parametrize(
    ("probabilities", "in_distribution", "draw", "expected"),
    [
        (SURE, False, 0.9, OUT_OF_DISTRIBUTION),
        (UNSURE, False, 0.9, OUT_OF_DISTRIBUTION),  # the stronger reason wins
        (UNSURE, True, 0.9, LOW_CONFIDENCE),
        (SURE, True, 0.01, SAMPLE),
        (SURE, True, 0.5, None),
    ],
)
def test_what_is_kept_and_why(probabilities, in_distribution, draw, expected) -> None:
    reason = reason_to_keep(
        prediction(probabilities, in_distribution), confidence=0.6, sample=0.02, draw=draw
    )
    assert reason == expected


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def capturer(directory: Path, **limits) -> Capturer:
    settings = {"max_images": 100, "max_bytes": 10**6, **limits}
    return Capturer(directory, model_tag="model:1", confidence=0.6, sample=0.0,
                    draw=lambda: 0.5, **settings)  # fmt: skip


def test_a_kept_upload_is_stored_with_its_prediction_record(tmp_path: Path) -> None:
    keeper = capturer(tmp_path)
    keeper.offer([prediction(UNSURE), prediction(SURE)], [IMAGE, IMAGE])
    keeper.close()
    ((capture, image),) = read_captures(tmp_path)
    assert image.read_bytes() == IMAGE.data
    assert image.suffix == ".jpg"
    assert capture.sha256 == sha256(IMAGE.data)
    assert (capture.prediction, capture.reason, capture.model_tag) == (
        "Mars",
        LOW_CONFIDENCE,
        "model:1",
    )
    assert capture.probabilities == UNSURE
    assert (capture.width, capture.height, capture.format) == (24, 24, "JPEG")


def test_limits_on_count_and_bytes_are_kept_and_counted(tmp_path: Path) -> None:
    before = metric("celestial_captures_skipped_total", reason="limit")
    by_count = capturer(tmp_path / "count", max_images=2)
    by_bytes = capturer(tmp_path / "bytes", max_bytes=len(IMAGE.data) + 100)
    for keeper in (by_count, by_bytes):
        keeper.offer([prediction(UNSURE)] * 4, [IMAGE] * 4)
        keeper.close()
    assert usage(tmp_path / "count")[0] == 2
    assert usage(tmp_path / "bytes")[0] == 1  # the first fits; then the folder is full
    assert metric("celestial_captures_skipped_total", reason="limit") - before == 2 + 3


def test_a_write_error_is_counted_not_raised(tmp_path: Path) -> None:
    blocked = tmp_path / "a file where the folder should be"
    blocked.write_text("")
    before = metric("celestial_capture_failures_total")
    keeper = capturer(blocked)
    keeper.offer([prediction(UNSURE)], [IMAGE])
    keeper.close()
    assert metric("celestial_capture_failures_total") - before == 1


def test_a_full_queue_drops_without_waiting(tmp_path: Path) -> None:
    keeper = Capturer(tmp_path, model_tag="m", confidence=0.6, sample=0, max_images=100,
                      max_bytes=10**6, queue_size=1)  # fmt: skip
    release = threading.Event()
    keeper.write = lambda *_: release.wait(5)  # a writer stuck on a slow disk
    before = metric("celestial_captures_skipped_total", reason="queue_full")
    keeper.offer([prediction(UNSURE)] * 5, [IMAGE] * 5)  # one being written, one queued
    assert metric("celestial_captures_skipped_total", reason="queue_full") - before >= 3
    release.set()
    keeper.close()


def test_an_unexpected_error_while_offering_is_counted_not_raised(tmp_path: Path) -> None:
    before = metric("celestial_capture_failures_total")
    capturer(tmp_path).offer([{"prediction": "Mars"}], [IMAGE])  # a malformed prediction
    assert metric("celestial_capture_failures_total") - before == 1
