"""The container image from the Bento (make test-container): it builds lean (no compilers), runs in
podman with kernel isolation and a published port as a non-root user, becomes ready, answers
/predict right and a bad image with 400, and stops cleanly on SIGTERM. Needs podman, buildah and
runc, and root for the base image (make system-deps-container); .ci/run runs it every time."""

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from celestial.serving.server_process import free_port, is_ready
from conftest import PROJECT_ROOT
from project import copy_build_files, run

IMAGE = "localhost/celestial-classifier:test"
# podman (built with buildah), or Docker where a daemon runs (CI on GitHub's runners).
RUNTIME = os.environ.get("CONTAINER_RUNTIME", "podman")
BACKEND = {"podman": "buildah", "docker": "docker"}[RUNTIME]
# podman's settings for sandboxed hosts like this project's: runc, and rlimits they allow.
RUNTIME_ENV = {"CONTAINERS_CONF": str(PROJECT_ROOT / "deploy/container/containers.conf")}


@pytest.fixture(scope="module")
def image(trained_model, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build the image the way `make container` does; report its size and build time."""
    if not shutil.which(RUNTIME):
        pytest.fail(f"{RUNTIME} is needed: make system-deps-container")
    root = tmp_path_factory.mktemp("container")
    copy_build_files(root)
    run(root, "make", "-o", "train", "bento", f"MODEL_TAG={trained_model.tag}")
    started = time.monotonic()
    run(root, "make", "-o", "bento", "container", f"IMAGE={IMAGE}",
        env={"CONTAINER_BACKEND": BACKEND})  # fmt: skip
    seconds = time.monotonic() - started
    inspect = json.loads(container_cli("image", "inspect", IMAGE))[0]
    figures = {"build_seconds": round(seconds), "size_mb": round(inspect["Size"] / 2**20)}
    print(f"\nimage {IMAGE}: {figures}")
    return {"config": inspect["Config"], **figures}


class Running:
    """The image running in its own namespaces and cgroup (podman with runc, or Docker), its port
    3000 published on the host's `port`."""

    def __init__(self, image: str, port: int) -> None:
        self.name = f"celestial-test-{port}"
        self.started = time.monotonic()
        container_cli("run", "--detach", "--name", self.name,
               "--publish", f"127.0.0.1:{port}:3000", image)  # fmt: skip

    def exec(self, *command: str, check: bool = True) -> str:
        return container_cli("exec", self.name, *command, check=check)

    def logs(self) -> str:
        return container_cli("logs", self.name, check=False)

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after a 20 s grace period; the container's exit status."""
        container_cli("stop", "--time", "20", self.name, check=False)
        status = int(container_cli("inspect", "--format", "{{.State.ExitCode}}", self.name).strip())
        container_cli("rm", "--force", self.name, check=False)
        return status


def container_cli(*args: str, check: bool = True) -> str:
    return run(PROJECT_ROOT, RUNTIME, *args, env=RUNTIME_ENV, check=check)


@pytest.fixture(scope="module")
def container(image: dict) -> Iterator[tuple[Running, str]]:
    port = free_port()
    running = Running(IMAGE, port)
    url = f"http://127.0.0.1:{port}"
    try:
        while not is_ready(url):
            if time.monotonic() - running.started > 120:
                pytest.fail(f"container not ready in 120 s:\n{running.logs()}")
            time.sleep(0.1)
        print(f"container ready in {time.monotonic() - running.started:.1f} s")
        yield running, url
    finally:
        running.stop()


def test_image_is_lean(image: dict) -> None:
    assert image["size_mb"] <= 450


def test_image_runs_as_a_non_root_user(image: dict, container) -> None:
    running, _ = container
    assert image["config"]["User"] not in ("", "root", "0")
    assert running.exec("id", "-u").strip() != "0"


def test_image_has_no_build_tools(container) -> None:
    running, _ = container
    for tool in ("gcc", "cc", "c++", "make", "ld", "pip", "uv"):
        assert not running.exec("sh", "-c", f"command -v {tool}", check=False).strip(), tool


def test_container_answers_predict(container, held_out: dict[str, list[Path]]) -> None:
    _, url = container
    path = held_out["Saturn"][0]
    response = httpx.post(f"{url}/predict", files={"image": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    assert response.json()["prediction"] == "Saturn"
    assert httpx.get(f"{url}/metadata").json()["labels"] == ["Earth", "Mars", "Neptune", "Saturn"]
    bad = httpx.post(f"{url}/predict", files={"image": ("bad.jpg", b"not an image")})
    assert bad.status_code == 400


def test_container_records_its_predictions(container, held_out: dict[str, list[Path]]) -> None:
    """The record writer runs beside the worker in the image: the live metric counts the
    prediction, and its record is in the records' folder under the request's id."""
    running, url = container
    path = held_out["Mars"][0]
    before = predictions_counted(url)
    response = httpx.post(f"{url}/predict", files={"image": (path.name, path.read_bytes())})
    request_id = str(int(response.headers["x-bentoml-request-id"], 16))
    deadline = time.monotonic() + 20
    while predictions_counted(url) < before + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert predictions_counted(url) == before + 1
    records = running.exec("sh", "-c", "cat $(find / -path '*celestial_predictions/data/data.*' "
                           "2>/dev/null)")  # fmt: skip
    assert f'"request_id":"{request_id}"' in records


def predictions_counted(url: str) -> float:
    families = text_string_to_metric_families(httpx.get(f"{url}/metrics").text)
    name = "celestial_predictions_total"
    return sum(s.value for family in families for s in family.samples if s.name == name)


def test_container_stops_cleanly_on_sigterm(image: dict) -> None:
    """`stop` sends SIGTERM: the server drains and exits by itself (0), not killed (137)."""
    port = free_port()
    running = Running(IMAGE, port)
    while not is_ready(f"http://127.0.0.1:{port}"):
        assert time.monotonic() - running.started < 120, running.logs()
        time.sleep(0.1)
    assert running.stop() == 0


@pytest.mark.parametrize("seconds", [0.25 * step for step in range(1, 11)])
def test_a_container_stopped_while_starting_is_not_killed(image: dict, seconds: float) -> None:
    """Stopped at any moment of its start-up, the server ends by itself (0, or 143 before it set
    its own handlers) instead of waiting out the grace period to be killed (137): tini hands
    SIGTERM on, and the signal relay repeats it until the server takes it."""
    running = Running(IMAGE, free_port())
    time.sleep(seconds)
    assert running.stop() in (0, 143)
