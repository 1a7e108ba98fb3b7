"""A BentoML server as a child process: for the integration tests, the benchmark and fault tests.

BentoML's workers run in sessions of their own, so the server is followed as a process tree: its
memory is the sum over the tree, and if it does not stop its workers when asked, they are killed.

Each server gets a BentoML home of its own that shares the models and Bentos of the current one:
`bentoml serve` empties <home>/prometheus_multiproc_dir as it starts, so servers sharing a home
(the tests and the benchmark run several) would blank each other's /metrics for good.
"""

import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

# bentoml, and the workers' python, from the environment running this code.
TOOLS_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
PAGE_SIZE = resource.getpagesize()
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen
    started_in: float  # seconds from process start to /readyz answering 200

    def rss_bytes(self) -> int:
        """Resident memory of the server and all its workers."""
        return sum(_rss(pid) for pid in process_tree(self.process.pid))

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and all its workers."""
        return sum(cpu_seconds_of(pid) for pid in process_tree(self.process.pid))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def serving(
    *args: str,
    log: Path,
    cwd: Path | None = None,
    env: dict | None = None,
    timeout: float = 120,
    port: int | None = None,
) -> Iterator[Server]:
    """Run `bentoml serve <args>` on a loopback port (a free one by default) until /readyz
    answers 200."""
    env = {**os.environ, "PATH": TOOLS_PATH, **(env or {})}
    with own_home(env.get("BENTOML_HOME")) as home:
        for attempt in range(1, PORT_ATTEMPTS + 1):
            bound = port or free_port()
            url = f"http://{HOST}:{bound}"
            started = time.monotonic()
            process = _start(args, bound, log, cwd, {**env, "BENTOML_HOME": home})
            try:
                wait_until_ready(url, process, log, timeout)
                break
            except RuntimeError:
                stop(process)
                # A port found free can be taken by any socket before the server binds it.
                if port or attempt == PORT_ATTEMPTS or ADDRESS_IN_USE not in log.read_text():
                    raise
        try:
            yield Server(url, process, started_in=time.monotonic() - started)
        finally:
            stop(process)


HOST = "127.0.0.1"  # loopback only
PORT_ATTEMPTS = 3
ADDRESS_IN_USE = "Address already in use"


def _start(
    args: Sequence[str], port: int, log: Path, cwd: Path | None, env: dict
) -> subprocess.Popen:
    command = ["bentoml", "serve", *args, "--host", HOST, "--port", str(port)]
    with log.open("wb") as output:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


@contextmanager
def own_home(store: str | None) -> Iterator[str]:
    """A temporary BentoML home whose models and Bentos are those of `store` (default ~/bentoml)."""
    source = Path(store or Path.home() / "bentoml")
    with tempfile.TemporaryDirectory(prefix="bentoml-home-") as home:
        for name in ("models", "bentos"):
            (source / name).mkdir(parents=True, exist_ok=True)
            (Path(home) / name).symlink_to(source / name)
        yield home


def wait_until_ready(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    """Return once GET /readyz answers 200; raise with the server's log if it exits or times out."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited {process.returncode}:\n{log.read_text()}")
        if is_ready(url):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server not ready after {timeout} s:\n{log.read_text()}")


def is_ready(url: str) -> bool:
    """Whether GET /readyz answers 200 (a server not listening yet is not ready)."""
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, as an orchestrator would (BentoML drains and stops its workers); then SIGKILL."""
    tree = process_tree(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    for pid in tree:
        with suppress(ProcessLookupError):  # already gone, as it should be
            os.kill(pid, signal.SIGKILL)
    process.wait()


def process_tree(root: int) -> list[int]:
    """The process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # the process ended while we looked
            children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending += children.get(pid, [])
    return tree


def cpu_seconds_of(pid: int) -> float:
    """CPU time used so far by one process (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0.0


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0
