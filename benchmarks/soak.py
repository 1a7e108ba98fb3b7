"""Soak: sustained mixed load on one server, watching for errors and for memory that only grows.

    python benchmarks/soak.py --target celestial-classifier:latest --minutes 5    (make soak)

After a warm-up under the same load, wrk drives /predict (12 clients) and /predict_batch (4
clients, 8 images a request) together, in slices; the server's resident memory (all its
processes) is sampled between slices. At the end, the live metrics say how many images the record
writer counted and how many records it lost. Printed as a table, written as JSON. The run fails
(exit 1) on any error, on any record lost, or when memory grew by more than --max-growth from the
end of warm-up to the end.
"""

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import bench
from prometheus_client.parser import text_string_to_metric_families

from celestial.serving.server_process import Server, serving

SLICE_SECONDS = 10


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="a Bento tag, or module:Service")
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--warmup-seconds", type=float, default=30)
    parser.add_argument("--max-growth", type=float, default=0.10, help="allowed RSS growth")
    parser.add_argument("--env", action="append", default=[], metavar="CELESTIAL_X=VALUE")
    parser.add_argument("--output", type=Path, default=Path("reports/soak.json"))
    args = parser.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)

    with tempfile.TemporaryDirectory() as scratch:
        bodies = bench.request_bodies(Path(scratch), batch_images=8)
        with serving(args.target, log=Path(scratch) / "server.log", env=env) as server:
            warm_up = drive(server, bodies, args.warmup_seconds)
            baseline = server.rss_bytes()
            slices = []
            for number in range(max(1, round(args.minutes * 60 / SLICE_SECONDS))):
                figures = drive(server, bodies, SLICE_SECONDS)
                slices.append(
                    {"slice": number + 1, **figures, "rss_mb": server.rss_bytes() / 2**20}
                )
                print(_row(slices[-1]), flush=True)
            records = recorded(server.url)

    report = summarise(slices, baseline / 2**20, args.max_growth)
    sent = warm_up["images"] + report["images"]
    # wrk counts the responses it read: images still in flight when a slice ends are classified
    # and recorded too, so the writer may count a few more than were counted as sent.
    report["records"] = {"images_sent": sent, **records}
    report["passed"] = report["passed"] and records["lost"] == 0 and records["counted"] >= sent
    print(json.dumps({k: v for k, v in report.items() if k != "slices"}, indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    if not report["passed"]:
        sys.exit(1)


def recorded(url: str, settle_seconds: float = 10) -> dict:
    """Images the record writer counted (celestial_predictions_total) and records it lost, once
    its count has stopped growing (it writes after the responses)."""
    counted, deadline = -1.0, time.monotonic() + settle_seconds
    while True:
        with urllib.request.urlopen(f"{url}/metrics") as response:
            families = list(text_string_to_metric_families(response.read().decode()))
        totals: dict[str, float] = {}
        for sample in (sample for family in families for sample in family.samples):
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
        previous, counted = counted, totals.get("celestial_predictions_total", 0.0)
        if counted == previous or time.monotonic() > deadline:
            lost = totals.get("celestial_prediction_record_failures_total", 0.0)
            return {"counted": int(counted), "lost": int(lost)}
        time.sleep(1)


def drive(server: Server, bodies: dict[int, Path], seconds: float) -> dict:
    """Both endpoints at once for `seconds`: requests, images and errors of each."""
    results: dict[str, dict] = {}

    def load(name: str, route: str, body: Path, clients: int) -> None:
        results[name] = bench.wrk(server.url + route, body, clients, seconds)

    threads = [
        threading.Thread(target=load, args=("predict", "/predict", bodies[1], 12)),
        threading.Thread(target=load, args=("batch", "/predict_batch", bodies[8], 4)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests": results["predict"]["requests"] + results["batch"]["requests"],
        "images": results["predict"]["requests"] + 8 * results["batch"]["requests"],
        "errors": results["predict"]["errors"] + results["batch"]["errors"],
        "p99_ms": max(results["predict"]["p99"], results["batch"]["p99"]),
    }


def summarise(slices: list[dict], baseline_mb: float, max_growth: float) -> dict:
    final, peak = slices[-1]["rss_mb"], max(s["rss_mb"] for s in slices)
    growth = final / baseline_mb - 1
    errors = sum(s["errors"] for s in slices)
    return {
        "seconds": len(slices) * SLICE_SECONDS,
        "requests": sum(s["requests"] for s in slices),
        "images": sum(s["images"] for s in slices),
        "errors": errors,
        "rss_mb_after_warmup": round(baseline_mb, 1),
        "rss_mb_at_end": round(final, 1),
        "rss_mb_peak": round(peak, 1),
        "rss_growth": round(growth, 4),
        "passed": errors == 0 and growth <= max_growth,
        "slices": slices,
    }


def _row(s: dict) -> str:
    return (
        f"slice {s['slice']:>3}: {s['requests']:>6} requests {s['images']:>7} images "
        f"{s['errors']:>3} errors  p99 {s['p99_ms']:>7.1f} ms  RSS {s['rss_mb']:>7.1f} MB"
    )


if __name__ == "__main__":
    main()
