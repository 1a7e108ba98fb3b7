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


class AugmentedEpochs(keras.utils.PyDataset):
    """Epoch e trains on every image once, in its augmented version e mod copies, shuffled."""

    def __init__(self, versions: np.ndarray, targets: np.ndarray, batch_size: int, seed: int):
        super().__init__()
        self.versions, self.targets = versions, targets  # versions: (copies, n, h, w, 3)
        self.batch_size, self.seed, self.epoch = batch_size, seed, 0
        self.order = self._shuffled()

    def __len__(self) -> int:
        return -(-len(self.targets) // self.batch_size)

    def __getitem__(self, index: int) -> Arrays:
        batch = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
        return self.versions[self.epoch % len(self.versions)][batch], self.targets[batch]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.order = self._shuffled()

    def _shuffled(self) -> np.ndarray:
        return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.targets))


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
    index = {label: i for i, label in enumerate(labels)}
    train = [s for s in train if s.label in index]
    val = [s for s in val if s.label in index]
    train_images, val_images = _decode(train), _decode(val)
    train_targets = np.array([index[s.label] for s in train], dtype=np.int64)
    val_targets = np.array([index[s.label] for s in val], dtype=np.int64)
    clean_train = np.stack([preprocess(image) for image in train_images])
    clean_val = np.stack([preprocess(image) for image in val_images])
    augment = params.train.augment
    versions = augmented_copies(train_images, preprocess, augment, copies=augment.copies, seed=seed)
    log.info("%d training images in %d augmented versions, %d validation images",
             len(train), augment.copies, len(val))  # fmt: skip

    seed_everything(seed)
    epochs = AugmentedEpochs(versions, train_targets, params.train.batch_size, seed)
    networks = build_model(
        num_classes=len(labels),
        image_size=params.base.image_size,
        params=params.train,
        seed=seed,
        steps_per_epoch=len(epochs),
    )
    networks.training.fit(
        epochs,
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
