"""The BentoML model store: save a trained model with its custom objects, export it, import it.

The model directory in the store holds the model twice: `model.tflite`, the LiteRT flatbuffer that
evaluation and serving run, and `model.keras`, the Keras model to inspect or train further. Beside
them, BentoML's model.yaml (labels, metadata) and the pickled `preprocess` and `postprocess`
custom objects. The exported `.bentomodel` archive is the file DVC versions, so `dvc pull`
followed by `import_export` restores a model anywhere.
"""

import os
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bentoml
import yaml

from celestial.preprocessing import Postprocessor, Preprocessor

if TYPE_CHECKING:  # Keras (and TensorFlow) only where a model is trained or inspected
    import keras

KERAS_FILE = "model.keras"
TFLITE_FILE = "model.tflite"
SIGNATURE = "serving_default"  # the LiteRT signature: input "image", outputs by name


def save_model(
    name: str,
    keras_model: "keras.Model",
    *,
    tflite_model: bytes,
    preprocess: Preprocessor,
    postprocess: Postprocessor,
    labels: dict[str, str],
    metadata: dict[str, Any],
) -> bentoml.Model:
    """Save into the store; the model appears there (and becomes `latest`) only when complete."""
    with bentoml.models.create(
        name,
        labels=labels,
        metadata=metadata,
        custom_objects={"preprocess": preprocess, "postprocess": postprocess},
    ) as bento_model:
        keras_model.save(bento_model.path_of(KERAS_FILE))
        Path(bento_model.path_of(TFLITE_FILE)).write_bytes(tflite_model)
    return bento_model


def load_keras_model(bento_model: bentoml.Model) -> "keras.Model":
    import keras

    return keras.models.load_model(bento_model.path_of(KERAS_FILE), compile=False)


def export_model(bento_model: bentoml.Model, path: Path) -> None:
    """Write the .bentomodel archive atomically: a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial.bentomodel")
    # An absolute path: BentoML reads a relative one as a URL path from the filesystem root.
    bentoml.models.export_model(bento_model.tag, str(partial.resolve()))
    os.replace(partial, path)


def import_export(path: Path) -> bentoml.Model:
    """The store's copy of an exported model, importing the archive first if the store lacks it."""
    tag = export_tag(path)
    try:
        return bentoml.models.get(tag)
    except bentoml.exceptions.NotFound:
        return bentoml.models.import_model(str(path.resolve()))


def export_tag(path: Path) -> str:
    """The name:version of the model inside a .bentomodel archive, read from its model.yaml."""
    with tarfile.open(path, "r:xz") as archive:
        member = archive.extractfile("./model.yaml") or archive.extractfile("model.yaml")
        info = yaml.safe_load(member)
    return f"{info['name']}:{info['version']}"
