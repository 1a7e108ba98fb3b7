"""The dataset contract: data/raw/<label>/*.jpg|jpeg|png, the label being the folder's name.

Files that cannot be used are reported with their reason and skipped; a dataset that cannot be
split (fewer than two classes, a class with too few images) stops with a DataError naming it.
"""

import csv
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from celestial.errors import UserError
from celestial.imaging import ImageError, open_image

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
SPLITS = ("train", "val", "test")
# Each class needs an image in every split.
MIN_IMAGES_PER_CLASS = len(SPLITS)


class DataError(UserError):
    """The image folder cannot be used as a dataset (too few classes or images)."""


@dataclass(frozen=True)
class Sample:
    path: Path
    label: str


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


@dataclass(frozen=True)
class ImageFolder:
    """What a scan of the raw data found: usable samples, skipped files, and the class names."""

    samples: tuple[Sample, ...]
    skipped: tuple[Skipped, ...]
    labels: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        found = Counter(sample.label for sample in self.samples)
        return {label: found[label] for label in self.labels}


def scan_image_folder(root: Path) -> ImageFolder:
    """Find every usable image under root/<label>/, decoding each one to be sure it is readable."""
    if not root.is_dir():
        raise DataError(
            f"the image folder {root} does not exist: put images in {root}/<label>/, "
            "or run `make data` to render the default dataset"
        )
    samples: list[Sample] = []
    skipped: list[Skipped] = []
    labels = []
    for entry in sorted(root.iterdir()):
        if not entry.is_dir():
            skipped.append(Skipped(entry, "not inside a label folder"))
            continue
        labels.append(entry.name)
        for path in sorted(entry.iterdir()):
            reason = _unusable_reason(path)
            if reason:
                skipped.append(Skipped(path, reason))
            else:
                samples.append(Sample(path, entry.name))
    for item in skipped:
        log.warning("skipped %s: %s", item.path, item.reason)
    return ImageFolder(tuple(samples), tuple(skipped), tuple(labels))


def _unusable_reason(path: Path) -> str | None:
    if path.is_dir():
        return "a folder inside a label folder (images must be directly in the label folder)"
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return f"not an image file (expected {', '.join(sorted(IMAGE_SUFFIXES))})"
    try:
        open_image(path)
    except ImageError as error:
        return str(error)
    return None


def check_splittable(folder: ImageFolder, root: Path) -> None:
    """Raise a DataError unless there are two classes or more, each with enough images."""
    if len(folder.labels) < 2:
        found = ", ".join(folder.labels) or "none"
        raise DataError(
            f"{root} has {len(folder.labels)} class folder(s) ({found}); "
            "a classifier needs at least 2: one folder per label"
        )
    short = {label: n for label, n in folder.counts().items() if n < MIN_IMAGES_PER_CLASS}
    if short:
        listed = ", ".join(f"{label} ({n})" for label, n in short.items())
        raise DataError(
            f"too few usable images to split into {'/'.join(SPLITS)}: {listed}; "
            f"each class needs at least {MIN_IMAGES_PER_CLASS}"
        )


def split_samples(
    samples: Sequence[Sample], *, val_fraction: float, test_fraction: float, seed: int
) -> dict[str, list[Sample]]:
    """Stratified, seeded split: each class is shuffled and cut in the same proportions.

    Every class gets at least one validation and one test image, and keeps at least one for
    training. The result depends only on the samples, the fractions and the seed.
    """
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[Sample]] = {}
    for sample in sorted(samples, key=lambda s: (s.label, s.path)):
        by_label.setdefault(sample.label, []).append(sample)
    splits: dict[str, list[Sample]] = {name: [] for name in SPLITS}
    for group in by_label.values():
        order = rng.permutation(len(group))
        n_test = max(1, min(round(len(group) * test_fraction), len(group) - 2))
        n_val = max(1, min(round(len(group) * val_fraction), len(group) - n_test - 1))
        shuffled = [group[i] for i in order]
        splits["test"] += shuffled[:n_test]
        splits["val"] += shuffled[n_test : n_test + n_val]
        splits["train"] += shuffled[n_test + n_val :]
    return splits


def write_split(path: Path, splits: dict[str, list[Sample]]) -> None:
    """One CSV row per image: path, label, split."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["path", "label", "split"])
        for name, samples in splits.items():
            writer.writerows([sample.path.as_posix(), sample.label, name] for sample in samples)


def read_split(path: Path) -> dict[str, list[Sample]]:
    """The split written by the prepare stage."""
    if not path.is_file():
        raise DataError(f"{path} does not exist: run the prepare stage first (dvc repro)")
    splits: dict[str, list[Sample]] = {name: [] for name in SPLITS}
    with path.open(newline="") as file:
        for row in csv.DictReader(file):
            splits[row["split"]].append(Sample(Path(row["path"]), row["label"]))
    return splits


def labels_of(samples: Iterable[Sample]) -> tuple[str, ...]:
    """The class names, sorted: their order is the order of the model's outputs."""
    return tuple(sorted({sample.label for sample in samples}))


def load_arrays(
    samples: Sequence[Sample],
    labels: Sequence[str],
    preprocess: Callable[..., np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Decode and preprocess the samples: (images uint8 (n, h, w, 3), class indices (n,))."""
    images = np.stack([preprocess(open_image(sample.path)) for sample in samples])
    return images, class_indices(samples, labels)


def class_indices(samples: Sequence[Sample], labels: Sequence[str]) -> np.ndarray:
    """Each sample's label as its index in `labels`, the order of the model's outputs."""
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index[sample.label] for sample in samples], dtype=np.int64)
