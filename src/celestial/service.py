"""The BentoML service: classify uploaded images with the model from the BentoML model store.

Endpoints: POST /predict (one image), POST /predict_batch (several), GET /metadata; BentoML adds
/livez, /readyz, /metrics and the Swagger UI at /. Settings come from CELESTIAL_* environment
variables (celestial.settings); client mistakes get 4xx in one JSON shape (celestial.http_errors).

The endpoints are coroutines: a request is decoded and batched on the event loop, and the model
runs each batch in a thread of its own, or on the loop when the batch is one image
(celestial.batching). On 2 cores, BentoML's synchronous endpoints lost a quarter of their
throughput to handing each request to a thread and back (docs/tuning.md). Images too large to
decode in a blink, and a batch request's images, are decoded in a thread
(celestial.uploads.Preparer).
"""

import gc
import logging
from collections.abc import Callable
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Annotated

import bentoml
import numpy as np
from fastapi import FastAPI
from PIL import Image
from pydantic import Field

import celestial
from celestial.batching import Batcher
from celestial.http_errors import BodyLimit, ErrorEnvelope, client_error
from celestial.inference import Classifier
from celestial.openapi import OpenApiErrors
from celestial.schemas import ModelMetadata, Prediction
from celestial.security import ApiKeyAuth, cors_config
from celestial.settings import serving_settings
from celestial.uploads import Preparer
from celestial.uploads import install as install_upload_guard

log = logging.getLogger(__name__)

settings = serving_settings()
install_upload_guard()

ImageUpload = Annotated[
    Path,
    Field(
        description="An image file: JPEG or PNG (WebP, GIF, BMP and TIFF work too). "
        "Any size up to the request and pixel limits; it is padded to a square and resized."
    ),
]

# GET routes: BentoML's @bentoml.api endpoints are POST only.
routes = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@bentoml.service(
    workers=settings.workers,
    threads=settings.threads,
    traffic={"timeout": 30},
    http={"cors": cors_config(settings.cors_origins)},
)
@bentoml.asgi_app(routes)
class CelestialClassifier:
    """Predicts which celestial body an image shows, with a probability for every label."""

    model = bentoml.models.BentoModel(settings.model_tag)

    def __init__(self) -> None:
        self._ready = False
        self.classifier = load_classifier()
        self.prepare = preparer(self.classifier.preprocess)
        self.batcher = Batcher(
            self.classifier.predict_arrays,
            max_batch_size=settings.batch_max_size,
            window_ms=settings.batch_window_ms,
            inline_max_items=settings.inline_max_images,
        )
        self._warm_up()
        freeze_heap()
        self._ready = True
        log.info("serving %s", self.model.tag)

    def __is_ready__(self) -> bool:
        """/readyz: true once the model is loaded and has made one real prediction."""
        return self._ready

    @bentoml.api
    async def predict(self, image: ImageUpload) -> Prediction:
        """Classify one image (multipart field `image`)."""
        (result,) = await self.batcher([await self.prepare(image, "image")])
        return Prediction.model_validate(result)

    @bentoml.api
    async def predict_batch(
        self,
        images: Annotated[list[ImageUpload], Field(description="Repeat the field per image.")],
    ) -> list[Prediction]:
        """Classify several images (repeated multipart field `images`); results keep their order."""
        if len(images) > settings.max_batch_images:
            raise client_error(
                f"{len(images)} images in one request; the limit is {settings.max_batch_images}",
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        arrays = await self.prepare.many(images, "images")
        return [Prediction.model_validate(result) for result in await self.batcher(arrays)]

    @routes.get("/metadata", tags=["Service APIs"])
    def metadata(self) -> ModelMetadata:
        """The model being served: tag, creation time, labels, input size and training metrics."""
        info = self.model.info
        return ModelMetadata(
            model_tag=str(self.model.tag),
            created_at=info.creation_time,
            labels=list(info.metadata["class_names"]),
            input_size=list(info.metadata["input_size"]),
            training_metrics=info.metadata.get("metrics", {}),
            novelty_threshold=self.classifier.postprocess.novelty.threshold,
            git_commit=info.metadata.get("git_commit"),
            project_version=celestial.__version__,
            limits={
                "max_request_bytes": settings.max_request_bytes,
                "max_image_pixels": settings.max_image_pixels,
                "max_batch_images": settings.max_batch_images,
            },
        )

    def _warm_up(self) -> None:
        """One real prediction, so the first request does not pay for allocating the model."""
        height, width, _ = self.classifier.input_shape
        self.classifier.predict_arrays([np.zeros((height, width, 3), dtype=np.uint8)])


def preparer(preprocess: Callable[[Image.Image], np.ndarray]) -> Preparer:
    """Uploads -> model inputs, with this server's limits (the benchmark's floor uses it too)."""
    return Preparer(
        preprocess,
        max_pixels=settings.max_image_pixels,
        inline_max_pixels=settings.inline_max_pixels,
        threads=settings.threads,
    )


@cache
def load_classifier() -> Classifier:
    """The served model, loaded once per process (see the call at import, below)."""
    model = CelestialClassifier.inner.model.resolve()
    return Classifier.from_store(model, threads=settings.inference_threads)


def freeze_heap() -> None:
    """Exempt everything built at start-up from garbage collection.

    The libraries a worker loads leave hundreds of thousands of long-lived objects; every full
    collection walked them all, pausing the worker for 30-350 ms (measured under load) and
    stalling every request in flight. Frozen, they are never scanned again.
    """
    gc.collect()
    gc.freeze()


# Load the model at import, so that in the process that starts the server a broken model stops
# `bentoml serve` with its error and a non-zero exit (found first in a worker's __init__, the same
# error makes BentoML restart the worker every 10 s, forever). A worker imports this module too,
# and its __init__ then reuses what the import loaded.
load_classifier()

# Outermost first: the key is checked before a byte of the body is read, then an oversized body is
# refused; ErrorEnvelope, inside them, rewrites BentoML's and the endpoints' errors into one shape.
if settings.api_key is not None:
    CelestialClassifier.add_asgi_middleware(ApiKeyAuth, key=settings.api_key.get_secret_value())
CelestialClassifier.add_asgi_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
CelestialClassifier.add_asgi_middleware(ErrorEnvelope)
CelestialClassifier.add_asgi_middleware(OpenApiErrors, api_key=settings.api_key is not None)
