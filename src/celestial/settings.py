"""Serving settings, read from CELESTIAL_* environment variables (typed, validated at start-up).

Training knobs live in params.yaml because DVC versions them; these are deployment knobs, which a
container or a Kubernetes manifest sets per environment. The defaults were chosen by `make bench`
on 2 cores (docs/benchmarks.md).
"""

from functools import cache
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PositiveInt = Annotated[int, Field(gt=0)]
MEGABYTE = 1024 * 1024


class ServingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CELESTIAL_", frozen=True, extra="ignore")

    model_tag: str = Field(
        "celestial_bodies_classifier:latest",
        description="The model store tag to serve; packed into the Bento at `bentoml build`.",
    )
    max_request_bytes: PositiveInt = Field(
        10 * MEGABYTE, description="Larger request bodies get 413 before they are read."
    )
    max_image_pixels: PositiveInt = Field(
        40_000_000, description="Larger images get 413 before their pixels are decoded."
    )
    max_batch_images: PositiveInt = Field(64, description="Images allowed in one /predict_batch.")
    batch_max_size: PositiveInt = Field(
        64, description="Most images the model runs at once, gathered across concurrent requests."
    )
    batch_window_ms: Annotated[float, Field(ge=0, le=1000)] = Field(
        0.0, description="How long a batch may wait for more requests once it has one."
    )
    workers: PositiveInt = Field(1, description="Server processes, each with its own model.")
    threads: PositiveInt = Field(8, description="Concurrent requests a worker decodes at once.")
    tf_intra_op_threads: Annotated[int, Field(ge=0)] = Field(
        2, description="TensorFlow threads inside one operation (0: one per core)."
    )
    tf_inter_op_threads: Annotated[int, Field(ge=0)] = Field(
        1, description="TensorFlow operations run in parallel (0: TensorFlow decides)."
    )


@cache
def serving_settings() -> ServingSettings:
    """The settings of this process, read once."""
    return ServingSettings()
