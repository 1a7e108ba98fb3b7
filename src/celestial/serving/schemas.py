"""What the service's endpoints take and return, typed: the OpenAPI document comes from here."""

from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import BaseModel, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema
from starlette.datastructures import UploadFile

EXAMPLE_PROBABILITIES = {"Earth": 0.002, "Jupiter": 0.001, "Mars": 0.981, "Mercury": 0.004,
                         "Moon": 0.003, "Neptune": 0.001, "Pluto": 0.004, "Saturn": 0.001,
                         "Uranus": 0.001, "Venus": 0.002}  # fmt: skip


class Upload(PurePosixPath):
    """An uploaded file, kept in memory: `data` holds its bytes.

    BentoML copies every file of a `pathlib.Path` field to a temporary file before the endpoint
    runs, and the endpoint reads it back: for a batch of small images, a large share of the
    request's time (`make profile` measured it). To BentoML this type is a file field all the same
    (a PurePath: multipart, a file input in the Swagger UI), but it validates itself: the bytes
    come from the parsed form, which Starlette keeps in memory up to 1 MB a file, and are never
    written again. Its path is the name "upload": client file names are not used.
    """

    data: bytes

    @classmethod
    def of(cls, data: bytes) -> "Upload":
        upload = cls("upload")
        upload.data = data
        return upload

    @classmethod
    def _validate(cls, value: object) -> "Upload":
        if isinstance(value, Upload):
            return value
        if isinstance(value, UploadFile):
            return cls.of(value.file.read())  # the parsed form's file: memory or a spooled file
        if isinstance(value, bytes | bytearray):
            return cls.of(bytes(value))
        raise PydanticCustomError(
            "upload_type", "expected an image file sent as multipart/form-data (text is not a file)"
        )

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda u: u.data),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        # As BentoML describes its file fields: "file" is what its Swagger UI shows as a file input.
        if handler.mode == "validation":
            return {"type": "file", "format": "binary"}
        return {"type": "string", "format": "binary"}


ImageUpload = Annotated[
    Upload,
    Field(
        description="An image file: JPEG or PNG (WebP, GIF, BMP and TIFF work too). "
        "Any size up to the request and pixel limits; the body is located, framed and resized."
    ),
]


class Prediction(BaseModel):
    """The predicted label of one image, with the probability of every label."""

    prediction: str = Field(description="The most probable label.", examples=["Mars"])
    probabilities: dict[str, float] = Field(
        description="Probability of each label; they sum to 1.",
        examples=[EXAMPLE_PROBABILITIES],
    )
    novelty: float = Field(
        description="How unlike the training images this one is (Mahalanobis distance of its "
        "embedding to the nearest class); higher is less familiar.",
        examples=[7.9],
    )
    in_distribution: bool = Field(
        description="False when novelty exceeds the threshold calibrated in training (see "
        "/metadata): the image is probably none of the labels, whatever `prediction` says.",
        examples=[True],
    )


class ModelMetadata(BaseModel):
    """What is being served: the model, its labels and input, and how well it did in training."""

    model_tag: str = Field(examples=["celestial_bodies_classifier:4hp3g2yk5slqmax4"])
    created_at: datetime
    labels: list[str] = Field(examples=[list(EXAMPLE_PROBABILITIES)])
    input_size: list[int] = Field(description="Height, width, channels.", examples=[[64, 64, 3]])
    training_metrics: dict[str, float] = Field(examples=[{"val_accuracy": 0.99, "val_loss": 0.03}])
    novelty_threshold: float = Field(
        description="Novelty above this is flagged out of distribution; calibrated in "
        "training to keep a set share of held-out images of the known labels in distribution.",
        examples=[12.2],
    )
    git_commit: str | None = Field(description="The commit the model was trained from.")
    data_version: str | None = Field(
        description="DVC's md5 of the data the model was trained on (data/raw), as "
        "data/raw.dvc and dvc.lock record it.",
        examples=["36730f2b1e7beaaff234c7154e8eca14.dir"],
    )
    project_version: str = Field(description="Version of the package serving the model.")
    limits: dict[str, Any] = Field(description="Request limits this server enforces.")


class ErrorResponse(BaseModel):
    """The body of every 4xx and 5xx response."""

    status: int = Field(examples=[415])
    error: str = Field(examples=["Unsupported Media Type"])
    message: str = Field(examples=["PPM images are not supported; send one of BMP, GIF, JPEG, ..."])
    detail: list[dict[str, Any]] | None = Field(
        None, description="For malformed requests: each field and its problem."
    )
