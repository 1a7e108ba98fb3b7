"""Preparer: where an upload is decoded (on the event loop, or in a thread when it is large) and
what a client hears when it cannot be."""

import asyncio
import threading

import numpy as np
import pytest
from bentoml.exceptions import BentoMLException
from PIL import Image

from celestial.preprocessing import Preprocessor, Tone
from celestial.serving.schemas import Upload
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


def prepare(uploads: list[Upload]) -> tuple[list[np.ndarray], RecordingPreprocessor]:
    recorder = RecordingPreprocessor()
    preparer = Preparer(
        recorder, max_pixels=10_000_000, inline_max_pixels=INLINE_MAX_PIXELS, threads=2
    )

    async def all_of_them() -> list[np.ndarray]:
        prepared = [await preparer(upload, f"images[{i}]") for i, upload in enumerate(uploads)]
        return [item.array for item in prepared]

    return asyncio.run(all_of_them()), recorder


def upload(size: int, fmt: str = "PNG", cut: int = 0) -> Upload:
    data = encode(disc(size), fmt)
    return Upload.of(data[: len(data) - cut])


def test_small_images_are_decoded_on_the_loop_large_ones_in_a_thread():
    arrays, recorder = prepare([upload(100), upload(101)])
    assert [a.shape for a in arrays] == [(16, 16, 3), (16, 16, 3)]
    on_loop, in_thread = recorder.threads
    assert on_loop is threading.main_thread()  # asyncio.run runs the loop in this thread
    assert in_thread is not threading.main_thread()


def test_both_ways_give_the_same_array():
    (inline,), _ = prepare([upload(100)])
    big = disc(100).resize((200, 200), Image.Resampling.NEAREST)
    (threaded,), recorder = prepare([Upload.of(encode(big, "PNG"))])
    assert recorder.threads[0] is not threading.main_thread()
    assert np.abs(inline.astype(int) - threaded.astype(int)).max() <= 2  # resampling rounding


@pytest.mark.parametrize("size", [64, 300], ids=["on the loop", "in a thread"])
def test_a_corrupt_image_is_a_400_naming_it(size: int):
    with pytest.raises(BentoMLException) as raised:
        prepare([upload(64), upload(size, "JPEG", cut=200)])
    assert raised.value.error_code == 400
    assert "images[1]: the image is corrupt or truncated" in str(raised.value)


def test_a_batch_is_decoded_in_one_thread_and_names_its_bad_image():
    recorder = RecordingPreprocessor()
    preparer = Preparer(recorder, max_pixels=10_000, inline_max_pixels=10_000, threads=2)
    good = [upload(32), upload(48)]
    prepared = asyncio.run(preparer.many(good, "images"))
    assert [item.array.shape for item in prepared] == [(16, 16, 3), (16, 16, 3)]
    assert len(set(recorder.threads)) == 1
    assert recorder.threads[0] is not threading.main_thread()
    with pytest.raises(BentoMLException) as raised:
        asyncio.run(preparer.many([*good, upload(200)], "images"))
    assert raised.value.error_code == 413
    assert "images[2]: the image is 200x200 = 40,000 pixels" in str(raised.value)


@pytest.mark.parametrize(("width", "height"), [(200, 300), (300, 80), (64, 64)])
def test_facts_describe_the_upload_not_the_model_input(width, height):
    """The tone is the upload's as sent: preprocessing normalises the model's input."""
    pixels = np.full((height, width, 3), 40, np.uint8)
    pixels[: height // 2] = 120  # two tones: mean 80, standard deviation 40
    two_tone = Upload.of(encode(Image.fromarray(pixels), "PNG"))
    preparer = Preparer(Preprocessor(16), max_pixels=10**6, inline_max_pixels=10**6, threads=1)
    facts = asyncio.run(preparer(two_tone, "image")).facts()
    assert (facts.width, facts.height, facts.format) == (width, height, "PNG")
    assert facts.brightness == pytest.approx(80 / 255, abs=0.01)
    assert facts.contrast == pytest.approx(40 / 255, abs=0.01)
