"""What a stored model refers to by import path must stay importable, or stored models stop loading.

BentoML pickles a model's `preprocess` and `postprocess` with cloudpickle, by reference: a model
saved today names the classes below, and loading it imports them from these exact paths. Moving
one of them breaks every model already in a store or a DVC remote, so a move must be a deliberate
change to this list, with a way for old models to load.
"""

import importlib
import io
import pickle

import cloudpickle
import numpy as np

from celestial.novelty import fit_novelty
from celestial.preprocessing import Postprocessor, Preprocessor

STORED_PATHS = {
    "celestial.preprocessing.Preprocessor",
    "celestial.framing.Locator",
    "celestial.preprocessing.Postprocessor",
    "celestial.novelty.NoveltyScorer",
}


class _Recorder(pickle.Unpickler):
    """Unpickles, noting the module.name of every class or function the pickle refers to."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self.referred: set[str] = set()

    def find_class(self, module: str, name: str) -> object:
        self.referred.add(f"{module}.{name}")
        return super().find_class(module, name)


def pickled_globals(data: bytes) -> set[str]:
    recorder = _Recorder(data)
    recorder.load()
    return recorder.referred


def test_custom_objects_refer_to_the_stored_paths() -> None:
    embeddings = np.random.default_rng(0).normal(size=(20, 4))
    novelty = fit_novelty(embeddings, np.arange(20) % 2, num_classes=2)
    objects = {
        "preprocess": Preprocessor(image_size=32),
        "postprocess": Postprocessor(labels=("a", "b"), novelty=novelty),
    }
    referred = pickled_globals(cloudpickle.dumps(objects))
    assert {name for name in referred if name.startswith("celestial.")} == STORED_PATHS


def test_the_stored_paths_import() -> None:
    for path in STORED_PATHS:
        module, name = path.rsplit(".", 1)
        assert isinstance(getattr(importlib.import_module(module), name), type), path
