"""Faults: a worker killed under load, a missing or corrupt model, readiness, a training run killed
midway, a port taken before the server binds it. Each is caused for real and its outcome
measured."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from celestial.serving import server_process
from celestial.serving.server_process import (
    TOOLS_PATH,
    free_port,
    own_home,
    process_tree,
    serving,
    stop,
)
from celestial.store import TFLITE_FILE, export_tag
from project import make_project

SERVICE = "celestial.serving.service:CelestialClassifier"


def worker_pid(server_pid: int) -> int:
    (pid,) = [
        pid for pid in process_tree(server_pid)
        if b"_bentoml_impl.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]  # fmt: skip
    return pid


def test_a_killed_worker_is_replaced(trained_model, held_out, tmp_path: Path) -> None:
    image = held_out["Earth"][0].read_bytes()
    env = {"CELESTIAL_MODEL_TAG": str(trained_model.tag)}
    outcomes: list[tuple[float, bool]] = []  # (time, succeeded)
    stop = threading.Event()

    def client(url: str) -> None:
        with httpx.Client(timeout=10) as session:
            while not stop.is_set():
                try:
                    ok = session.post(f"{url}/predict", files={"image": ("e.jpg", image)})
                    outcomes.append((time.monotonic(), ok.status_code == 200))
                except httpx.TransportError:
                    outcomes.append((time.monotonic(), False))
                    time.sleep(0.05)

    with serving(SERVICE, log=tmp_path / "server.log", env=env) as server:
        clients = [threading.Thread(target=client, args=(server.url,)) for _ in range(4)]
        for thread in clients:
            thread.start()
        time.sleep(3)
        killed = worker_pid(server.process.pid)
        os.kill(killed, signal.SIGKILL)
        killed_at = time.monotonic()
        deadline = killed_at + 60
        while time.monotonic() < deadline:
            recovered = [t for t, ok in outcomes if ok and t > killed_at + 0.5]
            if len(recovered) >= 20:
                break
            time.sleep(0.25)
        time.sleep(2)
        stop.set()
        for thread in clients:
            thread.join()
        replacement = worker_pid(server.process.pid)

    failed = [t for t, ok in outcomes if not ok]
    after = [t for t, ok in outcomes if ok and t > killed_at]
    assert after, "the service never answered again"
    recovery = after[0] - killed_at
    print(
        f"\nworker killed: back in {recovery:.2f} s, "
        f"{len(failed)} failed requests of {len(outcomes)}"
    )
    assert replacement != killed
    assert recovery < 30
    assert all(ok for t, ok in outcomes if t > after[0] + 1), "steady again once replaced"


def serve_and_fail(env: dict, log: Path, timeout: float = 90) -> tuple[int, str, float]:
    """Start a server expected to fail; its exit code, its output and how long it took."""
    started = time.monotonic()
    result = subprocess.run(
        ["bentoml", "serve", SERVICE, "--port", "0", "--host", "127.0.0.1"],
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PATH": TOOLS_PATH, **env},
    )  # fmt: skip
    log.write_text(result.stdout + result.stderr)
    return result.returncode, result.stdout + result.stderr, time.monotonic() - started


def test_a_missing_model_stops_the_server_with_a_clear_error(tmp_path: Path) -> None:
    code, output, seconds = serve_and_fail(
        {"CELESTIAL_MODEL_TAG": "celestial_bodies_classifier:doesnotexist"}, tmp_path / "log"
    )
    assert code != 0
    assert "celestial_bodies_classifier:doesnotexist" in output
    assert "could not be found" in output
    print(f"\nmissing model: exit {code} after {seconds:.1f} s")


def test_a_corrupt_model_stops_the_server_with_a_clear_error(trained_model, tmp_path: Path):
    store = tmp_path / "bentoml"
    copy = store / "models" / trained_model.tag.name / trained_model.tag.version
    shutil.copytree(trained_model.path, copy)
    (copy / TFLITE_FILE).write_bytes(b"this is not a model")
    code, output, seconds = serve_and_fail(
        {"BENTOML_HOME": str(store), "CELESTIAL_MODEL_TAG": str(trained_model.tag)},
        tmp_path / "log",
    )
    assert code != 0
    assert str(trained_model.tag) in output
    assert "model.tflite" in output
    print(f"\ncorrupt model: exit {code} after {seconds:.1f} s")


# The service with a slow warm-up prediction, which notes when it is done: a wrapper module, so
# the server runs the project's own service class.
SLOW_WARM_UP = """
import os, time
from pathlib import Path
from celestial.serving.service import CelestialClassifier

warm_up = CelestialClassifier.inner._warm_up

def slow_warm_up(self):
    time.sleep(3)
    warm_up(self)
    Path(os.environ["WARMED_UP"]).write_text(repr(time.time()))

CelestialClassifier.inner._warm_up = slow_warm_up
"""


def test_readyz_answers_200_only_after_a_real_prediction(trained_model, tmp_path: Path) -> None:
    """Polled over HTTP from the moment the server starts, /readyz never answers 200 before the
    warm-up prediction has run."""
    (tmp_path / "slow_service.py").write_text(SLOW_WARM_UP)
    marker, port = tmp_path / "warmed-up", free_port()
    url = f"http://127.0.0.1:{port}/readyz"
    answers: list[tuple[float, int | None]] = []  # (time, status; None: no connection)
    env = {**os.environ, "PATH": TOOLS_PATH, "PYTHONPATH": str(tmp_path),
           "CELESTIAL_MODEL_TAG": str(trained_model.tag), "WARMED_UP": str(marker)}  # fmt: skip
    with own_home(os.environ["BENTOML_HOME"]) as home:
        process = subprocess.Popen(
            ["bentoml", "serve", "slow_service:CelestialClassifier", "--port", str(port)],
            cwd=tmp_path, env={**env, "BENTOML_HOME": home}, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while not answers or answers[-1][1] != 200:
                assert time.monotonic() < deadline, "not ready in 120 s"
                assert process.poll() is None, "the server exited"
                try:
                    status = httpx.get(url, timeout=2).status_code
                except httpx.TransportError:
                    status = None
                answers.append((time.time(), status))
                time.sleep(0.05)
        finally:
            stop(process)
    warmed_up = float(marker.read_text())
    early = [status for moment, status in answers if moment < warmed_up]
    assert early, "polling began before the warm-up ended"
    assert 200 not in early
    assert answers[-1][0] >= warmed_up


def test_training_killed_midway_loses_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    project.run(sys.executable, "-m", "celestial.render", "--if-empty")
    project.run("dvc", "add", "--quiet", "data/raw")
    project.run("dvc", "repro")
    export = project.root / "model/celestial_bodies_classifier.bentomodel"
    first = export_tag(export)

    # A longer training run, killed once it is well under way.
    params = project.root / "params.yaml"
    params.write_text(params.read_text().replace("epochs: 2", "epochs: 50"))
    log = tmp_path / "repro.log"
    with log.open("w") as output:
        repro = subprocess.Popen(
            ["dvc", "repro"], cwd=project.root, stdout=output, stderr=subprocess.STDOUT,
            env={**os.environ, "PATH": TOOLS_PATH, "BENTOML_HOME": str(project.store)},
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 120
    while "Epoch 3/50" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Epoch 3/50" in log.read_text(), log.read_text()
    os.killpg(repro.pid, signal.SIGKILL)
    repro.wait()

    latest = project.run(sys.executable, "-c", LATEST).strip()
    assert latest == first, "the killed run left the previous model as latest"
    store = {"BENTOML_HOME": str(project.store), "CELESTIAL_MODEL_TAG": MODEL + ":latest"}
    with serving(SERVICE, log=tmp_path / "server.log", env=store) as server:
        assert httpx.get(f"{server.url}/metadata").json()["model_tag"] == first

    project.run("dvc", "repro")
    second = export_tag(export)
    assert second != first
    assert project.run(sys.executable, "-c", LATEST).strip() == second
    for model in (project.store / "models/celestial_bodies_classifier").iterdir():
        if model.is_dir():
            assert (model / "model.yaml").is_file(), f"no partial model in the store: {model}"


def test_a_port_taken_before_the_server_binds_it_is_replaced(
    trained_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """free_port's answer can be taken by another socket before bentoml binds it: the harness
    starts the server again on another port instead of failing the test that wanted a server."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        answers = iter([busy])
        monkeypatch.setattr(server_process, "free_port", lambda: next(answers, None) or free_port())
        env = {"CELESTIAL_MODEL_TAG": str(trained_model.tag)}
        with serving(SERVICE, log=tmp_path / "server.log", env=env) as server:
            assert not server.url.endswith(f":{busy}")
            assert httpx.get(f"{server.url}/readyz").status_code == 200


MODEL = "celestial_bodies_classifier"
LATEST = f"import bentoml; print(bentoml.models.get('{MODEL}:latest').tag)"
