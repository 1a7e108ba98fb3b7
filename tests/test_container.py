"""The container image from the Bento (make test-container): it builds, starts as a non-root
user, becomes ready, and answers /predict correctly. Needs podman (or Docker) and root for the
base image; run by `make test-container`, not by `make test`."""

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from celestial.server_process import TOOLS_PATH, free_port
from conftest import PROJECT_ROOT
from project import run

pytestmark = pytest.mark.container

IMAGE = "localhost/celestial-classifier:test"
CONTAINER_FILES = (*("Makefile", "bentofile.yaml", ".bentoignore", "pyproject.toml"),
                   *("README.md", "requirements-serve.lock", "src", "scripts"))  # fmt: skip


@pytest.fixture(scope="module")
def image(trained_model, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the image the way `make container` does; report its size and build time."""
    if not shutil.which("podman"):
        pytest.fail("podman is needed: make system-deps-container")
    root = tmp_path_factory.mktemp("container")
    for name in CONTAINER_FILES:
        copy = shutil.copytree if (PROJECT_ROOT / name).is_dir() else shutil.copy
        copy(PROJECT_ROOT / name, root / name)
    run(root, "make", "-o", "train", "bento", f"MODEL_TAG={trained_model.tag}")
    started = time.monotonic()
    run(root, "make", "-o", "bento", "container", f"IMAGE={IMAGE}",
        env={"CONTAINER_BACKEND": "buildah"})  # fmt: skip
    seconds = time.monotonic() - started
    inspect = json.loads(run(root, "podman", "image", "inspect", IMAGE))[0]
    figures = {"build_seconds": round(seconds), "size_mb": round(inspect["Size"] / 2**20)}
    print(f"\nimage {IMAGE}: {figures}")
    return {"config": inspect["Config"], **figures}


@pytest.fixture(scope="module")
def container(image: dict) -> str:
    port = free_port()
    name = f"celestial-test-{port}"
    subprocess.run(
        ["podman", "--runtime", "runc", "run", "--detach", "--rm", "--name", name,
         "--network", "host", "--env", f"BENTOML_PORT={port}", IMAGE],
        check=True, capture_output=True, text=True, env={"PATH": TOOLS_PATH},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            logs = subprocess.run(["podman", "logs", name], capture_output=True, text=True)
            pytest.fail(f"container not ready in 120 s:\n{logs.stdout}{logs.stderr}")
        yield name, url
    finally:
        subprocess.run(["podman", "--runtime", "runc", "stop", "--time", "20", name],
                       capture_output=True)  # fmt: skip


def test_image_runs_as_a_non_root_user(image: dict, container) -> None:
    name, _ = container
    assert image["config"]["User"] not in ("", "root", "0")
    uid = subprocess.run(
        ["podman", "--runtime", "runc", "exec", name, "id", "-u"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert uid != "0"


def test_container_answers_predict(container, held_out: dict[str, list[Path]]) -> None:
    _, url = container
    path = held_out["Saturn"][0]
    response = httpx.post(f"{url}/predict", files={"image": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    assert response.json()["prediction"] == "Saturn"
    assert httpx.get(f"{url}/metadata").json()["labels"] == ["Earth", "Mars", "Neptune", "Saturn"]
