"""Prediction with a stored model: the one path used by evaluation, tests and the service."""

from collections.abc import Callable, Sequence

import bentoml
import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from celestial.preprocessing import Prediction
from celestial.store import load_keras_model

# Large enough to keep the CPU busy, small enough to bound memory on a big evaluation set.
CHUNK = 256


class Classifier:
    """A model from the store with its stored preprocess and postprocess.

    The forward pass is one compiled TensorFlow graph with a fixed input signature: `model.predict`
    builds a dataset and an iterator on every call, which costs tens of milliseconds per request.
    """

    def __init__(
        self,
        model: keras.Model,
        *,
        preprocess: Callable[[Image.Image], np.ndarray],
        postprocess: Callable[[dict[str, np.ndarray]], list[Prediction]],
    ) -> None:
        self.preprocess = preprocess
        self.postprocess = postprocess
        self.input_shape = tuple(model.input_shape[1:])
        self._forward = tf.function(
            lambda batch: model(batch, training=False),
            input_signature=[tf.TensorSpec((None, *self.input_shape), tf.uint8)],
        )

    @classmethod
    def from_store(cls, bento_model: bentoml.Model) -> "Classifier":
        return cls(
            load_keras_model(bento_model),
            preprocess=bento_model.custom_objects["preprocess"],
            postprocess=bento_model.custom_objects["postprocess"],
        )

    def outputs(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Preprocessed uint8 images (n, h, w, 3) -> the model's outputs: "probabilities" (n,
        classes) and "embedding" (n, dimensions)."""
        if batch.shape[1:] != self.input_shape:
            raise ValueError(f"expected images of shape {self.input_shape}, got {batch.shape[1:]}")
        chunks = [
            {name: value.numpy() for name, value in self._forward(tf.constant(part)).items()}
            for part in np.split(batch, range(CHUNK, len(batch), CHUNK))
        ]
        return {name: np.concatenate([chunk[name] for chunk in chunks]) for name in chunks[0]}

    def predict(self, images: Sequence[Image.Image]) -> list[Prediction]:
        """Decoded PIL images -> labelled predictions, in order."""
        return self.predict_arrays([self.preprocess(image) for image in images])

    def predict_arrays(self, arrays: Sequence[np.ndarray]) -> list[Prediction]:
        """Preprocessed images -> labelled predictions, in order."""
        return self.postprocess(self.outputs(np.stack(arrays)))
