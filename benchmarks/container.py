"""The container image, measured: its size, and how long it takes from start to ready.

    python benchmarks/container.py --image celestial-classifier:latest    (make bench-container)

Runs the image several times, each in a fresh container with its port published, and times
`run` to the first 200 from /readyz; prints a table, writes reports/container.json and
docs/container.md. podman runs with the project's settings (deploy/container/containers.conf);
CONTAINER_RUNTIME=docker uses Docker.
"""

import argparse
import json
import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

import httpx

from celestial.serving.server_process import free_port

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = os.environ.get("CONTAINER_RUNTIME", "podman")
ENV = {**os.environ, "CONTAINERS_CONF": str(ROOT / "deploy/container/containers.conf")}


def cli(*args: str) -> str:
    return subprocess.run(
        [RUNTIME, *args], env=ENV, check=True, capture_output=True, text=True
    ).stdout


def seconds_to_ready(image: str, timeout: float = 120) -> float:
    """Start a container, time it to /readyz answering 200, then stop and remove it."""
    port = free_port()
    started = time.monotonic()
    name = cli("run", "--detach", "--publish", f"127.0.0.1:{port}:3000", image).strip()
    try:
        while time.monotonic() - started < timeout:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{image} not ready in {timeout} s:\n{cli('logs', name)}")
    finally:
        cli("rm", "--force", name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="celestial-classifier:latest")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=ROOT / "reports/container.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs/container.md")
    args = parser.parse_args()

    inspect = json.loads(cli("image", "inspect", args.image))[0]
    seconds = [round(seconds_to_ready(args.image), 2) for _ in range(args.runs)]
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "runtime": RUNTIME,
        "image": args.image,
        "size_mb": round(inspect["Size"] / 1e6),
        "user": inspect["Config"]["User"],
        "ready_s": {"runs": seconds, "median": median(seconds), "max": max(seconds)},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    args.markdown.write_text(markdown(report))
    print(markdown(report))


def markdown(report: dict) -> str:
    ready = report["ready_s"]
    return f"""# The container image

<!-- Written by benchmarks/container.py (make bench-container). Do not edit: re-run it. -->

Measured {report["when"]} with {report["runtime"]} on {report["machine"]["cpus"]} CPUs.

| image | size | runs as | start to `/readyz` 200, median | slowest | runs |
| --- | --- | --- | --- | --- | --- |
| `{report["image"]}` | {report["size_mb"]} MB | `{report["user"]}` | {ready["median"]:.1f} s | {ready["max"]:.1f} s | {len(ready["runs"])} |

Each run starts a fresh container with its port published and polls `/readyz` every 50 ms. Target:
at most 450 MB, ready within 5 s. How the image is built: [deployment.md](deployment.md).
"""  # noqa: E501


if __name__ == "__main__":
    main()
