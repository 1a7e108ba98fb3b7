"""The whole DVC pipeline on a tiny rendered dataset, in a temporary copy of the project."""

import json
import subprocess
import sys
from pathlib import Path

import bentoml
import pytest

from celestial.render import KNOWN_BODIES
from celestial.store import export_tag
from project import git, make_project, run

pytestmark = pytest.mark.integration

MODEL = "celestial_bodies_classifier"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A project that has rendered its data and run `dvc repro` once; and the repro's output."""
    root = make_project(tmp_path_factory.mktemp("pipeline") / "project")
    run(root, sys.executable, "-m", "celestial.render", "--if-empty")
    run(root, "dvc", "add", "--quiet", "data/raw")
    output = run(root, "dvc", "repro")
    return root, output


def test_stages_write_their_outputs(trained: tuple[Path, str]) -> None:
    root, output = trained
    for stage in ("prepare", "train", "evaluate"):
        assert f"Running stage '{stage}'" in output
    report = json.loads((root / "data/prepared/report.json").read_text())
    assert report["classes"] == list(KNOWN_BODIES)
    assert report["per_split"] == {"train": 30, "val": 10, "test": 10}
    assert report["skipped"] == []
    assert "Epoch 2/2" in output, "training progress is visible"


def test_metrics_and_plots_are_readable_by_dvc(trained: tuple[Path, str]) -> None:
    root, _ = trained
    metrics = json.loads(run(root, "dvc", "metrics", "show", "--json"))
    figures = next(iter(metrics[""]["data"].values()))["data"]
    assert 0 <= figures["accuracy"] <= 1
    assert set(figures["macro"]) == {"precision", "recall", "f1"}
    assert set(figures["per_class"]) == set(KNOWN_BODIES)
    plots = json.loads(run(root, "dvc", "plots", "show", "--json"))["data"]
    assert set(plots) == {
        "Loss",
        "Accuracy",
        "reports/evaluate/plots/sklearn/confusion_matrix.json",
    }
    for name, shown in plots.items():
        assert shown[0]["content"]["data"]["values"], f"{name} has data points"
    run(root, "dvc", "plots", "show", "-o", "plots")
    assert "vega" in (root / "plots/index.html").read_text()


def test_model_is_in_the_store_with_its_contract(trained: tuple[Path, str]) -> None:
    root, _ = trained
    tag = export_tag(root / f"model/{MODEL}.bentomodel")
    model = bentoml.models.get(tag)
    assert str(bentoml.models.get(f"{MODEL}:latest").tag) == tag
    assert set(model.custom_objects) == {"preprocess", "postprocess"}
    assert model.custom_objects["preprocess"].image_size == 32
    assert model.custom_objects["postprocess"].labels == KNOWN_BODIES
    metadata = model.info.metadata
    assert metadata["class_names"] == list(KNOWN_BODIES)
    assert metadata["input_size"] == [32, 32, 3]
    assert metadata["params"]["train"]["epochs"] == 2
    assert set(metadata["metrics"]) == {"val_accuracy", "val_loss"}
    assert metadata["git_commit"] == git(root, "rev-parse", "HEAD").strip()


def test_second_repro_retrains_nothing(trained: tuple[Path, str]) -> None:
    root, _ = trained
    export = root / f"model/{MODEL}.bentomodel"
    before = export.stat().st_mtime_ns
    output = run(root, "dvc", "repro")
    assert "Running stage" not in output
    assert export.stat().st_mtime_ns == before


def test_a_data_mistake_is_one_clear_line(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    run(root, sys.executable, "-m", "celestial.render", "--bodies", "Moon")
    result = subprocess.run(
        [sys.executable, "-m", "celestial.prepare"], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "error: data/raw has 1 class folder(s) (Moon)" in result.stderr
    assert "Traceback" not in result.stderr
