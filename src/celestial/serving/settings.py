"""Serving settings, read from CELESTIAL_* environment variables (typed, validated at start-up).

Training knobs live in params.yaml because DVC versions them; these are deployment knobs, which a
container or a Kubernetes manifest sets per environment. The defaults were chosen with
benchmarks/sweep.py (docs/tuning.md).
"""

from functools import cache
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    threads: PositiveInt = Field(
        8, description="Threads per worker decoding images over inline_max_pixels and batches."
    )
    inline_max_pixels: PositiveInt = Field(
        512 * 512,
        description="Images up to this size are decoded on the event loop; larger ones in a "
        "thread, so that decoding them does not hold up other requests.",
    )
    inline_max_images: Annotated[int, Field(ge=0)] = Field(
        1,
        description="Batches of at most this many images run the model on the event loop; "
        "larger ones in the model's own thread (0: every batch there).",
    )
    inference_threads: PositiveInt = Field(
        1, description="Threads LiteRT may use for one batch of the model."
    )
    monitoring: bool = Field(
        True,
        description="Write a record per classified image (BentoML's monitoring) and count the "
        "predictions on /metrics.",
    )
    monitoring_dir: str = Field(
        "monitoring",
        description="Where BentoML's default monitor writes the records (JSON lines), relative "
        "to the server's working directory unless absolute.",
    )
    embedding_share: Annotated[float, Field(ge=0, le=1)] = Field(
        0.25,
        description="Share of records that carry the image's embedding (the costliest field).",
    )
    capture_dir: str | None = Field(
        None,
        description="Keep uploads that need a person's look here, for labelling (off when "
        "unset): those flagged out of distribution or under capture_confidence, and a "
        "capture_sample share of the rest. Relative to the working directory unless absolute.",
    )
    capture_confidence: Annotated[float, Field(ge=0, le=1)] = Field(
        0.6, description="Uploads whose top probability is under this are kept."
    )
    capture_sample: Annotated[float, Field(ge=0, le=1)] = Field(
        0.02, description="Share of the other uploads kept, to estimate the real accuracy."
    )
    capture_max_images: PositiveInt = Field(
        10_000, description="No more uploads are kept once the folder holds this many."
    )
    capture_max_bytes: PositiveInt = Field(
        1024 * MEGABYTE, description="No more uploads are kept once the folder holds this much."
    )
    api_key: SecretStr | None = Field(
        None, description="When set, every endpoint but health, metrics and docs needs this key."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Web origins allowed to call the API from a browser, comma-separated; "
        "none by default (CORS off).",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


@cache
def serving_settings() -> ServingSettings:
    """The settings of this process, read once."""
    return ServingSettings()
