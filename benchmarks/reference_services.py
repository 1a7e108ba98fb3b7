"""The two references `make bench` measures our service against, in the same setup.

- Floor: the framework's own limit. Endpoints written as ours are (coroutines working on the
  event loop) that decode and preprocess the uploads exactly as /predict and /predict_batch do and
  answer with responses of the same shape, without running any model.
- Naive: the same model served the way the upstream guide serves it: the Keras model (stored
  beside the LiteRT one), `model.predict` on each request, no batching.

Both take the same settings (workers, threads, limits), middleware and start-up (a frozen heap)
as celestial.serving.service (celestial.serving.startup).
"""

from typing import Annotated

import bentoml
import numpy as np
from pydantic import Field

from celestial.imaging import open_image
from celestial.serving.openapi import info
from celestial.serving.schemas import ImageUpload, Prediction
from celestial.serving.settings import serving_settings
from celestial.serving.startup import freeze_heap, install_middleware
from celestial.serving.uploads import Preparer
from celestial.store import load_keras_model

settings = serving_settings()

SERVICE_OPTIONS = {
    "workers": settings.workers,
    "threads": settings.threads,
    "traffic": {"timeout": 30},
}


@bentoml.service(**SERVICE_OPTIONS)
class Floor:
    model = bentoml.models.BentoModel(settings.model_tag)

    def __init__(self) -> None:
        # The framework's limit: decoding and preprocessing as ours does, no model, no records.
        unmonitored = settings.model_copy(update={"monitoring": False})
        self.prepare = Preparer.from_settings(self.model.custom_objects["preprocess"], unmonitored)
        self.labels = self.model.custom_objects["postprocess"].labels
        freeze_heap()

    @bentoml.api
    async def predict(self, image: ImageUpload) -> Prediction:
        await self.prepare(image, "image")
        return self._answer()

    @bentoml.api
    async def predict_batch(
        self,
        images: Annotated[list[ImageUpload], Field(description="Repeat the field per image.")],
    ) -> list[Prediction]:
        return [self._answer() for _ in await self.prepare.many(images, "images")]

    def _answer(self) -> Prediction:
        uniform = 1 / len(self.labels)
        return Prediction(
            prediction=self.labels[0],
            probabilities=dict.fromkeys(self.labels, uniform),
            novelty=0.0,
            in_distribution=True,
        )


@bentoml.service(**SERVICE_OPTIONS)
class Naive:
    model = bentoml.models.BentoModel(settings.model_tag)

    def __init__(self) -> None:
        self.keras_model = load_keras_model(self.model)
        self.preprocess = self.model.custom_objects["preprocess"]
        self.postprocess = self.model.custom_objects["postprocess"]
        self.keras_model.predict(np.zeros((1, *self.keras_model.input_shape[1:]), np.uint8))
        freeze_heap()

    @bentoml.api
    def predict(self, image: ImageUpload) -> Prediction:
        array = self.preprocess(open_image(image.data, max_pixels=settings.max_image_pixels))
        outputs = self.keras_model.predict(array[None], verbose=0)
        return Prediction.model_validate(self.postprocess(outputs)[0])


for service in (Floor, Naive):
    install_middleware(service, settings, info=info(model=settings.model_tag))
