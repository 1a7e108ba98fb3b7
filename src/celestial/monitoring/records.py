"""A prediction record: what the service notes of every image it classifies, never the image.

The service writes one per image through BentoML's monitoring (JSON lines by default); the
reference stage makes the same records from held-out images; the drift report reads both.
"""

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from celestial.preprocessing import PredictionDict, Tone

# Compared between the reference and a window of production records.
NUMERICAL = ("top_probability", "entropy", "novelty", "brightness", "contrast", "width", "height")
CATEGORICAL = ("prediction", "format", "in_distribution")
IMAGE_NUMBERS = ("width", "height", "brightness", "contrast")
EMBEDDING = "embedding"


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What the upload itself looks like, before any preprocessing."""

    width: int
    height: int
    format: str
    brightness: float  # mean luminance, 0 (black) to 1 (white)
    contrast: float  # standard deviation of the luminance


def image_facts(width: int, height: int, format: str | None, tone: Tone) -> ImageFacts:
    """Size and format as uploaded; tone as `Preprocessor.with_tone` measured it on the upload
    (the model's input is normalised and shows neither)."""
    return ImageFacts(
        width=width,
        height=height,
        format=format or "unknown",
        brightness=round(tone.brightness, 4),
        contrast=round(tone.contrast, 4),
    )


def prediction_fields(prediction: PredictionDict) -> dict:
    """The model's side of a record: its answer, how sure it is, how novel the image is."""
    probabilities = prediction["probabilities"].values()
    return {
        "prediction": prediction["prediction"],
        "top_probability": round(max(probabilities), 6),
        "entropy": round(-sum(p * math.log(p) for p in probabilities if p > 0), 6),
        "novelty": round(prediction["novelty"], 4),
        "in_distribution": prediction["in_distribution"],
    }


def record(prediction: PredictionDict, facts: ImageFacts) -> dict:
    """One image's record, without the ids and times the writer adds."""
    fields = prediction_fields(prediction)
    fields.update(width=facts.width, height=facts.height, format=facts.format,
                  brightness=facts.brightness, contrast=facts.contrast)  # fmt: skip
    return fields


def embedding_field(embedding: np.ndarray) -> list[float]:
    """An embedding as a record holds it: three decimals, plenty for comparing distributions."""
    return np.round(embedding.astype(np.float64), 3).tolist()


def read_records(
    directory: Path, *, since: datetime | None = None, until: datetime | None = None
) -> Iterator[dict]:
    """Records from the JSON lines under `directory` (every worker's files), within a time window
    of their `time` (UTC); lines that are not records are skipped."""
    for path in sorted(directory.rglob("*.log*")):
        if "schema" in path.parts:
            continue
        with path.open() as lines:
            for line in lines:
                try:
                    entry = json.loads(line)
                    moment = datetime.fromisoformat(entry["time"])
                except (ValueError, KeyError, TypeError):
                    continue
                if (since is None or moment >= since) and (until is None or moment < until):
                    yield entry
