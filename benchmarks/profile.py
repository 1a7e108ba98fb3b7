"""Where a /predict request's time goes in the server: ours beside the floor, stage by stage.

    python benchmarks/profile.py --target celestial-classifier:latest     (make profile does this)

Serves our service and the floor (benchmarks/reference_services.py) with the same settings, and
drives them with wrk in alternating rounds while py-spy samples the busiest worker process. A
sample counts every thread that is running, in Python or native code (LiteRT, Pillow), not
waiting. A stack in the batcher or the model is the model's wherever it runs (batches run in a
thread of their own, outside any endpoint); any other is put in a stage by the first frame below
the endpoint. Samples per request, at the sampling rate, give the milliseconds of running threads
a request costs in each stage.
Printed as a table and written as docs/profile.md. The floor runs the same framework, decoding and
response building, so the rows where the two differ are what our model path adds.
"""

import argparse
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from bench import FLOOR, HERE, in_turn, request_bodies, settle, wrk

from celestial.serving.server_process import Server, cpu_seconds_of, process_tree, serving

SAMPLES_PER_SECOND = 250
ENDPOINTS = ("CelestialClassifier.predict ", "Floor.predict ")
MODEL = "model: batching, LiteRT, postprocess"
# Batches run in the batcher's thread and finish on the loop, outside any endpoint.
MODEL_FRAMES = ("Batcher.", "Classifier.predict_arrays")
# The first frame below the endpoint names the stage.
STAGES = (
    ("read, decode and preprocess the upload", ("Preparer.", "identify", "decode",
                                                 "Preprocessor.", "Path.read_bytes")),
    (MODEL, MODEL_FRAMES),
    ("build the response object", ("BaseModel.model_validate", "BaseModel.__init__")),
)  # fmt: skip
ENDPOINT_OTHER = "the endpoint's own lines"
FRAMEWORK = "framework: HTTP, multipart, middleware, metrics, tracing"
ROWS = (*(name for name, _ in STAGES), ENDPOINT_OTHER, FRAMEWORK)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="a Bento tag, or module:Service")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5, help="sampled time per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per server")
    parser.add_argument("--markdown", type=Path, default=Path("docs/profile.md"))
    args = parser.parse_args(argv)

    samples = {"ours": Counter(), "floor": Counter()}
    requests = dict.fromkeys(samples, 0.0)
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as servers:
        body = request_bodies(Path(scratch))[1]
        running = {
            name: servers.enter_context(
                serving(target, log=Path(scratch) / f"{name}.log", cwd=HERE.parent)
            )
            for name, target in (("ours", args.target), ("floor", FLOOR))
        }
        for server in running.values():
            wrk(server.url + "/predict", body, args.clients, 3)  # warm-up
        # Alternating rounds: the machine's speed drifts, and both servers should see the same.
        for number in range(args.rounds):
            for name in in_turn(list(running), number):
                settle(running.values())
                count, served = sample(running[name], body, args.clients, args.seconds)
                samples[name] += count
                requests[name] += served
                print(f"round {number + 1}: {name} {served / args.seconds:.0f} requests/s")

    profiles = {name: summary(samples[name], requests[name], args) for name in samples}
    text = table(profiles, args)
    print(text)
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(text + "\n")


def sample(server: Server, body: Path, clients: int, seconds: float) -> tuple[Counter, float]:
    """Samples of the busiest worker by stage, and the requests served, while wrk drives it."""
    load: dict = {}
    url = server.url + "/predict"
    driver = threading.Thread(target=lambda: load.update(wrk(url, body, clients, seconds + 2)))
    driver.start()
    time.sleep(1)  # the worker is busy now: pick it
    worker = max(process_tree(server.process.pid), key=cpu_seconds_of)
    with tempfile.NamedTemporaryFile(suffix=".txt") as raw:
        subprocess.run(
            ["py-spy", "record", "--pid", str(worker), "--duration", f"{seconds:.0f}",
             "--rate", str(SAMPLES_PER_SECOND), "--nonblocking", "--format", "raw",
             "--output", raw.name],
            check=True, capture_output=True,
        )  # fmt: skip
        counts = Counter()
        for line in Path(raw.name).read_text().splitlines():
            stack, count = line.rsplit(" ", 1)
            counts[stage_of(stack.split(";"))] += int(count)
    driver.join()
    return counts, load["requests"] / load["seconds"] * seconds


def summary(counts: Counter, requests: float, args: argparse.Namespace) -> dict:
    def milliseconds(count: int) -> float:
        return count / SAMPLES_PER_SECOND / requests * 1000

    return {
        "requests_per_s": requests / (args.seconds * args.rounds),
        "stages": {row: milliseconds(counts[row]) for row in ROWS},
        "total": milliseconds(sum(counts.values())),
    }


def stage_of(frames: list[str]) -> str:
    """The stage of one sampled stack (outermost frame first): by the first frame below the
    endpoint; the batcher and the model are the model's; anything else outside the endpoint is the
    framework's."""
    if any(frame.startswith(MODEL_FRAMES) for frame in frames):
        return MODEL
    for depth, frame in enumerate(frames):
        if frame.startswith(ENDPOINTS):
            for inner in frames[depth + 1 :]:
                for name, markers in STAGES:
                    if inner.startswith(markers):
                        return name
            return ENDPOINT_OTHER
    return FRAMEWORK


def table(profiles: dict, args: argparse.Namespace) -> str:
    ours, floor = profiles["ours"], profiles["floor"]
    lines = [
        "# Where a /predict request's time goes",
        "",
        "<!-- Written by benchmarks/profile.py (make profile). Do not edit: re-run it. -->",
        "",
        f"{args.clients} clients; {args.rounds} alternating rounds of {args.seconds:.0f} s of "
        "py-spy samples per server "
        f"({SAMPLES_PER_SECOND}/s) of the busiest worker; milliseconds of running threads per "
        "request. Threads run in parallel (the GIL is released in LiteRT, Pillow and I/O), so a "
        "request's milliseconds can exceed its share of wall time.",
        "",
        "| stage | ours ms | floor ms | ours - floor |",
        "| --- | --- | --- | --- |",
    ]
    for row in ROWS:
        a, b = ours["stages"][row], floor["stages"][row]
        lines.append(f"| {row} | {a:.3f} | {b:.3f} | {a - b:+.3f} |")
    lines.append(
        f"| **all running threads** | {ours['total']:.3f} | {floor['total']:.3f} "
        f"| {ours['total'] - floor['total']:+.3f} |"
    )
    lines.append(
        f"| wall time per request (1 / throughput) | {1000 / ours['requests_per_s']:.3f} "
        f"| {1000 / floor['requests_per_s']:.3f} "
        f"| {1000 / ours['requests_per_s'] - 1000 / floor['requests_per_s']:+.3f} |"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
