"""Shared fixtures. Every test session gets its own BentoML store: the user's is never touched."""

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # Set before anything imports bentoml, which reads BENTOML_HOME once; subprocesses inherit it.
    os.environ["BENTOML_HOME"] = tempfile.mkdtemp(prefix="celestial-test-bentoml-")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def write_image(path: Path, *, size=(24, 24), color=(200, 80, 40), fmt: str | None = None) -> Path:
    """A small image with a bright disc on black, so preprocessing has something to keep."""
    path.parent.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[: size[1], : size[0]]
    disc = (xx - size[0] / 2) ** 2 + (yy - size[1] / 2) ** 2 < (min(size) / 3) ** 2
    pixels = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    pixels[disc] = color
    Image.fromarray(pixels).save(path, format=fmt)
    return path


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """data/raw-like folder: three classes of five images each, in JPEG and PNG."""
    root = tmp_path / "raw"
    colours = {"Mars": (200, 80, 40), "Neptune": (40, 60, 200), "Venus": (230, 210, 150)}
    for label, colour in colours.items():
        for i in range(5):
            suffix = ".png" if i % 2 else ".jpg"
            write_image(root / label / f"{label}_{i}{suffix}", color=colour)
    return root


LABELS = ("Mars", "Neptune", "Venus")


@pytest.fixture(scope="session")
def stored_model():
    """A tiny untrained classifier saved into the test store the way the train stage saves one."""
    from celestial.config import AugmentParams, TrainParams
    from celestial.model import build_model
    from celestial.preprocessing import Postprocessor, Preprocessor
    from celestial.store import save_model

    params = TrainParams(
        epochs=1,
        batch_size=4,
        learning_rate=0.01,
        patience=1,
        filters=(4,),
        dense_units=8,
        dropout=0.0,
        augment=AugmentParams(flip=False, rotation=0, zoom=0, contrast=0),
    )
    model = build_model(num_classes=len(LABELS), image_size=16, params=params, seed=0)
    return save_model(
        "test_classifier",
        model,
        preprocess=Preprocessor(image_size=16),
        postprocess=Postprocessor(labels=LABELS),
        labels={"project": "celestial"},
        metadata={"class_names": list(LABELS), "input_size": [16, 16, 3]},
    )
