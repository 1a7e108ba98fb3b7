from pathlib import Path

import numpy as np
import pytest

from celestial.pipeline.dataset import (
    SPLITS,
    DataError,
    Sample,
    check_splittable,
    labels_of,
    load_arrays,
    read_split,
    scan_image_folder,
    split_samples,
    write_split,
)
from celestial.preprocessing import Preprocessor
from conftest import write_image


def test_scan_finds_labels_and_images(image_folder: Path) -> None:
    folder = scan_image_folder(image_folder)
    assert folder.labels == ("Mars", "Neptune", "Venus")
    assert folder.counts() == {"Mars": 5, "Neptune": 5, "Venus": 5}
    assert folder.skipped == ()


def test_bad_files_are_reported_and_skipped(image_folder: Path) -> None:
    (image_folder / "Mars" / "notes.txt").write_text("not an image")
    (image_folder / "Mars" / "fake.jpg").write_text("not an image either")
    truncated = image_folder / "Venus" / "Venus_0.jpg"
    truncated.write_bytes(truncated.read_bytes()[:100])
    (image_folder / "Venus" / "nested").mkdir()
    (image_folder / "stray.png").write_bytes(b"")
    (image_folder / "Mars" / ".DS_Store").write_bytes(b"\0")

    folder = scan_image_folder(image_folder)

    reasons = {item.path.name: item.reason for item in folder.skipped}
    assert reasons["notes.txt"].startswith("not an image file")
    assert "not an image" in reasons["fake.jpg"]
    assert "corrupt or truncated" in reasons["Venus_0.jpg"]
    assert "folder inside a label folder" in reasons["nested"]
    assert reasons["stray.png"] == "not inside a label folder"
    assert ".DS_Store" in reasons, "hidden files are reported too"
    assert folder.counts() == {"Mars": 5, "Neptune": 5, "Venus": 4}


def test_missing_folder_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"does not exist.*make data"):
        scan_image_folder(tmp_path / "nowhere")


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    folder = scan_image_folder(tmp_path / "raw")
    message = r"0 class folder\(s\) \(none\); a classifier needs at least 2"
    with pytest.raises(DataError, match=message):
        check_splittable(folder, tmp_path / "raw")


def test_single_class(tmp_path: Path) -> None:
    for i in range(5):
        write_image(tmp_path / "raw" / "Moon" / f"{i}.png")
    with pytest.raises(DataError, match=r"1 class folder\(s\) \(Moon\)"):
        check_splittable(scan_image_folder(tmp_path / "raw"), tmp_path / "raw")


def test_class_with_too_few_images_is_named(image_folder: Path) -> None:
    for path in sorted((image_folder / "Venus").iterdir())[2:]:
        path.unlink()
    (image_folder / "Pluto").mkdir()
    with pytest.raises(DataError, match=r"Pluto \(0\), Venus \(2\); each class needs at least 3"):
        check_splittable(scan_image_folder(image_folder), image_folder)


def _samples(counts: dict[str, int]) -> list[Sample]:
    return [Sample(Path(f"{lab}/{i}.jpg"), lab) for lab, n in counts.items() for i in range(n)]


@pytest.mark.parametrize("counts", [{"a": 3, "b": 3}, {"a": 100, "b": 40, "c": 7}])
def test_split_is_stratified_disjoint_and_complete(counts: dict[str, int]) -> None:
    samples = _samples(counts)
    splits = split_samples(samples, val_fraction=0.15, test_fraction=0.15, seed=1)
    paths = [s.path for name in SPLITS for s in splits[name]]
    assert sorted(paths) == sorted(s.path for s in samples), "every image once, no leakage"
    for name in SPLITS:
        assert labels_of(splits[name]) == tuple(sorted(counts)), f"every class in {name}"
    big = {name: sum(s.label == "a" for s in splits[name]) for name in SPLITS}
    if counts["a"] == 100:
        assert big == {"train": 70, "val": 15, "test": 15}


def test_split_depends_only_on_seed() -> None:
    samples = _samples({"a": 30, "b": 30})
    first = split_samples(samples, val_fraction=0.2, test_fraction=0.2, seed=7)
    again = split_samples(list(reversed(samples)), val_fraction=0.2, test_fraction=0.2, seed=7)
    other = split_samples(samples, val_fraction=0.2, test_fraction=0.2, seed=8)
    assert first == again
    assert first != other


def test_split_round_trips_through_csv(tmp_path: Path) -> None:
    splits = split_samples(_samples({"a": 5, "b": 6}), val_fraction=0.2, test_fraction=0.2, seed=0)
    write_split(tmp_path / "split.csv", splits)
    assert read_split(tmp_path / "split.csv") == splits


def test_missing_split_says_which_stage(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="run the prepare stage"):
        read_split(tmp_path / "split.csv")


def test_load_arrays(image_folder: Path) -> None:
    folder = scan_image_folder(image_folder)
    images, targets = load_arrays(folder.samples, folder.labels, Preprocessor(image_size=8))
    assert images.shape == (15, 8, 8, 3)
    assert images.dtype == np.uint8
    assert targets.tolist() == [0] * 5 + [1] * 5 + [2] * 5
