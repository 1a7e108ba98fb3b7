"""The BentoML service: classify uploaded images with the model from the BentoML model store.

Endpoints: POST /predict (one image), POST /predict_batch (several), GET /metadata; BentoML adds
/livez, /readyz, /metrics and the Swagger UI at /. With CELESTIAL_CAPTURE_DIR set, uploads that
need a person's look are kept for labelling (`capture`). The endpoints are coroutines: uploads are
decoded on the event loop (large ones in a thread, `uploads.Preparer`) and batched across
concurrent requests (`batching.Batcher`), because handing every request to a thread and back,
as BentoML's synchronous endpoints do, costs more than the model itself (docs/performance.md).
"""

import logging
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Annotated

import bentoml
import numpy as np
from fastapi import FastAPI
from pydantic import Field

import celestial
from celestial.inference import Classifier
from celestial.preprocessing import PredictionDict
from celestial.serving.batching import Batcher
from celestial.serving.capture import Capturer
from celestial.serving.error_responses import client_error
from celestial.serving.openapi import DESCRIPTION, info
from celestial.serving.prediction_log import PredictionLog
from celestial.serving.record_files import JsonLinesMonitor
from celestial.serving.schemas import ImageUpload, ModelMetadata, Prediction
from celestial.serving.security import cors_config
from celestial.serving.settings import serving_settings
from celestial.serving.startup import freeze_heap, install_middleware
from celestial.serving.uploads import Prepared, Preparer

log = logging.getLogger(__name__)

settings = serving_settings()

# GET routes: BentoML's @bentoml.api endpoints are POST only.
routes = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@bentoml.service(
    description=DESCRIPTION,  # a Bento's README
    workers=settings.workers,
    threads=settings.threads,
    traffic={"timeout": 30},
    http={"cors": cors_config(settings.cors_origins)},
    # Defaults for BentoML's monitoring, which BENTOML_CONFIG may override (e.g. type: otlp).
    monitoring={
        "enabled": settings.monitoring,
        "type": JsonLinesMonitor.TYPE,
        "options": {"log_path": settings.monitoring_dir},
    },
)
@bentoml.asgi_app(routes)
class CelestialClassifier:
    """Predicts which celestial body an image shows, with a probability for every label."""

    model = bentoml.models.BentoModel(settings.model_tag)

    def __init__(self) -> None:
        self._ready = False
        self.classifier = load_classifier()
        self.prepare = Preparer.from_settings(self.classifier.preprocess, settings)
        self.log = prediction_log(str(self.model.tag), self.classifier)
        self.capture = capturer(str(self.model.tag))
        self.batcher = Batcher(
            self.classifier.predict_with_embeddings,
            max_batch_size=settings.batch_max_size,
            window_ms=settings.batch_window_ms,
            inline_max_items=settings.inline_max_images,
        )
        self._warm_up()
        freeze_heap()
        self._ready = True
        log.info("serving %s", self.model.tag)

    @bentoml.on_shutdown
    async def _stop_writers(self) -> None:
        """Write the records and the captured uploads still waiting."""
        if self.log is not None:
            await self.log.close()
        if self.capture is not None:
            self.capture.close()

    def __is_ready__(self) -> bool:
        """/readyz: true once the model is loaded and has made one real prediction."""
        return self._ready

    @bentoml.api
    async def predict(self, image: ImageUpload) -> Prediction:
        """Classify one image (multipart field `image`)."""
        (result,) = await self._classify("predict", [await self.prepare(image, "image")])
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
        prepared = await self.prepare.many(images, "images")
        return [
            Prediction.model_validate(r) for r in await self._classify("predict_batch", prepared)
        ]

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
            data_version=info.metadata.get("data_version"),
            project_version=celestial.__version__,
            limits={
                "max_request_bytes": settings.max_request_bytes,
                "max_image_pixels": settings.max_image_pixels,
                "max_batch_images": settings.max_batch_images,
            },
        )

    async def _classify(self, endpoint: str, prepared: list[Prepared]) -> list[PredictionDict]:
        """Run the images in the next batch; note them (after the response) when monitoring, and
        hand those worth a person's look to the capture writer when capturing."""
        results = await self.batcher([item.array for item in prepared])
        predictions = [prediction for prediction, _ in results]
        if self.log is not None:
            embeddings = [embedding for _, embedding in results]
            self.log.note(endpoint, predictions, prepared, embeddings)
        if self.capture is not None:
            self.capture.offer(predictions, [item.original for item in prepared])
        return predictions

    def _warm_up(self) -> None:
        """One real prediction, so the first request does not pay for allocating the model."""
        height, width, _ = self.classifier.input_shape
        self.classifier.predict_arrays([np.zeros((height, width, 3), dtype=np.uint8)])


def prediction_log(model_tag: str, classifier: Classifier) -> PredictionLog | None:
    """The hand-over to the record writer, unless CELESTIAL_MONITORING is false."""
    if not settings.monitoring:
        return None
    return PredictionLog(
        model_tag=model_tag,
        threshold=classifier.postprocess.novelty.threshold,
        embedding_share=settings.embedding_share,
    )


def capturer(model_tag: str) -> Capturer | None:
    """The capture writer, when CELESTIAL_CAPTURE_DIR is set."""
    if settings.capture_dir is None:
        return None
    return Capturer(
        Path(settings.capture_dir),
        model_tag=model_tag,
        confidence=settings.capture_confidence,
        sample=settings.capture_sample,
        max_images=settings.capture_max_images,
        max_bytes=settings.capture_max_bytes,
    )


@cache
def load_classifier() -> Classifier:
    """The served model, loaded once per process (see the call at import, below)."""
    model = CelestialClassifier.inner.model.resolve()
    return Classifier.from_store(model, threads=settings.inference_threads)


# Load the model at import, so that in the process that starts the server a broken model stops
# `bentoml serve` with its error and a non-zero exit (found first in a worker's __init__, the same
# error makes BentoML restart the worker over and over). A worker imports this module too,
# and its __init__ then reuses what the import loaded.
load_classifier()

install_middleware(
    CelestialClassifier, settings, info=info(model=str(CelestialClassifier.inner.model.tag))
)
