"""The container image from the Bento (make test-container): it builds, starts as a non-root
user, becomes ready, and answers /predict correctly. Needs podman and buildah, and root for the
base image; run by `make test-container` (and by .ci/run where podman is installed)."""

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from celestial.serving.server_process import free_port, is_ready, process_tree
from conftest import PROJECT_ROOT
from project import run

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


class Running:
    """The image running on the host network, serving on `port`, by one of two runtimes.

    podman (runc) where it can start containers. Some sandboxed hosts refuse the rlimits podman
    always asks runc to set; there buildah's chroot isolation, which builds the image here, runs
    it: the same filesystem, user, environment and entrypoint, without the kernel isolation.
    """

    def __init__(self, image: str, config: dict, port: int) -> None:
        self.name = f"celestial-test-{port}"
        self.process: subprocess.Popen | None = None
        probe = subprocess.run(["podman", "--runtime", "runc", "run", "--rm", image, "true"],
                               capture_output=True, text=True)  # fmt: skip
        self.runtime = "podman" if probe.returncode == 0 else "buildah-chroot"
        print(f"\nruntime: {self.runtime} {probe.stderr.strip()[-200:]}")
        if self.runtime == "podman":
            run(PROJECT_ROOT, "podman", "--runtime", "runc", "run", "--detach", "--rm",
                "--name", self.name, "--network", "host", "--env", f"BENTOML_PORT={port}",
                image)  # fmt: skip
        else:
            run(PROJECT_ROOT, "buildah", "from", "--name", self.name, image)
            command = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
            self.process = subprocess.Popen(
                ["buildah", "run", "--isolation", "chroot", "--network", "host",
                 "--env", f"BENTOML_PORT={port}", self.name, "--", *command],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    def server_uid(self) -> int:
        """The user the server runs as inside the container."""
        if self.runtime == "podman":
            return int(run(PROJECT_ROOT, "podman", "exec", self.name, "id", "-u"))
        assert self.process is not None
        (server,) = [
            pid for pid in process_tree(self.process.pid)
            if b"bentoml\x00serve" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]  # fmt: skip
        status = Path(f"/proc/{server}/status").read_text()
        return int(status.split("Uid:")[1].split()[0])

    def logs(self) -> str:
        return run(PROJECT_ROOT, "podman", "logs", self.name) if self.runtime == "podman" else ""

    def stop(self) -> None:
        if self.runtime == "podman":
            run(PROJECT_ROOT, "podman", "--runtime", "runc", "stop", "--time", "20", self.name,
                check=False)  # fmt: skip
            return
        assert self.process is not None
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        run(PROJECT_ROOT, "buildah", "rm", self.name, check=False)


@pytest.fixture(scope="module")
def container(image: dict) -> Iterator[tuple[Running, str]]:
    port = free_port()
    running = Running(IMAGE, image["config"], port)
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while not is_ready(url):
            if time.monotonic() - started > 120:
                pytest.fail(f"container not ready in 120 s:\n{running.logs()}")
            time.sleep(0.5)
        print(f"container ready in {time.monotonic() - started:.1f} s")
        yield running, url
    finally:
        running.stop()


def test_image_runs_as_a_non_root_user(image: dict, container) -> None:
    running, _ = container
    assert image["config"]["User"] not in ("", "root", "0")
    assert running.server_uid() != 0


def test_container_answers_predict(container, held_out: dict[str, list[Path]]) -> None:
    _, url = container
    path = held_out["Saturn"][0]
    response = httpx.post(f"{url}/predict", files={"image": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    assert response.json()["prediction"] == "Saturn"
    assert httpx.get(f"{url}/metadata").json()["labels"] == ["Earth", "Mars", "Neptune", "Saturn"]
