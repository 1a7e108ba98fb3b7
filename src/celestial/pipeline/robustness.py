"""How much the results depend on the seed: retrain with other seeds and report each run.

Each seed gives another train/validation/test split and another initialisation; everything else is
params.yaml. Prints a table with the mean and the worst run, and writes it as JSON. Not a DVC
stage (it trains once per seed); run it when the recipe changes:

    python -m celestial.pipeline.robustness --seeds 1 2 3 4 5
"""

import argparse
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from celestial import cli
from celestial.pipeline.dataset import check_splittable, labels_of, scan_image_folder, split_samples
from celestial.pipeline.metrics import classification_metrics
from celestial.pipeline.params import Params, load_params
from celestial.pipeline.recipe import load_for_labels, train_classifier
from celestial.preprocessing import Preprocessor

log = logging.getLogger(__name__)

COLUMNS = ("accuracy", "macro_f1", "ece", "test_kept", "seconds")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--output", type=Path, default=Path("reports/robustness.json"))
    args = parser.parse_args(argv)

    params = load_params()
    runs = [run_seed(params, seed) for seed in args.seeds]
    summary = {
        "mean": {c: round(float(np.mean([r[c] for r in runs])), 6) for c in COLUMNS},
        "worst": {
            c: (max if c in ("ece", "seconds") else min)(r[c] for r in runs) for c in COLUMNS
        },
    }
    print(table(runs, summary))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"runs": runs, **summary}, indent=2) + "\n")


def run_seed(params: Params, seed: int) -> dict:
    """Split, train and test with this seed, as the pipeline does with base.seed."""
    params = params.model_copy(update={"base": params.base.model_copy(update={"seed": seed})})
    folder = scan_image_folder(params.paths.raw)
    check_splittable(folder, params.paths.raw)
    splits = split_samples(
        folder.samples,
        val_fraction=params.prepare.val_fraction,
        test_fraction=params.prepare.test_fraction,
        seed=seed,
    )
    labels = labels_of(splits["train"])
    preprocess = Preprocessor(image_size=params.base.image_size)
    train, val, test = (
        load_for_labels(splits[n], labels, preprocess) for n in ("train", "val", "test")
    )
    started = time.monotonic()
    trained = train_classifier(train, val, labels, params, verbose=0)
    seconds = time.monotonic() - started

    outputs = trained.classifier().outputs(test[0])
    metrics = classification_metrics(test[1], outputs["probabilities"], labels)
    novelty = trained.postprocess.novelty
    kept = np.mean(novelty.scores(outputs["embedding"]) <= novelty.threshold)
    run = {
        "seed": seed,
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro"]["f1"],
        "ece": metrics["ece"],
        "test_kept": round(float(kept), 6),
        "seconds": round(seconds, 1),
        "test_images": len(test[1]),
    }
    log.info("seed %d: %s", seed, run)
    return run


def table(runs: list[dict], summary: dict) -> str:
    header = f"{'seed':>6}" + "".join(f"{c:>12}" for c in COLUMNS)
    rows = [f"{r['seed']:>6}" + "".join(f"{r[c]:>12.4f}" for c in COLUMNS) for r in runs]
    rows += [
        f"{name:>6}" + "".join(f"{v[c]:>12.4f}" for c in COLUMNS) for name, v in summary.items()
    ]
    return "\n".join([header, *rows])


if __name__ == "__main__":
    cli.run(main)
