"""A BentoML server as a child process: for the integration tests, the benchmark and fault tests.

It runs in a process group of its own, so stopping it stops BentoML's workers too, and its memory
is the sum over that group.
"""

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

# bentoml, and the workers' python, from the environment running this code.
TOOLS_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
PAGE_SIZE = resource.getpagesize()


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen
    started_in: float  # seconds from process start to /readyz answering 200

    def rss_bytes(self) -> int:
        """Resident memory of the server and all its workers."""
        return group_rss(self.process.pid)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(
    *args: str, log: Path, cwd: Path | None = None, env: dict | None = None, timeout: float = 120
) -> Iterator[Server]:
    """Run `bentoml serve <args>` on a free loopback port until /readyz answers 200."""
    port = free_port()
    command = ["bentoml", "serve", *args, "--host", "127.0.0.1", "--port", str(port)]
    started = time.monotonic()
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
        yield Server(url, process, started_in=time.monotonic() - started)
    finally:
        stop(process)


def wait_until_ready(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    """Return once GET /readyz answers 200; raise with the server's log if it exits or times out."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server not ready after {timeout} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def group_rss(group: int) -> int:
    """Sum of resident memory of the processes in a process group, from /proc."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group:  # pgrp is the 5th field; 3rd after the command
                total += int((entry / "statm").read_text().split()[1]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return total
