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
    image = Image.new("RGBA", (16, 16), (255, 255, 255, 0))
    image.putpixel((8, 8), (255, 255, 255, 255))
    array = preprocess(image)
    assert array[0, 0].tolist() == [0, 0, 0]
    assert array[8, 8].tolist() == [255, 255, 255]


def test_non_square_is_padded_not_stretched() -> None:
    wide = Image.new("RGB", (64, 32), (255, 255, 255))
    array = preprocess(wide)
    assert array[0].max() == 0, "a black band above"
    assert array[-1].max() == 0, "a black band below"
    assert array[8].min() == 255, "the image fills the middle rows"


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (32, 16), (0, 0, 0))
    image.paste((255, 0, 0), (0, 0, 16, 16))  # red on the left half
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display after rotating 90 degrees clockwise
    rotated = Image.open(io.BytesIO(encode(image, "JPEG", exif=exif)))
    array = preprocess(rotated)
    top, bottom = array[4:6, 4:12, 0].mean(), array[10:12, 4:12, 0].mean()
    assert top > 200 > 50 > bottom, "red ends up on top once upright"


def test_same_image_same_array() -> None:
    image = disc(40)
    assert np.array_equal(preprocess(image), preprocess(image.copy()))


# Two classes at 0 and 10 on the first of two embedding dimensions, unit spread, threshold 3.
NOVELTY = NoveltyScorer(
    whitening=np.eye(2), centres=np.array([[0.0, 0.0], [10.0, 0.0]]), threshold=3
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
