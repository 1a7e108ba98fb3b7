"""The drift report on real traffic through a real server: renders like the training images are
no drift; darker images, bodies never trained on and a changed label mix are; a window too
small is "not enough data"."""

import io
import json
import math
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from celestial.inference import Classifier
from celestial.monitoring import drift
from celestial.pipeline.dataset import Sample
from celestial.pipeline.reference import records_of, save
from celestial.render import NOVEL_BODIES, render_dataset
from celestial.serving.server_process import serving
from conftest import TEST_BODIES

WINDOW = 120  # smaller than the project's, to keep the test quick; calibrated for it all the same


@pytest.fixture(scope="module")
def reference(trained_model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference stage's work for the test model: a profile and calibrated thresholds."""
    root = tmp_path_factory.mktemp("reference")
    classifier = Classifier.from_store(trained_model)
    held_out = {
        name: [Sample(path, path.parent.name) for path in
               render_dataset(root / name, bodies=TEST_BODIES, images_per_class=40, seed=seed)]
        for name, seed in (("val", 41), ("test", 42))
    }  # fmt: skip
    profile = drift.frame(records_of(held_out["val"], classifier))
    both = pd.concat([profile, drift.frame(records_of(held_out["test"], classifier))])
    thresholds = drift.calibrate(
        both.reset_index(drop=True), reference_size=len(profile), window=WINDOW,
        min_records=60, embedding_share=0.25, false_alarm=0.05, resamples=400, seed=0,
    )  # fmt: skip
    save(profile, thresholds, root / "profile")
    return root / "profile"


@pytest.fixture(scope="module")
def records(trained_model, tmp_path_factory: pytest.TempPathFactory):
    """A server writing its records into a folder of its own: (url, folder)."""
    folder = tmp_path_factory.mktemp("records")
    env = {"CELESTIAL_MODEL_TAG": str(trained_model.tag), "CELESTIAL_MONITORING_DIR": str(folder)}
    log = tmp_path_factory.mktemp("server") / "server.log"
    with serving("celestial.serving.service:CelestialClassifier", log=log, env=env) as server:
        yield server.url, folder


def report(traffic: list[bytes], records, reference: Path, out: Path) -> tuple[int, dict]:
    """Send the images, then run the drift report on exactly the window they fall in."""
    url, folder = records
    since = datetime.now(UTC)
    with httpx.Client() as client:
        for image in traffic:
            client.post(f"{url}/predict", files={"image": ("x.jpg", image)}).raise_for_status()
    until = datetime.now(UTC)
    result = subprocess.run(
        [sys.executable, "-m", "celestial.monitoring.report", "--since", since.isoformat(),
         "--until", until.isoformat(), "--records", str(folder), "--reference", str(reference),
         "--output", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads((out / "verdict.json").read_text())


def assert_evidently_agrees(out: Path, verdict: dict) -> None:
    """Evidently's report holds the verdict's figures: each feature's p-value, the embedding's
    distance, and a failed test exactly where the verdict says drift."""
    features = json.loads((out / "report.json").read_text())
    values = {
        metric["config"]["column"]: 1.0 if math.isnan(metric["value"]) else metric["value"]
        for metric in features["metrics"]
        if "column" in metric["config"]
    }  # NaN: one category on both sides (the format); the verdict reads it as no evidence
    assert values == pytest.approx(verdict["p_values"], rel=1e-9)
    failed = {t["metric_config"]["params"]["column"] for t in features["tests"]
              if t["status"] == "FAIL" and "column" in t["metric_config"]["params"]}  # fmt: skip
    assert failed == set(verdict["drifted"]) - {"embedding"}
    (embedding,) = json.loads((out / "embedding.json").read_text())["metrics"]
    assert embedding["value"] == pytest.approx(verdict["embedding"]["distance"], rel=1e-9)


def renders(folder: Path, bodies=TEST_BODIES, count: int = WINDOW, seed: int = 51) -> list[bytes]:
    per_body = count // len(bodies)
    paths = render_dataset(folder, bodies=bodies, images_per_class=per_body, seed=seed)
    return [path.read_bytes() for path in paths]


def darker(image: bytes) -> bytes:
    pixels = np.asarray(Image.open(io.BytesIO(image)), dtype=np.float32) * 0.5
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(out, "JPEG", quality=92)
    return out.getvalue()


def test_renders_like_the_training_images_are_no_drift(records, reference, tmp_path) -> None:
    status, verdict = report(renders(tmp_path / "fresh"), records, reference, tmp_path / "out")
    assert (status, verdict["status"], verdict["drifted"]) == (0, "no drift", [])
    assert verdict["records"] == WINDOW
    assert verdict["embedding"]["records"] > 0, "a share of the records carries the embedding"
    assert_evidently_agrees(tmp_path / "out", verdict)
    assert "top_probability" in (tmp_path / "out/report.html").read_text()
    assert (tmp_path / "out/embedding.html").is_file()


def test_darker_images_drift(records, reference, tmp_path) -> None:
    traffic = [darker(image) for image in renders(tmp_path / "fresh", seed=52)]
    status, verdict = report(traffic, records, reference, tmp_path / "out")
    assert (status, verdict["status"]) == (1, "drift")
    assert "brightness" in verdict["drifted"]
    assert_evidently_agrees(tmp_path / "out", verdict)


def test_bodies_never_trained_on_drift(records, reference, tmp_path) -> None:
    traffic = renders(tmp_path / "novel", bodies=NOVEL_BODIES, seed=53)
    status, verdict = report(traffic, records, reference, tmp_path / "out")
    assert (status, verdict["status"]) == (1, "drift")
    assert "in_distribution" in verdict["drifted"]
    ood = verdict["out_of_distribution"]
    assert ood["window"] > 3 * ood["reference"]


def test_a_changed_label_mix_drifts(records, reference, tmp_path) -> None:
    traffic = renders(tmp_path / "two", bodies=TEST_BODIES[:2], seed=54)
    status, verdict = report(traffic, records, reference, tmp_path / "out")
    assert (status, verdict["status"]) == (1, "drift")
    assert "prediction" in verdict["drifted"]


def test_a_small_window_is_not_enough_data(records, reference, tmp_path) -> None:
    status, verdict = report(renders(tmp_path / "few", count=20), records, reference, tmp_path)
    assert (status, verdict["status"], verdict["records"]) == (0, "not enough data", 20)
    assert not (tmp_path / "report.html").exists()
