"""The Keras model: a small CNN that takes uint8 RGB pixels and returns class probabilities.

Two models share one set of layers and weights: the training model puts random augmentation
between scaling and the network; the serving model leaves it out and also returns the embedding
that novelty is measured in. The serving model is what gets converted for the LiteRT runtime
(`to_tflite`) that evaluation and the service run.
"""

import tempfile
from dataclasses import dataclass

import keras
import tensorflow as tf
from keras import layers

from celestial.pipeline.params import AugmentParams, TrainParams
from celestial.store import SIGNATURE

INPUT_NAME = "image"


@dataclass(frozen=True)
class Networks:
    training: keras.Model  # compiled; outputs probabilities
    serving: keras.Model  # outputs {"probabilities": (n, classes), "embedding": (n, units)}


def build_model(*, num_classes: int, image_size: int, params: TrainParams, seed: int) -> Networks:
    """The classifier's training and serving models, sharing their layers."""
    inputs = keras.Input(shape=(image_size, image_size, 3), dtype="uint8", name=INPUT_NAME)
    scaled = layers.Rescaling(1.0 / 255)(inputs)
    blocks = []
    for filters in params.filters:
        blocks += [
            layers.Conv2D(filters, 3, padding="same", use_bias=False),
            # A faster-moving average than the default 0.99: with few steps per epoch, the default
            # leaves inference statistics far from the data for many epochs, and early stopping
            # then stops on a validation loss that only reflects stale statistics.
            layers.BatchNormalization(momentum=0.9),
            layers.ReLU(),
            layers.MaxPooling2D(),
        ]
    body = keras.Sequential(
        [*blocks, layers.GlobalAveragePooling2D(), layers.Dropout(params.dropout, seed=seed),
         layers.Dense(params.dense_units, activation="relu")],
        name="embedding",
    )  # fmt: skip
    head = keras.Sequential(
        [layers.Dropout(params.dropout, seed=seed),
         layers.Dense(num_classes, activation="softmax")],
        name="probabilities",
    )  # fmt: skip

    augmented = scaled
    if steps := augmentation(params.augment, seed=seed):
        augmented = keras.Sequential(steps, name="augmentation")(scaled)
    training = keras.Model(inputs, head(body(augmented)), name="celestial_cnn")
    training.compile(
        optimizer=keras.optimizers.Adam(params.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    embedding = body(scaled)
    serving = keras.Model(
        inputs, {"probabilities": head(embedding), "embedding": embedding}, name="celestial_serving"
    )
    return Networks(training=training, serving=serving)


def augmentation(params: AugmentParams, *, seed: int) -> list[layers.Layer]:
    """Random flips, turns, zooms and contrast changes: bodies have no preferred orientation."""
    steps: list[layers.Layer] = []
    if params.flip:
        steps.append(layers.RandomFlip("horizontal_and_vertical", seed=seed))
    if params.rotation:
        steps.append(layers.RandomRotation(params.rotation, fill_mode="constant", seed=seed))
    if params.zoom:
        steps.append(layers.RandomZoom(params.zoom, fill_mode="constant", seed=seed))
    if params.contrast:
        steps.append(layers.RandomContrast(params.contrast, seed=seed))
    return steps


def to_tflite(serving: keras.Model) -> bytes:
    """The serving model as a LiteRT flatbuffer with one signature, `serving_default`, whose
    outputs keep their names ("probabilities", "embedding").

    LiteRT calls the graph in a fraction of TensorFlow's time (docs/performance.md), and the
    service then needs no TensorFlow.
    """
    with tempfile.TemporaryDirectory() as saved:
        # Keras' own export: its `serving_default` signature takes "image", returns the outputs.
        serving.export(saved, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved, signature_keys=[SIGNATURE])
        return converter.convert()
