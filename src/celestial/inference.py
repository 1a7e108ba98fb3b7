"""Prediction with a stored model: the one path used by evaluation, tests and the service.

It runs the LiteRT flatbuffer the train stage stores beside the Keras model: no TensorFlow is
imported here, so the service starts without it.
"""

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import bentoml
import numpy as np
from ai_edge_litert.interpreter import Interpreter
from PIL import Image

from celestial.preprocessing import PredictionDict
from celestial.store import SIGNATURE, TFLITE_FILE


class ModelLoadError(RuntimeError):
    """A stored model that cannot be served: a file missing, unreadable or not what it claims."""


class LiteModel:
    """A model converted for LiteRT: uint8 image batches in, named output arrays out."""

    def __init__(self, model: bytes, *, threads: int = 1) -> None:
        interpreter = Interpreter(model_content=model, num_threads=threads)
        self._runner = interpreter.get_signature_runner(SIGNATURE)
        ((self._input, image),) = self._runner.get_input_details().items()
        self.input_shape = tuple(int(d) for d in image["shape_signature"][1:])
        self._lock = threading.Lock()  # an interpreter runs one batch at a time

    def outputs(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Preprocessed uint8 images (n, h, w, 3) -> the model's outputs: "probabilities" (n,
        classes) and "embedding" (n, dimensions)."""
        if batch.shape[1:] != self.input_shape or batch.dtype != np.uint8:
            raise ValueError(
                f"expected uint8 images of shape {self.input_shape}, "
                f"got {batch.dtype} {batch.shape[1:]}"
            )
        with self._lock:  # the runner resizes its input to the batch, and returns copies
            return self._runner(**{self._input: batch})


class Classifier:
    """A converted model with its stored preprocess and postprocess."""

    def __init__(
        self,
        model: LiteModel,
        *,
        preprocess: Callable[[Image.Image], np.ndarray],
        postprocess: Callable[[dict[str, np.ndarray]], list[PredictionDict]],
    ) -> None:
        self.model = model
        self.preprocess = preprocess
        self.postprocess = postprocess

    @property
    def input_shape(self) -> tuple[int, ...]:
        """(height, width, channels) of one preprocessed image."""
        return self.model.input_shape

    @classmethod
    def from_store(cls, bento_model: bentoml.Model, *, threads: int = 1) -> "Classifier":
        """The classifier of a stored model; ModelLoadError says which part of it is broken."""
        path = Path(bento_model.path_of(TFLITE_FILE))
        try:
            model = LiteModel(path.read_bytes(), threads=threads)
        except (OSError, ValueError, RuntimeError) as error:
            raise ModelLoadError(f"model {bento_model.tag}: {path}: {error}") from error
        try:
            custom = bento_model.custom_objects
            preprocess, postprocess = custom["preprocess"], custom["postprocess"]
        except Exception as error:  # unpickling a damaged file can raise anything
            raise ModelLoadError(
                f"model {bento_model.tag}: preprocess/postprocess in {bento_model.path}: "
                f"{type(error).__name__}: {error}"
            ) from error
        return cls(model, preprocess=preprocess, postprocess=postprocess)

    def outputs(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Preprocessed uint8 images (n, h, w, 3) -> the model's outputs (see LiteModel)."""
        return self.model.outputs(batch)

    def predict(self, images: Sequence[Image.Image]) -> list[PredictionDict]:
        """Decoded PIL images -> labelled predictions, in order."""
        return self.predict_arrays([self.preprocess(image) for image in images])

    def predict_arrays(self, arrays: Sequence[np.ndarray]) -> list[PredictionDict]:
        """Preprocessed images -> labelled predictions, in order."""
        return self.postprocess(self.outputs(np.stack(arrays)))

    def predict_with_embeddings(
        self, arrays: Sequence[np.ndarray]
    ) -> list[tuple[PredictionDict, np.ndarray]]:
        """Preprocessed images -> (labelled prediction, embedding) per image, in order."""
        outputs = self.outputs(np.stack(arrays))
        return list(zip(self.postprocess(outputs), outputs["embedding"], strict=True))
