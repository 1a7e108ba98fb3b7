"""params.yaml, parsed once into frozen, typed settings.

Every knob of the project lives in params.yaml; this module gives each one a type and a range, so
that a typo or an impossible value stops the run at load time with a message naming the key.
"""

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from celestial.errors import UserError
from celestial.pipeline.shifts import KINDS

PARAMS_FILE = Path("params.yaml")


class ConfigError(UserError):
    """params.yaml is missing, unreadable or holds a value out of range."""


Fraction = Annotated[float, Field(gt=0, lt=1)]
PositiveInt = Annotated[int, Field(gt=0)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BaseParams(_Section):
    """Settings shared by every stage."""

    seed: int = Field(ge=0)
    image_size: Annotated[int, Field(ge=16, le=512)]
    model_name: str = Field(pattern=r"^[a-z0-9_]+$")


class PathParams(_Section):
    """Where each stage reads and writes, relative to the project root (dvc.yaml uses them too)."""

    raw: Path
    prepared: Path
    model: Path
    train_reports: Path
    eval_reports: Path
    leave_out_reports: Path
    reference: Path

    @property
    def split_file(self) -> Path:
        return self.prepared / "split.csv"

    @property
    def report_file(self) -> Path:
        return self.prepared / "report.json"


class RenderParams(_Section):
    """The synthetic default dataset that `make data` renders when data/raw is empty."""

    images_per_class: PositiveInt
    image_size: Annotated[int, Field(ge=32, le=1024)]
    seed: int = Field(ge=0)


class PrepareParams(_Section):
    """How the images are split; each class is split in the same proportions."""

    val_fraction: Fraction
    test_fraction: Fraction

    @model_validator(mode="after")
    def _leaves_training_data(self) -> "PrepareParams":
        if self.val_fraction + self.test_fraction >= 1:
            raise ValueError("val_fraction + test_fraction must leave images for training")
        return self


class ChangeParams(_Section):
    """One kind of change in augmentation: how often, and the band its strength is drawn from
    (the units of `celestial.pipeline.shifts.SEVERITY`)."""

    probability: Annotated[float, Field(ge=0, le=1)]
    range: tuple[float, float]

    @model_validator(mode="after")
    def _ordered(self) -> "ChangeParams":
        if self.range[0] > self.range[1]:
            raise ValueError("range must be [low, high] with low <= high")
        return self


class AugmentParams(_Section):
    """How the training images are changed at random before preprocessing (pipeline/augment.py).

    Each training image gets `copies` changed versions; each epoch trains on one of them in turn.
    Every version is turned and mirrored at random; `unchanged` of them stop there; the rest get
    each kind of change with its own probability, several possibly combined."""

    copies: PositiveInt
    unchanged: Annotated[float, Field(ge=0, le=1)]
    changes: dict[str, ChangeParams]

    @model_validator(mode="after")
    def _known_kinds(self) -> "AugmentParams":
        kinds = [kind for kind in KINDS if kind != "rotated"]  # every version is turned anyway
        if unknown := sorted(set(self.changes) - set(kinds)):
            raise ValueError(f"unknown kinds {unknown}; expected some of {', '.join(kinds)}")
        return self


class TrainParams(_Section):
    """A fixed schedule: the learning rate decays along a cosine to 1 % over `epochs`."""

    epochs: PositiveInt
    batch_size: PositiveInt
    learning_rate: Annotated[float, Field(gt=0, lt=1)]
    filters: Annotated[tuple[PositiveInt, ...], Field(min_length=1)]
    dense_units: PositiveInt
    dropout: Annotated[float, Field(ge=0, lt=1)]
    augment: AugmentParams


class PreprocessParams(_Section):
    """The preprocessing stored with the model (celestial.preprocessing.Preprocessor)."""

    margin: Annotated[float, Field(ge=0, le=1)]  # space around the framed body, per side
    level: Annotated[float, Field(gt=0, le=255)]  # the body's bright level after normalising
    chroma: Annotated[float, Field(ge=0, le=8)]  # colour amplification around grey


class NoveltyParams(_Section):
    """The novelty threshold keeps `keep` of the held-out known images in distribution, each
    changed `calibration_copies` times as training changes them: everyday shifts of known bodies
    are what the threshold must let through."""

    keep: Fraction
    calibration_copies: PositiveInt


class LeaveOutParams(_Section):
    """The leave_out stage: classes split into `folds` groups, each left out of one training."""

    folds: Annotated[int, Field(ge=2, le=20)]


class ShiftParams(_Section):
    """The shift_benchmark stage (kinds and severities: celestial.pipeline.shifts)."""

    reports: Path


class MonitoringParams(_Section):
    """The reference stage: the profile production is compared with, and the drift thresholds."""

    window: Annotated[int, Field(ge=20)]  # records in a window the thresholds are calibrated for
    min_records: Annotated[int, Field(ge=10)]  # fewer in a window: "not enough data"
    embedding_share: Annotated[float, Field(gt=0, le=1)]  # records carrying their embedding
    false_alarm: Fraction  # share of in-distribution windows allowed to raise drift
    resamples: Annotated[int, Field(ge=40)]  # windows drawn to calibrate (half to check)

    @model_validator(mode="after")
    def _window_holds_the_minimum(self) -> "MonitoringParams":
        if self.min_records > self.window:
            raise ValueError("min_records must not exceed window")
        return self


class Params(_Section):
    base: BaseParams
    paths: PathParams
    render: RenderParams
    prepare: PrepareParams
    preprocess: PreprocessParams
    train: TrainParams
    novelty: NoveltyParams
    leave_out: LeaveOutParams
    shifts: ShiftParams
    monitoring: MonitoringParams

    @property
    def model_export(self) -> Path:
        """The exported model file that DVC versions (dvc.yaml names it the same way)."""
        return self.paths.model / f"{self.base.model_name}.bentomodel"


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and validate params.yaml; raise ConfigError naming each wrong key."""
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"{path} has invalid values:\n{_describe(error)}") from None


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        got = "" if problem["type"] == "missing" else f" (got {problem['input']!r})"
        lines.append(f"  {key}: {problem['msg']}{got}")
    return "\n".join(lines)
