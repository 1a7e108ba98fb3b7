"""The everyday shifts of the shift benchmark: each changes an image the way its name says, at a
strength drawn from its band, the same way for the same seed."""

import numpy as np
import pytest
from PIL import Image, ImageOps

from celestial.pipeline.shifts import KINDS, SEVERITY, shift, shifted_set
from celestial.preprocessing import Preprocessor
from celestial.render import KNOWN_BODIES, render_body


def disc(size: int = 128, colour=(200, 120, 60)) -> Image.Image:
    """A lit disc spanning 60 % of a black square: a body as the renders show one."""
    yy, xx = np.mgrid[:size, :size]
    inside = (xx - size / 2 + 0.5) ** 2 + (yy - size / 2 + 0.5) ** 2 < (0.3 * size) ** 2
    pixels = np.zeros((size, size, 3), np.uint8)
    pixels[inside] = colour
    return Image.fromarray(pixels)


def lit(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")) > 30


def centroid(image: Image.Image) -> np.ndarray:
    return np.argwhere(lit(image)).mean(axis=0)


def draw(kind: str, seed: int = 0) -> Image.Image:
    return shift(disc(), kind, np.random.default_rng(seed))


def test_every_kind_keeps_the_size_and_gives_rgb() -> None:
    for kind in KINDS:
        changed = draw(kind)
        assert (changed.size, changed.mode) == ((128, 128), "RGB"), kind


def test_exposure_scales_the_light() -> None:
    low, high = SEVERITY["darker"]
    ratio = np.asarray(draw("darker"))[64, 64, 0] / 200
    assert low - 0.01 <= ratio <= high + 0.01
    brighter = np.asarray(draw("brighter"))[64, 64]
    assert brighter[0] == 255, "the brightest channel clips at white"
    low, high = SEVERITY["brighter"]
    assert low - 0.01 <= brighter[1] / 120 <= high + 0.01


def test_geometric_shifts_move_and_scale_the_body() -> None:
    area = lit(disc()).sum()
    low, high = SEVERITY["smaller"]
    assert low**2 - 0.05 < lit(draw("smaller")).sum() / area < high**2 + 0.05
    assert lit(draw("larger")).sum() > area * SEVERITY["larger"][0] ** 2 * 0.9
    moved = np.linalg.norm(centroid(draw("off_centre")) - centroid(disc())) / 128
    assert moved > SEVERITY["off_centre"][0] * 0.7  # part of the disc leaves the frame


def test_degradations_lose_detail_but_keep_the_mean() -> None:
    clean = np.asarray(disc(), np.float32)
    for kind in ("blurred", "noisy", "jpeg", "low_resolution", "low_contrast"):
        changed = np.asarray(draw(kind), np.float32)
        assert np.abs(changed - clean).mean() > 1, f"{kind} changed nothing"
        assert abs(changed.mean() - clean.mean()) < 0.25 * clean.mean(), kind


def test_a_set_is_the_same_for_the_same_seed_and_differs_per_image() -> None:
    images = [disc()] * 3
    first = [np.asarray(i) for i in shifted_set(images, "noisy", seed=1)]
    again = [np.asarray(i) for i in shifted_set(images, "noisy", seed=1)]
    assert all((a == b).all() for a, b in zip(first, again, strict=True))
    assert not (first[0] == first[1]).all(), "each image gets its own draw"


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown shift 'sepia'"):
        shift(disc(), "sepia", np.random.default_rng(0))


# The shifts preprocessing undoes, and how close to the unshifted input it must bring each: mean
# absolute difference of the model's input, as a share of what plain padding and resizing leaves.
UNDONE = {"darker": 0.2, "brighter": 0.5, "low_contrast": 0.2, "smaller": 0.35, "off_centre": 0.45}


@pytest.mark.parametrize("kind", sorted(UNDONE))
def test_preprocessing_undoes_the_shifts_it_can(kind: str) -> None:
    """Framing and exposure normalisation bring a shifted render's model input back close to the
    unshifted one's; plain padding and resizing (the model's input before) leaves it far."""
    framed, padded = Preprocessor(image_size=48), _padded(48)
    ours, plain = [], []
    for index, body in enumerate(KNOWN_BODIES):
        image = render_body(body, np.random.default_rng([7, index]), size=128)
        changed = shift(image, kind, np.random.default_rng([8, index]))
        ours.append(_distance(framed, image, changed))
        plain.append(_distance(padded, image, changed))
    assert np.mean(ours) < UNDONE[kind] * np.mean(plain), (np.mean(ours), np.mean(plain))


def _padded(size: int):
    return lambda image: np.asarray(ImageOps.pad(image.convert("RGB"), (size, size)))


def _distance(preprocess, image: Image.Image, changed: Image.Image) -> float:
    return float(np.abs(preprocess(image).astype(float) - preprocess(changed)).mean())
