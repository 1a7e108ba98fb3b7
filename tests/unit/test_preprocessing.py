import io

import numpy as np
import pytest
from PIL import Image

from celestial.novelty import NoveltyScorer
from celestial.preprocessing import Postprocessor, Preprocessor
from images import disc, encode

preprocess = Preprocessor(image_size=16)


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "LA", "P", "CMYK", "1", "I;16", "I", "F"])
def test_every_mode_becomes_uint8_rgb(mode: str) -> None:
    array = preprocess(disc(32).convert(mode) if mode not in ("I;16", "I", "F") else _deep(mode))
    assert array.shape == (16, 16, 3)
    assert array.dtype == np.uint8
    assert array[8, 8].max() > 0, "the bright centre survives"
    assert array[0, 0].max() == 0, "the black corner stays black"


def _deep(mode: str) -> Image.Image:
    """A disc in 16-bit or float data, full scale at the centre."""
    grey = np.asarray(disc(32).convert("L"), dtype=np.float64) / 255
    if mode == "F":
        return Image.fromarray(grey.astype(np.float32), "F")
    return Image.fromarray((grey * 65535).astype(np.uint16)).convert(mode)


@pytest.mark.parametrize("mode", ["I;16", "F"])
def test_deep_data_is_rescaled_not_clipped(mode: str) -> None:
    expected = preprocess(disc(32).convert("L"))[8, 8, 0]
    assert abs(int(preprocess(_deep(mode))[8, 8, 0]) - int(expected)) <= 1


def test_transparency_becomes_black_background() -> None:
    image = Image.new("RGBA", (32, 32), (255, 255, 255, 0))  # white, but transparent
    image.putalpha(Image.fromarray((np.asarray(disc(32).convert("L")) > 0).astype(np.uint8) * 255))
    array = preprocess(image)
    assert array[0, 0].tolist() == [0, 0, 0], "transparent: black sky"
    assert array[8, 8].min() > 150, "opaque: the white body"


def textured(size: int = 96) -> np.ndarray:
    """A banded disc (a planet with a pattern) spanning 60 % of a black square, float RGB."""
    yy, xx = np.mgrid[:size, :size] + 0.5
    inside = (xx - size / 2) ** 2 + (yy - size / 2) ** 2 < (0.3 * size) ** 2
    bands = 0.75 + 0.25 * np.sin(yy / size * 24)
    pixels = np.zeros((size, size, 3))
    pixels[inside] = np.array([200.0, 150.0, 90.0]) * bands[inside][:, None]
    return pixels


def image_of(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of the two preprocessed arrays, in grey levels."""
    big = Preprocessor(image_size=32)
    return float(np.abs(big(a).astype(float) - big(b).astype(float)).mean())


def test_a_smaller_off_centre_body_is_framed_like_a_centred_one() -> None:
    body = image_of(textured(96))
    small = Image.new("RGB", (96, 96))
    small.paste(body.resize((48, 48), Image.Resampling.LANCZOS), (40, 6))
    shrunk_in_place = Image.new("RGB", (96, 96))
    shrunk_in_place.paste(body.resize((48, 48), Image.Resampling.LANCZOS), (24, 24))
    assert difference(body, small) < 6
    assert difference(small, shrunk_in_place) < 1, "where the body is does not matter"
    plain = Preprocessor(image_size=32, margin=0.06)(body)
    assert plain[16, 16].max() > 0, "the body in the middle"
    assert plain[0, 0].max() == 0, "framed with a black margin"


def test_exposure_and_contrast_are_normalised() -> None:
    pixels = textured(96)
    darker = image_of(pixels * 0.5)
    hazy = image_of(pixels * 0.5 + 40)  # half the contrast over a grey sky
    assert difference(image_of(pixels), darker) < 2
    assert difference(image_of(pixels), hazy) < 2
    dim = Preprocessor(image_size=32, chroma=1.0, level=200)(image_of(pixels * 0.3))
    luminance = dim @ np.array([0.299, 0.587, 0.114])
    body = luminance[luminance > 30]
    assert np.quantile(body, 0.9) == pytest.approx(200, abs=10), "the body's bright level is set"


def test_a_body_cut_off_by_the_frame_is_placed_from_its_uncut_side() -> None:
    pixels = textured(96)
    cut = pixels.copy()
    cut[:, 70:] = 0  # the frame ends inside the body: only the left part shows
    cut_array = Preprocessor(image_size=32, chroma=1.0)(image_of(cut[:, :70]))
    whole_array = Preprocessor(image_size=32, chroma=1.0)(image_of(pixels))
    left = np.s_[:, :12]  # the body's left edge lies where a whole body's does
    assert np.abs(cut_array[left].astype(float) - whole_array[left]).mean() < 10


@pytest.mark.parametrize("value", [0, 128, 255])
def test_a_flat_picture_gives_a_flat_array(value: int) -> None:
    array = preprocess(Image.new("RGB", (40, 30), (value,) * 3))
    assert array.shape == (16, 16, 3)
    assert array.min() == array.max()


def test_colour_is_amplified_around_grey() -> None:
    tinted = image_of(np.where(textured(64) > 0, 0, 0) + textured(64) * [1.0, 0.95, 0.9])
    plain = Preprocessor(image_size=16, chroma=1.0)(tinted).astype(float)
    amplified = Preprocessor(image_size=16, chroma=2.0)(tinted).astype(float)
    spread = lambda a: (a.max(axis=2) - a.min(axis=2))[8, 8]  # noqa: E731
    assert spread(amplified) == pytest.approx(2 * spread(plain), abs=2)


def test_a_large_upload_is_reduced_before_framing() -> None:
    # Reduced by whole factors to twice the input (64 px here): the same pixels as the original.
    huge = image_of(textured(64)).resize((1536, 1536), Image.Resampling.NEAREST)
    assert difference(image_of(textured(64)), huge) < 1


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (64, 32), (0, 0, 0))
    image.paste((255, 0, 0), (4, 4, 28, 28))  # red on the left
    image.paste((0, 255, 0), (36, 4, 60, 28))  # green on the right
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display after rotating 90 degrees clockwise
    rotated = Image.open(io.BytesIO(encode(image, "PNG", exif=exif)))
    array = Preprocessor(image_size=16, chroma=1.0)(rotated).astype(float)
    top, bottom = array[:8].mean(axis=(0, 1)), array[8:].mean(axis=(0, 1))
    assert top[0] > top[1], "red ends up on top once upright"
    assert bottom[1] > bottom[0], "green at the bottom"


def test_same_image_same_array() -> None:
    image = disc(40)
    assert np.array_equal(preprocess(image), preprocess(image.copy()))


# Two classes at 0 and 10 on the first of two embedding dimensions, unit spread, threshold 3.
NOVELTY = NoveltyScorer(
    whitenings=np.stack([np.eye(2), np.eye(2)]),
    centres=np.array([[0.0, 0.0], [10.0, 0.0]]),
    threshold=3,
)


def test_postprocess_labels_each_image_and_scores_its_novelty() -> None:
    postprocess = Postprocessor(labels=("Earth", "Mars", "Venus"), novelty=NOVELTY)
    outputs = {
        "probabilities": np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1]], dtype=np.float32),
        "embedding": np.array([[1.0, 0.0], [5.0, 4.0]], dtype=np.float32),
    }
    first, second = postprocess(outputs)
    assert first["prediction"] == "Mars"
    assert list(first["probabilities"]) == ["Earth", "Mars", "Venus"]
    assert sum(first["probabilities"].values()) == pytest.approx(1.0)
    assert all(type(p) is float for p in first["probabilities"].values())
    assert first["novelty"] == pytest.approx(1.0)
    assert first["in_distribution"] is True
    assert second["prediction"] == "Earth"
    assert second["novelty"] == pytest.approx(np.hypot(5, 4))
    assert second["in_distribution"] is False


def test_postprocess_rejects_a_wrong_shape() -> None:
    with pytest.raises(ValueError, match=r"expected \(n, 3\) probabilities"):
        Postprocessor(labels=("a", "b", "c"), novelty=NOVELTY)(
            {"probabilities": np.ones((1, 4)), "embedding": np.zeros((1, 2))}
        )
