"""`make bento` builds a Bento that `bentoml serve <tag>` serves correctly, on a real port."""

import json
from pathlib import Path

import bentoml
import httpx
import pytest

from celestial.serving.server_process import serving
from conftest import PROJECT_ROOT
from project import copy_build_files, run


@pytest.fixture(scope="module")
def bento_tag(trained_model, tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("bento")
    copy_build_files(root)
    # The Makefile's own recipe; the model is given instead of trained (-o train).
    output = run(root, "make", "-o", "train", "bento", f"MODEL_TAG={trained_model.tag}")
    bentos = json.loads(run(root, "bentoml", "list", "celestial-classifier", "-o", "json"))
    tag = max(bentos, key=lambda bento: bento["creation_time"])["tag"]
    assert tag.split(":")[1] in output
    return tag


def test_bento_packs_service_model_and_locked_environment(bento_tag: str, trained_model) -> None:
    bento = json.loads(run(PROJECT_ROOT, "bentoml", "get", bento_tag, "-o", "json"))
    assert bento["service"] == "celestial.serving.service:CelestialClassifier"
    assert [m["tag"] for m in bento["services"][0]["models"]] == [str(trained_model.tag)]
    path = Path(bentoml.bentos.get(bento_tag).path)
    requirements = (path / "env/python/requirements.txt").read_text()
    assert "bentoml==1.4.39" in requirements
    assert "ai-edge-litert==" in requirements
    for training_tool in ("tensorflow", "keras", "dvc"):
        assert training_tool not in requirements, "serving installs no training tools"
    assert list((path / "env/python/wheels").glob("celestial-*.whl"))


def test_built_bento_serves_correct_predictions(bento_tag: str, held_out, tmp_path: Path) -> None:
    with serving(bento_tag, log=tmp_path / "bento.log", cwd=tmp_path) as server:
        url = server.url
        path = held_out["Mars"][0]
        response = httpx.post(f"{url}/predict", files={"image": (path.name, path.read_bytes())})
        assert response.status_code == 200
        assert response.json()["prediction"] == "Mars"
        assert httpx.get(f"{url}/metadata").json()["labels"] == [
            "Earth",
            "Mars",
            "Neptune",
            "Saturn",
        ]
