"""DVC stage `reference`: what production traffic is compared with, and the drift thresholds.

Held-out images (never the training split, whose confidence the model has learnt to inflate) go
through the serving path, exactly as an upload does, and each becomes a prediction record. The
validation split's records are the reference profile; with the test split's, they calibrate the
thresholds of `make drift-report` (celestial.monitoring.drift). Writes
paths.reference/profile.jsonl, thresholds.json and metrics.json (dvc metrics: the false-alarm
rate measured on fresh resamples).
"""

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from celestial import cli
from celestial.imaging import open_image
from celestial.inference import Classifier
from celestial.monitoring import drift
from celestial.monitoring.records import EMBEDDING, embedding_field, image_facts, record
from celestial.pipeline.dataset import Sample, read_split
from celestial.pipeline.params import load_params
from celestial.store import import_export

log = logging.getLogger(__name__)

BATCH = 64  # images run through the model at once


def main() -> None:
    params = load_params()
    classifier = Classifier.from_store(import_export(params.model_export))
    splits = read_split(params.paths.split_file)
    reference = drift.frame(records_of(splits["val"], classifier))
    held_out = pd.concat([reference, drift.frame(records_of(splits["test"], classifier))])
    settings = params.monitoring
    thresholds = drift.calibrate(
        held_out.reset_index(drop=True),
        reference_size=len(reference),
        window=settings.window,
        min_records=settings.min_records,
        embedding_share=settings.embedding_share,
        false_alarm=settings.false_alarm,
        resamples=settings.resamples,
        seed=params.base.seed,
    )
    out = params.paths.reference
    save(reference, thresholds, out)
    metrics = {
        "reference_records": len(reference),
        "held_out_records": len(held_out),
        "window": thresholds.window,
        "false_alarm": thresholds.false_alarm["measured"],
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    log.info("reference of %d records; thresholds give %.1f%% false alarms at %d records",
             len(reference), 100 * metrics["false_alarm"], thresholds.window)  # fmt: skip


def save(reference: pd.DataFrame, thresholds: drift.Thresholds, folder: Path) -> None:
    """The profile and the thresholds, where `make drift-report` reads them."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "profile.jsonl").open("w") as profile:
        for entry in reference.to_dict(orient="records"):
            profile.write(json.dumps(entry) + "\n")
    thresholds.save(folder / "thresholds.json")


def records_of(samples: Sequence[Sample], classifier: Classifier) -> list[dict]:
    """A record per image, each with its embedding, as the service would write it."""
    records = []
    for start in range(0, len(samples), BATCH):
        images = [open_image(sample.path) for sample in samples[start : start + BATCH]]
        prepared = [classifier.preprocess.with_tone(image) for image in images]
        results = classifier.predict_with_embeddings([array for array, _ in prepared])
        for image, (_, tone), result in zip(images, prepared, results, strict=True):
            prediction, embedding = result
            records.append({**record(prediction, image_facts(*image.size, image.format, tone)),
                            EMBEDDING: embedding_field(embedding)})  # fmt: skip
    return records


if __name__ == "__main__":
    cli.run(main)
