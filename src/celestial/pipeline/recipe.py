"""The training recipe: fit the CNN, convert it, fit and calibrate its novelty scorer.

The train and leave_out stages and `celestial.pipeline.robustness` all train with it, so what they
measure is what is shipped."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from celestial.inference import Classifier, LiteModel
from celestial.novelty import fit_novelty
from celestial.pipeline.dataset import Sample, load_arrays
from celestial.pipeline.network import build_model, to_tflite
from celestial.pipeline.params import Params
from celestial.preprocessing import Postprocessor, Preprocessor

log = logging.getLogger(__name__)

Arrays = tuple[np.ndarray, np.ndarray]  # uint8 images (n, h, w, 3), class indices (n,)


@dataclass(frozen=True)
class TrainedClassifier:
    """A fitted model, converted, with the preprocess and postprocess that go into the store."""

    model: keras.Model  # the serving model: outputs "probabilities" and "embedding"
    tflite_model: bytes  # the same, converted for LiteRT: what evaluation and serving run
    preprocess: Preprocessor
    postprocess: Postprocessor
    val_metrics: dict[str, float]

    def classifier(self) -> Classifier:
        model = LiteModel(self.tflite_model)
        return Classifier(model, preprocess=self.preprocess, postprocess=self.postprocess)


def seed_everything(seed: int) -> None:
    """Same data, params and seed give the same weights: seeded RNGs and deterministic kernels."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def load_for_labels(
    samples: Sequence[Sample], labels: Sequence[str], preprocess: Preprocessor
) -> Arrays:
    """The samples of these labels only, decoded and preprocessed."""
    return load_arrays([s for s in samples if s.label in labels], labels, preprocess)


def train_classifier(
    train: Arrays,
    val: Arrays,
    labels: tuple[str, ...],
    params: Params,
    *,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 2,
) -> TrainedClassifier:
    """Fit, cutting the learning rate when validation loss stalls and stopping early (keeping the
    best epoch); convert the serving model for LiteRT; then fit the novelty scorer on the training
    embeddings and calibrate its threshold on the validation ones, both as LiteRT computes them."""
    seed_everything(params.base.seed)
    networks = build_model(
        num_classes=len(labels),
        image_size=params.base.image_size,
        params=params.train,
        seed=params.base.seed,
    )
    schedule = [
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=params.train.lr_factor, patience=params.train.lr_patience
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=params.train.patience, restore_best_weights=True
        ),
    ]
    networks.training.fit(
        *train,
        validation_data=val,
        epochs=params.train.epochs,
        batch_size=params.train.batch_size,
        callbacks=[*schedule, *callbacks],
        verbose=verbose,
    )
    val_loss, val_accuracy = networks.training.evaluate(*val, verbose=0)

    tflite_model = to_tflite(networks.serving)
    converted = LiteModel(tflite_model)
    novelty = fit_novelty(
        converted.outputs(train[0])["embedding"], train[1], len(labels)
    ).calibrated(converted.outputs(val[0])["embedding"], keep=params.novelty.keep)
    log.info("novelty threshold %.3f keeps %.0f%% of validation images",
             novelty.threshold, 100 * params.novelty.keep)  # fmt: skip
    return TrainedClassifier(
        model=networks.serving,
        tflite_model=tflite_model,
        preprocess=Preprocessor(image_size=params.base.image_size),
        postprocess=Postprocessor(labels=labels, novelty=novelty),
        val_metrics={"val_accuracy": float(val_accuracy), "val_loss": float(val_loss)},
    )
