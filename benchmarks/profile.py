"""Where a /predict (or /predict_batch) request's time goes in the server: ours beside the floor.

    python benchmarks/profile.py --target celestial-classifier:latest     (make profile does both)
    python benchmarks/profile.py --target ... --route /predict_batch --clients 4

Serves our service and the floor (benchmarks/reference_services.py) with the same settings, and
drives them with wrk in alternating rounds while py-spy samples the busiest worker process. A
sample counts every thread that is running, in Python or native code (LiteRT, Pillow), not
waiting. A stack in the batcher or the model is the model's wherever it runs (batches run in a
thread of their own, outside any endpoint), one in the upload's decoding is the upload's (a batch
request's uploads decode in a thread); any other is put in a stage by the first frame below the
endpoint. Samples per request, at the sampling rate, give the milliseconds of running threads a
request costs in each stage.
Printed as a table and written as docs/profile.md (docs/profile-batch.md). The floor runs the same
framework, decoding and response building, so the rows where the two differ are what our model
path adds.
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
ROUTES = ("/predict", "/predict_batch")
# Frame names as py-spy writes them ("function (file:line)"): the space ends the name.
ENDPOINTS = tuple(f"{service}.{route[1:]} " for service in ("CelestialClassifier", "Floor")
                  for route in ROUTES)  # fmt: skip
MODEL = "model: batching, LiteRT, postprocess"
UPLOAD = "read, decode and preprocess the upload"
# Stages recognised anywhere in a stack, whichever thread runs them: batches run in the batcher's
# thread and finish on the loop, and a batch request's uploads decode in a thread.
ANYWHERE = (
    (MODEL, ("Batcher.", "Classifier.", "LiteModel.")),
    (UPLOAD, ("Preparer.",)),
)
# The first frame below the endpoint names the stage.
RESPONSE = "build the response object"
STAGES = (
    (UPLOAD, ("identify", "decode", "Preprocessor.")),
    (RESPONSE, ("BaseModel.model_validate", "BaseModel.__init__")),
)
ENDPOINT_OTHER = "the endpoint's own lines"
FRAMEWORK = "framework: HTTP, multipart, middleware, metrics, tracing"
ROWS = (UPLOAD, MODEL, RESPONSE, ENDPOINT_OTHER, FRAMEWORK)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="a Bento tag, or module:Service")
    parser.add_argument("--route", choices=ROUTES, default="/predict")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5, help="sampled time per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per server")
    parser.add_argument("--markdown", type=Path, help="default: docs/profile[-batch].md")
    args = parser.parse_args(argv)
    batch = args.route == "/predict_batch"
    args.markdown = args.markdown or Path("docs/profile-batch.md" if batch else "docs/profile.md")

    samples = {"ours": Counter(), "floor": Counter()}
    requests = dict.fromkeys(samples, 0.0)
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as servers:
        body = request_bodies(Path(scratch))[32 if batch else 1]
        running = {
            name: servers.enter_context(
                serving(target, log=Path(scratch) / f"{name}.log", cwd=HERE.parent)
            )
            for name, target in (("ours", args.target), ("floor", FLOOR))
        }
        for server in running.values():
            wrk(server.url + args.route, body, args.clients, 3)  # warm-up
        # Alternating rounds: the machine's speed drifts, and both servers should see the same.
        for number in range(args.rounds):
            for name in in_turn(list(running), number):
                settle(running.values())
                count, served = sample(running[name], args.route, body, args.clients, args.seconds)
                samples[name] += count
                requests[name] += served
                print(f"round {number + 1}: {name} {served / args.seconds:.0f} requests/s")

    profiles = {name: summary(samples[name], requests[name], args) for name in samples}
    text = table(profiles, args)
    print(text)
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(text + "\n")


def sample(
    server: Server, route: str, body: Path, clients: int, seconds: float
) -> tuple[Counter, float]:
    """Samples of the busiest worker by stage, and the requests served, while wrk drives it."""
    load: dict = {}
    url = server.url + route
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
    """The stage of one sampled stack (outermost frame first): a stage of ANYWHERE wherever its
    frame is, else by the first frame below the endpoint; anything else outside the endpoint is
    the framework's."""
    for name, markers in ANYWHERE:
        if any(frame.startswith(markers) for frame in frames):
            return name
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
        f"# Where a {args.route} request's time goes",
        "",
        "<!-- Written by benchmarks/profile.py (make profile). Do not edit: re-run it. -->",
        "",
        f"{_request(args.route)}, {args.clients} clients; {args.rounds} alternating rounds of "
        f"{args.seconds:.0f} s of py-spy samples per server "
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


def _request(route: str) -> str:
    return "32 images a request" if route == "/predict_batch" else "one image a request"


if __name__ == "__main__":
    main()
