"""DVC stage `prepare`: check the raw images, split them, and report what was found.

Writes the split (CSV: path, label, split) and a data report (JSON: classes, counts per split,
skipped files with their reasons) into paths.prepared.
"""

import json
import logging

from celestial import cli
from celestial.pipeline.dataset import (
    SPLITS,
    ImageFolder,
    Sample,
    check_splittable,
    scan_image_folder,
    split_samples,
    write_split,
)
from celestial.pipeline.params import load_params

log = logging.getLogger(__name__)


def main() -> None:
    params = load_params()
    paths = params.paths
    folder = scan_image_folder(paths.raw)
    check_splittable(folder, paths.raw)
    splits = split_samples(
        folder.samples,
        val_fraction=params.prepare.val_fraction,
        test_fraction=params.prepare.test_fraction,
        seed=params.base.seed,
    )
    write_split(paths.split_file, splits)
    paths.report_file.write_text(json.dumps(data_report(folder, splits), indent=2) + "\n")
    log.info(
        "%d images in %d classes (%s); %d files skipped",
        len(folder.samples),
        len(folder.labels),
        ", ".join(f"{name} {len(splits[name])}" for name in SPLITS),
        len(folder.skipped),
    )


def data_report(folder: ImageFolder, splits: dict[str, list[Sample]]) -> dict:
    """Counts per class and split, and every skipped file with its reason."""
    per_class = {
        label: {name: sum(s.label == label for s in splits[name]) for name in SPLITS}
        for label in folder.labels
    }
    return {
        "classes": list(folder.labels),
        "images": len(folder.samples),
        "per_split": {name: len(splits[name]) for name in SPLITS},
        "per_class": per_class,
        "skipped": [{"path": s.path.as_posix(), "reason": s.reason} for s in folder.skipped],
    }


if __name__ == "__main__":
    cli.run(main)
