"""The model's input and output contract, stored with the model as BentoML custom objects.

`Preprocessor` turns any decoded PIL image into the array the model takes; `Postprocessor` turns
the model's output into a labelled result. Training, evaluation and serving all call these same
objects, so there is one definition of preprocessing and no train/serve skew. They are plain
classes of an importable module: pickled by reference, they load wherever the package is installed
(a Bento includes it) and do not depend on the Python or cloudpickle version that saved them.
"""

from dataclasses import dataclass
from typing import TypedDict

import numpy as np
from PIL import Image, ImageOps

from celestial.novelty import NoveltyScorer

# Space is black: padding to a square and flattening transparency both use the background colour.
BACKGROUND = (0, 0, 0)


class PredictionDict(TypedDict):
    """One image's result as `Postprocessor` returns it; the API's `Prediction` validates it."""

    prediction: str
    probabilities: dict[str, float]
    novelty: float
    in_distribution: bool


@dataclass(frozen=True)
class Preprocessor:
    """PIL image of any size and mode -> uint8 array of shape (image_size, image_size, 3).

    The image is turned upright (EXIF), converted to RGB, padded with black to a square so that a
    round body stays round, and resized. Scaling to [0, 1] happens inside the model.
    """

    image_size: int

    def __call__(self, image: Image.Image) -> np.ndarray:
        image = to_rgb(ImageOps.exif_transpose(image))
        image = ImageOps.pad(
            image,
            (self.image_size, self.image_size),
            method=Image.Resampling.BILINEAR,
            color=BACKGROUND,
        )
        return np.asarray(image, dtype=np.uint8)


@dataclass(frozen=True)
class Postprocessor:
    """The model's outputs for a batch -> one labelled result per image.

    `outputs` holds "probabilities" (n, labels) and "embedding" (n, dimensions); each result is
    {"prediction": label, "probabilities": {label: p}, "novelty": score, "in_distribution": bool}.
    """

    labels: tuple[str, ...]
    novelty: NoveltyScorer

    def __call__(self, outputs: dict[str, np.ndarray]) -> list[PredictionDict]:
        probabilities = outputs["probabilities"]
        if probabilities.ndim != 2 or probabilities.shape[1] != len(self.labels):
            raise ValueError(
                f"expected (n, {len(self.labels)}) probabilities, got {probabilities.shape}"
            )
        novelty = self.novelty.scores(outputs["embedding"])
        best = np.argmax(probabilities, axis=1)
        # Python floats via tolist(): exactly float(value), without a numpy scalar per value.
        return [
            {
                "prediction": self.labels[index],
                "probabilities": dict(zip(self.labels, row, strict=True)),
                "novelty": score,
                "in_distribution": score <= self.novelty.threshold,
            }
            for index, row, score in zip(
                best.tolist(), probabilities.tolist(), novelty.tolist(), strict=True
            )
        ]


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB; transparency becomes background, 16-bit data is rescaled."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = _to_8bit(image)
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", image.size, BACKGROUND)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _to_8bit(image: Image.Image) -> Image.Image:
    """Scale 16-bit (0..65535) or float (0..1) single-channel data to 0..255."""
    values = np.asarray(image, dtype=np.float64)
    top = 1.0 if image.mode == "F" else 65535.0
    return Image.fromarray(np.clip(values / top * 255.0, 0, 255).round().astype(np.uint8), "L")
