"""The training recipe: preprocess and augment, fit the CNN, convert it, fit and calibrate its
novelty scorer.

The train and leave_out stages and `celestial.pipeline.robustness` all train with it, so what they
measure is what is shipped."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from celestial.imaging import open_image
from celestial.inference import Classifier, LiteModel
from celestial.novelty import fit_novelty
from celestial.pipeline.augment import augmented_copies
from celestial.pipeline.dataset import Sample, class_indices, load_arrays
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


def augmented_epochs(
    versions: np.ndarray, targets: np.ndarray, *, batch_size: int, epochs: int, seed: int
) -> tuple[tf.data.Dataset, int]:
    """Every epoch's batches in one dataset, and the steps in an epoch. Epoch e trains on every
    image once, in its augmented version e mod copies, shuffled (its own seed).

    The batches are gathered inside TensorFlow's input pipeline, which keeps Python out of the
    training loop: a keras.utils.PyDataset handing over the same batches from Python made each
    epoch markedly slower."""
    copies, count = versions.shape[:2]
    steps = -(-count // batch_size)
    rows = []  # per epoch: indices into the flattened versions, in batch order
    for epoch in range(epochs):
        order = np.random.default_rng([seed, epoch]).permutation(count)
        batches = [np.sort(order[i : i + batch_size]) for i in range(0, count, batch_size)]
        rows.append(epoch % copies * count + np.concatenate(batches))
    images = tf.constant(versions.reshape(copies * count, *versions.shape[2:]))
    labels = tf.constant(np.tile(targets, copies))
    dataset = (
        tf.data.Dataset.from_tensor_slices(np.stack(rows))
        .flat_map(lambda row: tf.data.Dataset.from_tensor_slices(row).batch(batch_size))
        .map(lambda batch: (tf.gather(images, batch), tf.gather(labels, batch)))
        .prefetch(2)
    )
    return dataset, steps


def seed_everything(seed: int) -> None:
    """Same data, params and seed give the same weights: seeded RNGs and deterministic kernels."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def make_preprocessor(params: Params) -> Preprocessor:
    return Preprocessor(
        image_size=params.base.image_size,
        margin=params.preprocess.margin,
        level=params.preprocess.level,
        chroma=params.preprocess.chroma,
    )


def load_for_labels(
    samples: Sequence[Sample], labels: Sequence[str], preprocess: Preprocessor
) -> Arrays:
    """The samples of these labels only, decoded and preprocessed."""
    return load_arrays([s for s in samples if s.label in labels], labels, preprocess)


def train_classifier(
    train: Sequence[Sample],
    val: Sequence[Sample],
    labels: tuple[str, ...],
    params: Params,
    *,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 2,
) -> TrainedClassifier:
    """Fit on augmented versions of the training images, one version per epoch, validating on the
    clean validation images; convert the serving model for LiteRT; then fit the novelty scorer on
    the training images, clean and changed once, and calibrate its threshold on changed
    validation images, all as LiteRT computes them."""
    seed = params.base.seed
    preprocess = make_preprocessor(params)
    train = [s for s in train if s.label in labels]
    val = [s for s in val if s.label in labels]
    train_images, val_images = _decode(train), _decode(val)
    train_targets, val_targets = class_indices(train, labels), class_indices(val, labels)
    clean_train = np.stack([preprocess(image) for image in train_images])
    clean_val = np.stack([preprocess(image) for image in val_images])
    augment = params.train.augment
    versions = augmented_copies(train_images, preprocess, augment, copies=augment.copies, seed=seed)
    log.info("%d training images in %d augmented versions, %d validation images",
             len(train), augment.copies, len(val))  # fmt: skip

    seed_everything(seed)
    batches, steps = augmented_epochs(
        versions, train_targets, batch_size=params.train.batch_size, epochs=params.train.epochs,
        seed=seed,
    )  # fmt: skip
    networks = build_model(
        num_classes=len(labels),
        image_size=params.base.image_size,
        params=params.train,
        seed=seed,
        steps_per_epoch=steps,
    )
    networks.training.fit(
        batches,
        steps_per_epoch=steps,  # one dataset for all epochs: each goes on where the last ended
        shuffle=False,  # the dataset is shuffled already, epoch by epoch
        validation_data=(clean_val, val_targets),
        epochs=params.train.epochs,
        callbacks=list(callbacks),
        verbose=verbose,
    )
    val_loss, val_accuracy = networks.training.evaluate(clean_val, val_targets, verbose=0)

    tflite_model = to_tflite(networks.serving)
    converted = LiteModel(tflite_model)
    # Fit on the clean images and one more changed version of each, calibrate on changed versions
    # of the validation images: each drawn apart from the others (its own seed).
    changed = augmented_copies(train_images, preprocess, augment, copies=1, seed=seed + 2)
    fit_images = np.concatenate([clean_train, changed[0]])
    fit_targets = np.concatenate([train_targets, train_targets])
    calibration = augmented_copies(
        val_images, preprocess, augment, copies=params.novelty.calibration_copies, seed=seed + 1
    ).reshape(-1, *clean_val.shape[1:])
    novelty = fit_novelty(
        converted.outputs(fit_images)["embedding"], fit_targets, len(labels)
    ).calibrated(converted.outputs(calibration)["embedding"], keep=params.novelty.keep)
    log.info("novelty threshold %.3f keeps %.0f%% of changed validation images",
             novelty.threshold, 100 * params.novelty.keep)  # fmt: skip
    return TrainedClassifier(
        model=networks.serving,
        tflite_model=tflite_model,
        preprocess=preprocess,
        postprocess=Postprocessor(labels=labels, novelty=novelty),
        val_metrics={"val_accuracy": float(val_accuracy), "val_loss": float(val_loss)},
    )


def _decode(samples: Sequence[Sample]) -> list[Image.Image]:
    return [open_image(sample.path) for sample in samples]
