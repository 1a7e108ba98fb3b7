"""Augmentation: the shift benchmark's kinds, drawn per version, the same for the same seed."""

import numpy as np
from PIL import Image

from celestial.pipeline.augment import ORDER, augment, augmented_copies
from celestial.pipeline.params import AugmentParams
from celestial.pipeline.recipe import augmented_epochs
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


def test_each_epoch_trains_on_every_image_once_in_its_own_version() -> None:
    copies, count = 3, 10
    versions = np.zeros((copies, count, 2, 2, 3), np.uint8)
    versions[..., 0] = np.arange(copies)[:, None, None, None]  # a pixel says its version
    versions[..., 1] = np.arange(count)[None, :, None, None]  # and its image
    targets = np.arange(count) % 4
    batches, steps = augmented_epochs(versions, targets, batch_size=4, epochs=5, seed=0)
    assert steps == 3  # 4 + 4 + 2 images
    seen = [(images.numpy(), labels.numpy()) for images, labels in batches]
    assert len(seen) == 5 * steps
    orders = []
    for epoch in range(5):
        images = np.concatenate([b[0] for b in seen[epoch * steps : (epoch + 1) * steps]])
        labels = np.concatenate([b[1] for b in seen[epoch * steps : (epoch + 1) * steps]])
        assert set(images[:, 0, 0, 0]) == {epoch % copies}
        assert sorted(images[:, 0, 0, 1]) == list(range(count))
        assert list(labels) == list(targets[images[:, 0, 0, 1]])
        orders.append(list(images[:, 0, 0, 1]))
    assert len({tuple(order) for order in orders}) == 5, "every epoch is shuffled anew"
    again, _ = augmented_epochs(versions, targets, batch_size=4, epochs=5, seed=0)
    assert all(np.array_equal(a[0].numpy(), b[0]) for a, b in zip(again, seen, strict=True))
