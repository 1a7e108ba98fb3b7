"""The Keras model: a small CNN that takes uint8 RGB pixels and returns class probabilities.

Two models share one set of layers and weights: the training model returns the probabilities;
the serving model also returns the embedding that novelty is measured in. Augmentation happens
before preprocessing, on the decoded images (`celestial.pipeline.augment`), not in the network.
The serving model is what gets converted for the LiteRT runtime (`to_tflite`) that evaluation
and the service run.
"""

import tempfile
from dataclasses import dataclass

import keras
import tensorflow as tf
from keras import layers

from celestial.pipeline.params import TrainParams
from celestial.store import SIGNATURE

INPUT_NAME = "image"


@dataclass(frozen=True)
class Networks:
    training: keras.Model  # compiled; outputs probabilities
    serving: keras.Model  # outputs {"probabilities": (n, classes), "embedding": (n, units)}


def build_model(
    *, num_classes: int, image_size: int, params: TrainParams, seed: int, steps_per_epoch: int
) -> Networks:
    """The classifier's training and serving models, sharing their layers; the training model is
    compiled with Adam and a learning rate decaying along a cosine to 1 % over the epochs (a fixed
    schedule: every epoch sees other augmented versions, so a plateau in the validation loss
    says little)."""
    inputs = keras.Input(shape=(image_size, image_size, 3), dtype="uint8", name=INPUT_NAME)
    scaled = layers.Rescaling(1.0 / 255)(inputs)
    blocks = []
    for filters in params.filters:
        blocks += [
            layers.Conv2D(filters, 3, padding="same", use_bias=False),
            # A faster-moving average than the default 0.99: with few steps per epoch, the default
            # leaves inference statistics far from the data for many epochs.
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

    training = keras.Model(inputs, head(body(scaled)), name="celestial_cnn")
    schedule = keras.optimizers.schedules.CosineDecay(
        params.learning_rate, decay_steps=params.epochs * steps_per_epoch, alpha=0.01
    )
    training.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    embedding = body(scaled)
    serving = keras.Model(
        inputs, {"probabilities": head(embedding), "embedding": embedding}, name="celestial_serving"
    )
    return Networks(training=training, serving=serving)


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
