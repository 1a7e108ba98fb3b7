"""Real servers for the integration tests: a process on a free port, stopped with its workers."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from project import TOOLS_PATH


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(
    *args: str, log: Path, cwd: Path | None = None, env: dict | None = None, timeout: float = 120
) -> Iterator[str]:
    """Run `bentoml serve <args>` on a free loopback port until /readyz answers 200; yield its URL.

    The server runs in its own process group, so stopping it stops BentoML's workers too.
    """
    port = free_port()
    command = ["bentoml", "serve", *args, "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**os.environ, "PATH": TOOLS_PATH, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, log, timeout)
        yield url
    finally:
        stop(process)


def wait_until_ready(url: str, process: subprocess.Popen, log: Path, timeout: float) -> float:
    """Seconds until GET /readyz answered 200; fails with the server's log if it never does."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise AssertionError(f"server exited {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"server not ready after {timeout} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
