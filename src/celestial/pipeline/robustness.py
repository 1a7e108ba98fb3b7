"""How much the results depend on the seed: retrain with other seeds and report each run.

Each seed gives another train/validation/test split and another initialisation; everything else is
params.yaml. Each run is scored as the evaluate and shift_benchmark stages score the pipeline's
model (clean test accuracy; the test split under every everyday shift) and, with --leave-out, as
the leave_out stage does (novelty AUROC on classes never trained on: one more training per fold).
Prints a table with the mean and the worst run, and writes it as JSON. Not a DVC stage (it trains
once per seed); run it when the recipe changes:

    python -m celestial.pipeline.robustness --seeds 1 2 3 4 5 [--leave-out]
"""

import argparse
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from celestial import cli
from celestial.imaging import open_image
from celestial.pipeline.dataset import (
    check_splittable,
    class_indices,
    labels_of,
    scan_image_folder,
    split_samples,
)
from celestial.pipeline.leave_out import class_folds, fold_figures, score_fold
from celestial.pipeline.metrics import classification_metrics
from celestial.pipeline.params import Params, load_params
from celestial.pipeline.recipe import train_classifier
from celestial.pipeline.shift_benchmark import benchmark

log = logging.getLogger(__name__)

COLUMNS = ("accuracy", "macro_f1", "ece", "test_kept", "shifted_mean", "shifted_worst",
           "shifted_flagged", "shifted_silent", "seconds")  # fmt: skip
LEAVE_OUT_COLUMNS = ("auroc", "auroc_min")
# Smaller is better for these: the worst run is the largest.
LARGER_IS_WORSE = ("ece", "shifted_flagged", "shifted_silent", "seconds")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--leave-out", action="store_true", help="also the leave_out AUROC")
    parser.add_argument("--output", type=Path, default=Path("reports/robustness.json"))
    args = parser.parse_args(argv)

    params = load_params()
    runs = [run_seed(params, seed, leave_out=args.leave_out) for seed in args.seeds]
    columns = COLUMNS + (LEAVE_OUT_COLUMNS if args.leave_out else ())
    summary = {
        "mean": {c: round(float(np.mean([r[c] for r in runs])), 6) for c in columns},
        "worst": {c: (max if c in LARGER_IS_WORSE else min)(r[c] for r in runs) for c in columns},
    }
    print(table(runs, summary, columns))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"runs": runs, **summary}, indent=2) + "\n")


def run_seed(params: Params, seed: int, *, leave_out: bool = False) -> dict:
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
    started = time.monotonic()
    trained = train_classifier(splits["train"], splits["val"], labels, params, verbose=0)
    seconds = time.monotonic() - started
    test = [sample for sample in splits["test"] if sample.label in labels]
    test_images = [open_image(sample.path) for sample in test]
    targets = class_indices(test, labels)

    classifier = trained.classifier()
    outputs = classifier.outputs(np.stack([trained.preprocess(image) for image in test_images]))
    metrics = classification_metrics(targets, outputs["probabilities"], labels)
    novelty = trained.postprocess.novelty
    kept = np.mean(novelty.scores(outputs["embedding"]) <= novelty.threshold)
    shifted = benchmark(classifier, test_images, targets, seed)["shifted"]
    run = {
        "seed": seed,
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro"]["f1"],
        "ece": metrics["ece"],
        "test_kept": round(float(kept), 6),
        "shifted_mean": shifted["mean_accuracy"],
        "shifted_worst": shifted["worst_accuracy"],
        "worst_kind": shifted["worst_kind"],
        "shifted_flagged": shifted["mean_flagged"],
        "shifted_silent": shifted["mean_silent_errors"],
        "seconds": round(seconds, 1),
        "test_images": len(test),
    }
    log.info("seed %d: %s", seed, run)
    if leave_out:
        folds = [fold for fold in class_folds(labels, params.leave_out.folds, seed)
                 if len(labels) - len(fold) >= 2]  # fmt: skip
        aurocs = [fold_figures(fold, *score_fold(splits, labels, fold, params))["auroc"]
                  for fold in folds]  # fmt: skip
        run |= {"auroc": round(float(np.mean(aurocs)), 6), "auroc_min": min(aurocs)}
        log.info("seed %d: leave-out AUROC %.4f, worst fold %.4f", seed, run["auroc"], min(aurocs))
    return run


def table(runs: list[dict], summary: dict, columns: Sequence[str] = COLUMNS) -> str:
    width = max(map(len, columns)) + 2
    header = f"{'seed':>6}" + "".join(f"{c:>{width}}" for c in columns)
    rows = [f"{r['seed']:>6}" + "".join(f"{r[c]:>{width}.4f}" for c in columns) for r in runs]
    rows += [
        f"{name:>6}" + "".join(f"{v[c]:>{width}.4f}" for c in columns)
        for name, v in summary.items()
    ]
    return "\n".join([header, *rows])


if __name__ == "__main__":
    cli.run(main)
