"""The Keras model: a small CNN that takes uint8 RGB pixels and returns class probabilities.

Scaling and augmentation are layers of the model, so the saved file carries them: augmentation is
active only in training, and serving needs nothing but the Preprocessor's uint8 array.
"""

import keras
from keras import layers

from celestial.config import AugmentParams, TrainParams

INPUT_NAME = "image"
EMBEDDING_LAYER = "embedding"


def build_model(
    *, num_classes: int, image_size: int, params: TrainParams, seed: int
) -> keras.Model:
    """The classifier, compiled with its optimizer, loss and accuracy metric."""
    inputs = keras.Input(shape=(image_size, image_size, 3), dtype="uint8", name=INPUT_NAME)
    x = layers.Rescaling(1.0 / 255)(inputs)
    if steps := augmentation(params.augment, seed=seed):
        x = keras.Sequential(steps, name="augmentation")(x)
    for filters in params.filters:
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        # A faster-moving average than the default 0.99: with few steps per epoch, the default
        # leaves inference statistics far from the data for many epochs, and early stopping
        # then stops on a validation loss that only reflects stale statistics.
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(params.dropout, seed=seed)(x)
    x = layers.Dense(params.dense_units, activation="relu", name=EMBEDDING_LAYER)(x)
    x = layers.Dropout(params.dropout, seed=seed)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    model = keras.Model(inputs, outputs, name="celestial_cnn")
    model.compile(
        optimizer=keras.optimizers.Adam(params.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def serving_model(model: keras.Model) -> keras.Model:
    """The trained layers with the outputs serving needs: probabilities, and the embedding that
    novelty is measured in."""
    outputs = {"probabilities": model.output, "embedding": model.get_layer(EMBEDDING_LAYER).output}
    return keras.Model(model.inputs, outputs, name=f"{model.name}_serving")


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
