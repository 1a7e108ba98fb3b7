"""DVC stage `train`: fit the CNN, save it into the BentoML model store, export it for DVC.

Training curves go to paths.train_reports (DVCLive); the model, with its Preprocessor and
Postprocessor (labels and the calibrated novelty scorer) as custom objects, goes into the store as
base.model_name and to the .bentomodel archive that DVC versions.
"""

import logging
import subprocess
from typing import Any

import bentoml
from dvclive import Live
from dvclive.keras import DVCLiveCallback

import celestial
from celestial import cli
from celestial.pipeline.data_version import data_version
from celestial.pipeline.dataset import labels_of, read_split
from celestial.pipeline.params import Params, load_params
from celestial.pipeline.recipe import TrainedClassifier, train_classifier
from celestial.store import export_model, save_model

log = logging.getLogger(__name__)


def main() -> None:
    params = load_params()
    splits = read_split(params.paths.split_file)
    labels = labels_of(splits["train"])
    log.info("%d training and %d validation images, %d classes",
             len(splits["train"]), len(splits["val"]), len(labels))  # fmt: skip

    live = Live(str(params.paths.train_reports), save_dvc_exp=False, dvcyaml=None)
    trained = train_classifier(
        splits["train"], splits["val"], labels, params, callbacks=[DVCLiveCallback(live=live)]
    )

    bento_model = save_trained(
        params, trained, stage="dev", data_version=data_version(params.paths.raw)
    )
    export_model(bento_model, params.model_export)
    log.info("saved %s (validation accuracy %.4f), exported to %s",
             bento_model.tag, trained.val_metrics["val_accuracy"], params.model_export)  # fmt: skip


def save_trained(
    params: Params, trained: TrainedClassifier, *, stage: str, data_version: str | None = None
) -> bentoml.Model:
    """Save a trained classifier into the BentoML store under the configured name; `data_version`
    names the data it was trained on (DVC's md5 of data/raw)."""
    return save_model(
        params.base.model_name,
        trained.model,
        tflite_model=trained.tflite_model,
        preprocess=trained.preprocess,
        postprocess=trained.postprocess,
        labels={"project": "celestial", "stage": stage},
        metadata=model_metadata(params, trained, data_version=data_version),
    )


def model_metadata(
    params: Params, trained: TrainedClassifier, *, data_version: str | None = None
) -> dict[str, Any]:
    """What the service's metadata endpoint reports, stored in the model's model.yaml."""
    metadata = {
        "class_names": list(trained.postprocess.labels),
        "input_size": [params.base.image_size, params.base.image_size, 3],
        "params": params.model_dump(mode="json"),
        "metrics": {name: round(value, 6) for name, value in trained.val_metrics.items()},
        "novelty_threshold": round(trained.postprocess.novelty.threshold, 6),
        "project_version": celestial.__version__,
    }
    if data_version:  # BentoML metadata cannot hold None
        metadata["data_version"] = data_version
    if commit := git_commit():
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
