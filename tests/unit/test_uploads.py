"""Preparer: where an upload is decoded (on the event loop, or in a thread when it is large) and
what a client hears when it cannot be."""

import asyncio
import threading
from pathlib import Path

import numpy as np
import pytest
from bentoml.exceptions import BentoMLException
from PIL import Image

from celestial.preprocessing import Preprocessor, Tone
from celestial.serving.uploads import Preparer
from images import disc, encode

INLINE_MAX_PIXELS = 100 * 100


class RecordingPreprocessor:
    """The real preprocessing, noting which thread ran it."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.preprocess = Preprocessor(16)

    def with_tone(self, image: Image.Image) -> tuple[np.ndarray, Tone]:
        self.threads.append(threading.current_thread())
        return self.preprocess.with_tone(image)


def prepare(uploads: list[Path]) -> tuple[list[np.ndarray], RecordingPreprocessor]:
    recorder = RecordingPreprocessor()
    preparer = Preparer(
        recorder, max_pixels=10_000_000, inline_max_pixels=INLINE_MAX_PIXELS, threads=2
    )

    async def all_of_them() -> list[np.ndarray]:
        prepared = [await preparer(upload, f"images[{i}]") for i, upload in enumerate(uploads)]
        return [item.array for item in prepared]

    return asyncio.run(all_of_them()), recorder


def upload(tmp_path: Path, size: int, fmt: str = "PNG", cut: int = 0) -> Path:
    data = encode(disc(size), fmt)
    path = tmp_path / f"{size}-{cut}.{fmt.lower()}"
    path.write_bytes(data[: len(data) - cut])
    return path


def test_small_images_are_decoded_on_the_loop_large_ones_in_a_thread(tmp_path: Path):
    arrays, recorder = prepare([upload(tmp_path, 100), upload(tmp_path, 101)])
    assert [a.shape for a in arrays] == [(16, 16, 3), (16, 16, 3)]
    on_loop, in_thread = recorder.threads
    assert on_loop is threading.main_thread()  # asyncio.run runs the loop in this thread
    assert in_thread is not threading.main_thread()


def test_both_ways_give_the_same_array(tmp_path: Path):
    (inline,), _ = prepare([upload(tmp_path, 100)])
    big = Image.open(upload(tmp_path, 100)).resize((200, 200), Image.Resampling.NEAREST)
    path = tmp_path / "big.png"
    path.write_bytes(encode(big, "PNG"))
    (threaded,), recorder = prepare([path])
    assert recorder.threads[0] is not threading.main_thread()
    assert np.abs(inline.astype(int) - threaded.astype(int)).max() <= 2  # resampling rounding


@pytest.mark.parametrize("size", [64, 300], ids=["on the loop", "in a thread"])
def test_a_corrupt_image_is_a_400_naming_it(tmp_path: Path, size: int):
    with pytest.raises(BentoMLException) as raised:
        prepare([upload(tmp_path, 64), upload(tmp_path, size, "JPEG", cut=200)])
    assert raised.value.error_code == 400
    assert "images[1]: the image is corrupt or truncated" in str(raised.value)


def test_a_batch_is_decoded_in_one_thread_and_names_its_bad_image(tmp_path: Path):
    recorder = RecordingPreprocessor()
    preparer = Preparer(recorder, max_pixels=10_000, inline_max_pixels=10_000, threads=2)
    good = [upload(tmp_path, 32), upload(tmp_path, 48)]
    prepared = asyncio.run(preparer.many(good, "images"))
    assert [item.array.shape for item in prepared] == [(16, 16, 3), (16, 16, 3)]
    assert len(set(recorder.threads)) == 1
    assert recorder.threads[0] is not threading.main_thread()
    with pytest.raises(BentoMLException) as raised:
        asyncio.run(preparer.many([*good, upload(tmp_path, 200)], "images"))
    assert raised.value.error_code == 413
    assert "images[2]: the image is 200x200 = 40,000 pixels" in str(raised.value)


@pytest.mark.parametrize(("width", "height"), [(200, 300), (300, 80), (64, 64)])
def test_facts_describe_the_upload_not_the_model_input(tmp_path: Path, width, height):
    """The tone is the upload's as sent: preprocessing normalises the model's input."""
    pixels = np.full((height, width, 3), 40, np.uint8)
    pixels[: height // 2] = 120  # two tones: mean 80, standard deviation 40
    path = tmp_path / "two-tone.png"
    path.write_bytes(encode(Image.fromarray(pixels), "PNG"))
    preparer = Preparer(Preprocessor(16), max_pixels=10**6, inline_max_pixels=10**6, threads=1)
    facts = asyncio.run(preparer(path, "image")).facts()
    assert (facts.width, facts.height, facts.format) == (width, height, "PNG")
    assert facts.brightness == pytest.approx(80 / 255, abs=0.01)
    assert facts.contrast == pytest.approx(40 / 255, abs=0.01)
