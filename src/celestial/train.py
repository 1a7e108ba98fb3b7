"""DVC stage `train`: fit the CNN, save it into the BentoML model store, export it for DVC.

Training curves go to paths.train_reports (DVCLive); the model, with its Preprocessor and
Postprocessor as custom objects, goes into the store as base.model_name and to the .bentomodel
archive that DVC versions.
"""

import logging
import subprocess
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from dvclive import Live
from dvclive.keras import DVCLiveCallback

import celestial
from celestial import cli
from celestial.config import Params, load_params
from celestial.data import labels_of, load_arrays, read_split
from celestial.model import build_model
from celestial.preprocessing import Postprocessor, Preprocessor
from celestial.store import export_model, save_model

log = logging.getLogger(__name__)


def main() -> None:
    params = load_params()
    seed_everything(params.base.seed)
    splits = read_split(params.paths.split_file)
    labels = labels_of(splits["train"])
    preprocess = Preprocessor(image_size=params.base.image_size)
    train_x, train_y = load_arrays(splits["train"], labels, preprocess)
    val_x, val_y = load_arrays(splits["val"], labels, preprocess)
    log.info(
        "%d training and %d validation images, %d classes", len(train_x), len(val_x), len(labels)
    )

    model = build_model(
        num_classes=len(labels),
        image_size=params.base.image_size,
        params=params.train,
        seed=params.base.seed,
    )
    fit(model, (train_x, train_y), (val_x, val_y), params)
    val_loss, val_accuracy = model.evaluate(val_x, val_y, verbose=0)

    bento_model = save_model(
        params.base.model_name,
        model,
        preprocess=preprocess,
        postprocess=Postprocessor(labels=labels),
        labels={"project": "celestial", "stage": "dev"},
        metadata=model_metadata(
            params, labels, metrics={"val_accuracy": val_accuracy, "val_loss": val_loss}
        ),
    )
    export_model(bento_model, params.model_export)
    log.info(
        "saved %s (validation accuracy %.4f), exported to %s",
        bento_model.tag,
        val_accuracy,
        params.model_export,
    )


def seed_everything(seed: int) -> None:
    """Same data, params and seed give the same weights: seeded RNGs and deterministic kernels."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def fit(
    model: keras.Model,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    params: Params,
) -> None:
    """Fit with early stopping on validation loss, keeping the best epoch's weights."""
    live = Live(str(params.paths.train_reports), save_dvc_exp=False, dvcyaml=None)
    model.fit(
        *train,
        validation_data=val,
        epochs=params.train.epochs,
        batch_size=params.train.batch_size,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=params.train.patience, restore_best_weights=True
            ),
            DVCLiveCallback(live=live),
        ],
        verbose=2,
    )


def model_metadata(
    params: Params, labels: tuple[str, ...], *, metrics: dict[str, float]
) -> dict[str, Any]:
    """What the service's metadata endpoint reports, stored in the model's model.yaml."""
    metadata = {
        "class_names": list(labels),
        "input_size": [params.base.image_size, params.base.image_size, 3],
        "params": params.model_dump(mode="json"),
        "metrics": {name: round(float(value), 6) for name, value in metrics.items()},
        "project_version": celestial.__version__,
    }
    if commit := git_commit():  # BentoML metadata cannot hold None
        metadata["git_commit"] = commit
    return metadata


def git_commit() -> str | None:
    """The commit the model was trained from, marked '-dirty' with uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{commit}-dirty" if status.strip() else commit


if __name__ == "__main__":
    cli.run(main)
