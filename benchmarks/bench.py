"""Serving benchmark: our service against the framework's floor and a naive baseline, in one run.

    python benchmarks/bench.py --target celestial-classifier:latest     (make bench does this)

The three servers are started on loopback with the same settings, one after the other, each
cold start timed (process start to /readyz answering 200). Then each scenario is driven by wrk,
after a warm-up, in rounds that visit every server in turn (each round starting with another,
each measurement once all servers are idle): the machine is shared and noisy, so servers are
compared within a round and each figure is the median over the rounds. Reported per
scenario: requests/s, images/s, p50/p95/p99 latency, errors (non-2xx and socket errors) and the
peak resident memory of the server's processes. Printed as a table, written as JSON and as
docs/benchmarks.md. Settings go to the servers as CELESTIAL_* variables (--env), so a sweep
needs no code change.
"""

import argparse
import json
import os
import platform
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median, quantiles

from celestial.render import render_dataset
from celestial.serving.server_process import Server, serving
from celestial.serving.settings import ServingSettings

HERE = Path(__file__).resolve().parent
FLOOR = "benchmarks.reference_services:Floor"
NAIVE = "benchmarks.reference_services:Naive"
# "unmonitored" is ours without prediction records and their metrics: what monitoring costs.
TARGET_ENV = {"unmonitored": {"CELESTIAL_MONITORING": "false"}}
BOUNDARY = "celestialbenchboundary"

# wrk runs this: POST the prepared multipart body; at the end print the figures as one JSON line.
WRK_SCRIPT = """
local file = io.open(os.getenv("BENCH_BODY"), "rb")
wrk.method = "POST"
wrk.body = file:read("*all")
file:close()
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    errors.connect + errors.read + errors.write + errors.timeout + errors.status))
end
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    route: str
    images: int  # per request
    clients: int


SCENARIOS = (
    Scenario("/predict, 1 client", "/predict", images=1, clients=1),
    Scenario("/predict, 32 clients", "/predict", images=1, clients=32),
    Scenario("/predict_batch of 32, 4 clients", "/predict_batch", images=32, clients=4),
)


@dataclass(frozen=True)
class Result:
    target: str
    scenario: str
    requests_per_s: float
    images_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    peak_rss_mb: float
    cpu_ms_per_request: float  # the server's CPU time (all its processes) per request answered


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="a Bento tag, or module:Service")
    parser.add_argument("--seconds", type=float, default=6, help="measured time per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per scenario")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured time per scenario")
    parser.add_argument("--env", action="append", default=[], metavar="CELESTIAL_X=VALUE")
    parser.add_argument("--output", type=Path, default=Path("reports/benchmarks.json"))
    parser.add_argument("--markdown", type=Path, default=Path("docs/benchmarks.md"))
    args = parser.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)

    with tempfile.TemporaryDirectory() as scratch, ExitStack() as servers:
        bodies = request_bodies(Path(scratch))
        targets = {"ours": args.target, "unmonitored": args.target, "floor": FLOOR, "naive": NAIVE}
        records = {"CELESTIAL_MONITORING_DIR": str(Path(scratch) / "monitoring")}
        running = {
            name: servers.enter_context(
                serving(target, log=Path(scratch) / f"{name}.log", cwd=HERE.parent,
                        env={**records, **env, **TARGET_ENV.get(name, {})})
            )
            for name, target in targets.items()
        }  # fmt: skip
        rounds = []
        for scenario in SCENARIOS:
            # The naive server has no batch endpoint (the upstream guide's has none).
            names = [name for name in running if scenario.route == "/predict" or name != "naive"]
            for name in names:
                wrk(running[name].url + scenario.route, bodies[scenario.images], scenario.clients,
                    args.warmup)  # fmt: skip
            for number in range(1, args.rounds + 1):
                for name in in_turn(names, number):
                    settle(running.values())
                    rounds.append(measure(running[name], name, scenario, bodies, args.seconds))
                    print(f"round {number}: {row(rounds[-1])}", flush=True)
        cold_starts = {name: round(server.started_in, 2) for name, server in running.items()}

    report = summarise(rounds, cold_starts, env)
    print(table(report))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(markdown(report, args))


def request_bodies(folder: Path, batch_images: int = 32) -> dict[int, Path]:
    """Multipart bodies holding 1 and batch_images different rendered 128x128 JPEGs."""
    images = render_dataset(folder / "images", images_per_class=4, seed=3, size=128)
    bodies = {}
    for count, field in ((1, "image"), (batch_images, "images")):
        parts = [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{path.name}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + path.read_bytes()
            + b"\r\n"
            for path in images[:count]
        ]
        bodies[count] = folder / f"body-{count}"
        bodies[count].write_bytes(b"".join(parts) + f"--{BOUNDARY}--\r\n".encode())
    return bodies


def in_turn(names: list[str], round_number: int) -> list[str]:
    """The servers in the order this round visits them: each round starts with another, so none
    always follows the same one."""
    shift = round_number % len(names)
    return names[shift:] + names[:shift]


def settle(servers: Iterable[Server], timeout: float = 30) -> None:
    """Wait until no server is still working off requests queued in the previous measurement:
    the naive one takes seconds to drain 32 clients' backlog, and would slow whoever comes next."""
    servers = list(servers)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = sum(server.cpu_seconds() for server in servers)
        time.sleep(0.5)
        if sum(server.cpu_seconds() for server in servers) - before < 0.05:  # under 10 % of a core
            return


def measure(
    server: Server, target: str, scenario: Scenario, bodies: dict, seconds: float
) -> Result:
    """Drive the scenario with wrk while sampling the server's memory."""
    body = bodies[scenario.images]
    peak = [server.rss_bytes()]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.2):
            peak.append(server.rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_before = server.cpu_seconds()
    figures = wrk(server.url + scenario.route, body, scenario.clients, seconds)
    cpu = server.cpu_seconds() - cpu_before
    sampling.set()
    sampler.join()
    per_second = figures["requests"] / figures["seconds"]
    return Result(
        target=target,
        scenario=scenario.name,
        requests_per_s=round(per_second, 1),
        images_per_s=round(per_second * scenario.images, 1),
        p50_ms=round(figures["p50"], 2),
        p95_ms=round(figures["p95"], 2),
        p99_ms=round(figures["p99"], 2),
        errors=figures["errors"],
        peak_rss_mb=round(max(peak) / 2**20, 1),
        cpu_ms_per_request=round(1000 * cpu / max(1, figures["requests"]), 3),
    )


def wrk(url: str, body: Path, clients: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        result = subprocess.run(
            ["wrk", "-t1", f"-c{clients}", f"-d{max(seconds, 1):.0f}s", "--timeout", "10s",
             "-s", script.name, "-H", f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
             url],
            capture_output=True, text=True, check=True, env={**os.environ, "BENCH_BODY": str(body)},
        )  # fmt: skip
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


def summarise(rounds: list[Result], cold_starts: dict, env: dict) -> dict:
    """Per scenario and target, the median over rounds (errors summed, memory at its peak); the
    ratios are medians of the per-round ratios, each from measurements minutes apart at most."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in rounds:
        groups.setdefault((result.target, result.scenario), []).append(result)
    results = [
        Result(
            target=target,
            scenario=scenario,
            **{f: round(median(getattr(r, f) for r in runs), 2) for f in MEDIAN_FIELDS},
            errors=sum(r.errors for r in runs),
            peak_rss_mb=max(r.peak_rss_mb for r in runs),
            cpu_ms_per_request=round(median(r.cpu_ms_per_request for r in runs), 3),
        )
        for (target, scenario), runs in groups.items()
    ]
    order = [scenario.name for scenario in SCENARIOS], ["ours", "unmonitored", "floor", "naive"]
    results.sort(key=lambda r: (order[0].index(r.scenario), order[1].index(r.target)))
    ratios = {}
    for scenario in SCENARIOS:
        ours = [r.requests_per_s for r in groups[("ours", scenario.name)]]
        unmonitored = groups[("unmonitored", scenario.name)]
        ratios[scenario.name] = {
            "of_unmonitored": _median_ratio(ours, unmonitored, 3),
            "of_unmonitored_quartiles": _ratio_quartiles(ours, unmonitored),
            "cpu_of_unmonitored": _cpu_ratio(groups[("ours", scenario.name)], unmonitored),
        }
        ratios[scenario.name] |= {
            "of_floor": _median_ratio(ours, groups[("floor", scenario.name)], 3),
            "of_floor_quartiles": _ratio_quartiles(ours, groups[("floor", scenario.name)]),
        }
        if scenario.route == "/predict":
            naive = groups[("naive", scenario.name)]
            ratios[scenario.name]["of_naive"] = _median_ratio(ours, naive, 2)
    settings = ServingSettings(**{k.removeprefix("CELESTIAL_").lower(): v for k, v in env.items()})
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": _cpu_model(),
            "python": platform.python_version(),
        },
        "settings": settings.model_dump(exclude={"model_tag"}),
        "results": [asdict(r) for r in results],
        "rounds": [asdict(r) for r in rounds],
        "cold_start_s": cold_starts,
        "ratios": ratios,
    }


MEDIAN_FIELDS = ("requests_per_s", "images_per_s", "p50_ms", "p95_ms", "p99_ms")


def _ratios(ours: list[float], reference: list[Result]) -> list[float]:
    return [o / r.requests_per_s for o, r in zip(ours, reference, strict=True) if r.requests_per_s]


def _cpu_ratio(ours: list[Result], unmonitored: list[Result]) -> float | None:
    """Unmonitored's CPU per request over ours, per round, median: the share of unmonitored's
    throughput ours reaches when the server's CPU is what limits both. Less disturbed than
    throughput by other work on a shared machine, which steals wall time, not CPU time."""
    ratios = [u.cpu_ms_per_request / o.cpu_ms_per_request
              for o, u in zip(ours, unmonitored, strict=True) if o.cpu_ms_per_request]  # fmt: skip
    return round(median(ratios), 3) if ratios else None


def _median_ratio(ours: list[float], reference: list[Result], digits: int) -> float | None:
    ratios = _ratios(ours, reference)
    return round(median(ratios), digits) if ratios else None  # None: it served nothing


def _ratio_quartiles(ours: list[float], reference: list[Result]) -> list[float] | None:
    """The spread of the per-round ratios: on a noisy machine one median is not the whole story."""
    ratios = _ratios(ours, reference)
    if len(ratios) < 2:
        return None
    lower, _, upper = quantiles(ratios, n=4, method="inclusive")
    return [round(lower, 3), round(upper, 3)]


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.0%}"


def _spread(quartiles: list[float] | None) -> str:
    if quartiles is None:
        return "one round: no spread"
    return f"half the rounds between {quartiles[0]:.0%} and {quartiles[1]:.0%}"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


HEADER = (
    "target",
    "scenario",
    "req/s",
    "images/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "peak RSS MB",
    "CPU ms/req",
)


def row(r: Result) -> str:
    cells = (r.target, r.scenario, r.requests_per_s, r.images_per_s, r.p50_ms, r.p95_ms,
             r.p99_ms, r.errors, r.peak_rss_mb, r.cpu_ms_per_request)  # fmt: skip
    return f"{cells[0]:<11} {cells[1]:<32}" + "".join(f"{c:>12}" for c in cells[2:])


def table(report: dict) -> str:
    lines = [f"{HEADER[0]:<11} {HEADER[1]:<32}" + "".join(f"{h:>12}" for h in HEADER[2:])]
    lines += [row(Result(**r)) for r in report["results"]]
    lines.append(f"cold start (s): {report['cold_start_s']}")
    for scenario, ratio in report["ratios"].items():
        line = (f"{scenario}: {_percent(ratio['of_unmonitored'])} of unmonitored "
                f"({_spread(ratio['of_unmonitored_quartiles'])}; "
                f"{_percent(ratio['cpu_of_unmonitored'])} by CPU per request)")  # fmt: skip
        floor = f"{_percent(ratio['of_floor'])} ({_spread(ratio['of_floor_quartiles'])})"
        line += f", {floor} of the floor"
        if "of_naive" in ratio:
            line += f", {ratio['of_naive']}x naive"
        lines.append(line)
    return "\n".join(lines)


def _ratio_row(scenario: str, ratio: dict) -> str:
    cells = [
        scenario,
        _percent(ratio["of_unmonitored"]),
        _spread(ratio["of_unmonitored_quartiles"]),
        _percent(ratio["cpu_of_unmonitored"]),
        _percent(ratio["of_floor"]),
        _spread(ratio["of_floor_quartiles"]),
        f"{ratio['of_naive']}x" if "of_naive" in ratio else "",
    ]
    return "| " + " | ".join(cells) + " |"


def markdown(report: dict, args: argparse.Namespace) -> str:
    rows = "\n".join(
        "| " + " | ".join(str(v) for v in r.values()) + " |" for r in report["results"]
    )
    ratios = "\n".join(_ratio_row(scenario, ratio) for scenario, ratio in report["ratios"].items())
    settings = ", ".join(f"{k}={v}" for k, v in report["settings"].items())
    machine = report["machine"]
    return f"""# Serving benchmarks

<!-- Written by benchmarks/bench.py (make bench). Do not edit: re-run it. -->

Measured {report["when"]} on {machine["cpus"]} CPUs ({machine["cpu"]}), Python {machine["python"]},
server and load generator (wrk, one thread) on the same machine over loopback. Per scenario,
{args.warmup:.0f} s of warm-up, then {args.rounds} rounds of {args.seconds:.0f} s visiting each
server in turn; figures are medians over the rounds (errors: total; memory: peak), ratios the
median of the per-round ratios, with the range that holds the middle half of them. "CPU ms/req"
is the server's CPU time per request; "by CPU per request" compares monitoring's cost that way
(unmonitored's CPU per request over ours): on a shared machine, other work steals wall time from
a round, and so throughput, but not the CPU time a request takes.

- **ours**: the built Bento (`{args.target}`), i.e. `celestial.serving.service`, writing a
  prediction record per image and counting it on /metrics (the default).
- **unmonitored**: ours with `CELESTIAL_MONITORING=false`: what monitoring costs.
- **floor**: endpoints written as ours are (on the event loop), the same upload handling,
  decoding and preprocessing the images, no model: what serving ours could reach at most.
- **naive**: the same model called with `model.predict` per request, as the upstream guide does
  (it has no batch endpoint).

Settings: {settings}.

| target | scenario | req/s | images/s | p50 ms | p95 ms | p99 ms | errors | peak RSS MB | CPU ms/req |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

| scenario | ours / unmonitored | spread | by CPU per request | ours / floor | spread | ours / naive |
| --- | --- | --- | --- | --- | --- | --- |
{ratios}

Cold start, process start to `/readyz` answering 200: {", ".join(f"{k} {v} s" for k, v in report["cold_start_s"].items())}.
"""  # noqa: E501


if __name__ == "__main__":
    main()
