"""Training-time augmentation: the training images changed at random, before preprocessing.

The changes are the shift benchmark's own kinds (`celestial.pipeline.shifts.change`), drawn from
bands broader than the benchmark's: what preprocessing cannot undo (clipping, blur, noise,
compression, low resolution, a body cut off by the frame) has to be learnt, and a model trained
only on the benchmark's bands would be tuned to them. Augmenting the decoded image rather than
the model's input lets every change go through the same preprocessing as an upload does.
"""

from collections.abc import Sequence

import numpy as np
from PIL import Image

from celestial.pipeline.params import AugmentParams
from celestial.pipeline.shifts import change
from celestial.preprocessing import Preprocessor

# The order a camera imposes: the scene (framing, light), the optics, the sensor, then the file.
ORDER = ("smaller", "larger", "off_centre", "darker", "brighter", "low_contrast",
         "blurred", "noisy", "low_resolution", "jpeg")  # fmt: skip


def augment(image: Image.Image, rng: np.random.Generator, params: AugmentParams) -> Image.Image:
    """One random version of `image`: turned by any angle and mirrored half the time, then
    (unless it is one of the `unchanged` share) changed by each kind with its probability."""
    image = change(image, "rotated", float(rng.uniform(0, 360)), rng)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if rng.random() < params.unchanged:
        return image
    for kind in ORDER:
        if (settings := params.changes.get(kind)) and rng.random() < settings.probability:
            image = change(image, kind, float(rng.uniform(*settings.range)), rng)
    return image


def augmented_copies(
    images: Sequence[Image.Image],
    preprocess: Preprocessor,
    params: AugmentParams,
    *,
    copies: int,
    seed: int,
) -> np.ndarray:
    """`copies` augmented, preprocessed versions of every image: uint8 (copies, n, h, w, 3).
    Version c of image i depends only on (seed, c, i)."""
    return np.stack([
        np.stack([
            preprocess(augment(image, np.random.default_rng([seed, copy, i]), params))
            for i, image in enumerate(images)
        ])
        for copy in range(copies)
    ])  # fmt: skip
