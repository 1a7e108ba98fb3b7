"""Augmentation: the shift benchmark's kinds, drawn per version, the same for the same seed."""

import numpy as np
from PIL import Image

from celestial.pipeline.augment import ORDER, augment, augmented_copies
from celestial.pipeline.params import AugmentParams
from celestial.pipeline.shifts import KINDS
from celestial.preprocessing import Preprocessor
from celestial.render import render_body


def params(unchanged: float = 0.0, **changes: tuple[float, float, float]) -> AugmentParams:
    return AugmentParams.model_validate({
        "copies": 2,
        "unchanged": unchanged,
        "changes": {kind: {"probability": p, "range": [low, high]}
                    for kind, (p, low, high) in changes.items()},
    })  # fmt: skip


IMAGE = render_body("Jupiter", np.random.default_rng(0), size=96)


def test_every_kind_but_the_turn_is_applied_in_a_fixed_order() -> None:
    assert sorted(ORDER) == sorted(kind for kind in KINDS if kind != "rotated")


def test_unchanged_versions_are_only_turned_and_mirrored() -> None:
    version = augment(IMAGE, np.random.default_rng(1), params(unchanged=1.0, darker=(1, 0.3, 0.3)))
    assert version.size == IMAGE.size
    brightest = np.asarray(version.convert("L")).max()
    assert brightest >= np.asarray(IMAGE.convert("L")).max() - 20, "not darkened"


def test_a_change_applies_with_its_probability_and_band() -> None:
    darker = params(darker=(1.0, 0.3, 0.3))
    version = augment(IMAGE, np.random.default_rng(1), darker)
    ratio = np.asarray(version, float).sum() / np.asarray(IMAGE, float).sum()
    assert 0.25 < ratio < 0.35, "every version is darkened to 30 %"
    never = augment(IMAGE, np.random.default_rng(1), params(darker=(0.0, 0.3, 0.3)))
    assert np.asarray(never, float).sum() / np.asarray(IMAGE, float).sum() > 0.9


def test_versions_depend_only_on_the_seed() -> None:
    settings = params(darker=(0.5, 0.3, 1.0), blurred=(0.5, 0.0, 3.0), jpeg=(0.5, 6, 30))
    images: list[Image.Image] = [IMAGE, IMAGE.rotate(90)]
    first = augmented_copies(images, Preprocessor(24), settings, copies=3, seed=5)
    again = augmented_copies(images, Preprocessor(24), settings, copies=3, seed=5)
    other = augmented_copies(images, Preprocessor(24), settings, copies=3, seed=6)
    assert first.shape == (3, 2, 24, 24, 3)
    assert first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(first[0], first[1]), "each version is drawn apart"
