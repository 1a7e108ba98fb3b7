"""The model's input and output contract, stored with the model as BentoML custom objects.

`Preprocessor` turns any decoded PIL image into the array the model takes; `Postprocessor` turns
the model's output into a labelled result. Training, evaluation and serving all call these same
objects, so there is one definition of preprocessing and no train/serve skew. They are plain
classes of an importable module: pickled by reference, they load wherever the package is installed
(a Bento includes it) and do not depend on the Python or cloudpickle version that saved them.
"""

from dataclasses import dataclass, field
from typing import NamedTuple, TypedDict

import numpy as np
from PIL import Image

from celestial.framing import Locator, square_around, working_copy
from celestial.novelty import NoveltyScorer

# ITU-R 601 luma weights, as Pillow's convert("L") uses them.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


class Tone(NamedTuple):
    """How bright and how contrasted an upload is, before preprocessing normalises both."""

    brightness: float  # mean luminance, 0 (black) to 1 (white)
    contrast: float  # standard deviation of luminance, 0 to 0.5


class PredictionDict(TypedDict):
    """One image's result as `Postprocessor` returns it; the API's `Prediction` validates it."""

    prediction: str
    probabilities: dict[str, float]
    novelty: float
    in_distribution: bool


@dataclass(frozen=True)
class Preprocessor:
    """PIL image of any size and mode -> uint8 array (image_size, image_size, 3): the body framed,
    its exposure and contrast normalised, its colour amplified.

    1. Upright (EXIF orientation), RGB, box-reduced to about twice the model's input
       (`framing.working_copy`): a large upload costs little more than a small one.
    2. The body is located (`framing.Locator`) and framed in a square `margin` wider than it on
       each side (`framing.square_around`): its size and place in the picture stop mattering.
    3. The sky level is subtracted and the scale set so that the body's bright level becomes
       `level`: halving the light or the contrast, or a grey sky, is undone up to rounding and
       clipping.
    4. Differences from each pixel's grey are multiplied by `chroma`: the Moon and Mercury differ
       by a slight tint that the network otherwise learns unreliably.
    Scaling to [0, 1] happens inside the model.
    """

    image_size: int
    margin: float = 0.06
    level: float = 200.0
    chroma: float = 2.0
    locate: Locator = field(default_factory=Locator)

    def __call__(self, image: Image.Image) -> np.ndarray:
        return self.with_tone(image)[0]

    def with_tone(self, image: Image.Image) -> tuple[np.ndarray, Tone]:
        """The model's input, and the upload's tone as measured on the way (for monitoring:
        the model's input no longer shows it)."""
        work = working_copy(image, 2 * self.image_size)
        body = self.locate(work)
        framed = square_around(body, work, margin=self.margin, size=self.image_size)
        pixels = np.asarray(framed, dtype=np.float32)
        pixels -= body.sky
        pixels *= self.level / (body.bright - body.sky)
        if self.chroma != 1.0:
            grey = (pixels @ LUMA)[..., None]
            pixels = grey + self.chroma * (pixels - grey)
        pixels += 0.5  # round, not truncate
        array = np.clip(pixels, 0, 255, out=pixels).astype(np.uint8)
        return array, Tone(body.brightness, body.contrast)


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
