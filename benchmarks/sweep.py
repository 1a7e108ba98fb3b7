"""How the serving defaults were chosen: the benchmark under several settings, one table.

    python benchmarks/sweep.py                 # runs bench.py per configuration (~3 min each)
    python benchmarks/sweep.py --render-only   # rebuilds docs/tuning.md from reports/sweep/

Each configuration changes one setting from the defaults in celestial/serving/settings.py; the table
shows what it did to our service and to its ratio to the floor (measured in the same run).
"""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import bench

CONFIGURATIONS = {
    "defaults": [],
    "2 inference threads": ["CELESTIAL_INFERENCE_THREADS=2"],
    # Every upload decoded in a thread, as a synchronous endpoint would: the cost of hand-offs.
    "every image decoded in a thread": ["CELESTIAL_INLINE_MAX_PIXELS=1"],
    # Where the model runs: a lone image on the loop is the default; these move the line.
    "every batch in the model thread": ["CELESTIAL_INLINE_MAX_IMAGES=0"],
    "batches of up to 4 on the loop": ["CELESTIAL_INLINE_MAX_IMAGES=4"],
    "batch window 1 ms": ["CELESTIAL_BATCH_WINDOW_MS=1"],
    "batches of at most 8": ["CELESTIAL_BATCH_MAX_SIZE=8"],
    "2 workers": ["CELESTIAL_WORKERS=2"],
}
ROUNDS = 2  # per scenario and configuration: eight configurations take about 20 minutes
RESULTS = Path("reports/sweep")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="celestial.serving.service:CelestialClassifier")
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--markdown", type=Path, default=Path("docs/tuning.md"))
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.render_only:
        for name, env in CONFIGURATIONS.items():
            output = RESULTS / f"{_slug(name)}.json"
            options = [f"--env={item}" for item in env]
            bench.main(["--target", args.target, *options, "--rounds", str(ROUNDS),
                        "--output", str(output),
                        "--markdown", str(output.with_suffix(".md"))])  # fmt: skip
    reports = {name: json.loads((RESULTS / f"{_slug(name)}.json").read_text())
               for name in CONFIGURATIONS}  # fmt: skip
    args.markdown.write_text(render(reports))
    print(args.markdown.read_text())


def render(reports: dict[str, dict]) -> str:
    rows = []
    for name, report in reports.items():
        ours = {r["scenario"]: r for r in report["results"] if r["target"] == "ours"}
        single, many = ours["/predict, 1 client"], ours["/predict, 32 clients"]
        batch = ours["/predict_batch of 32, 4 clients"]
        ratios = report["ratios"]["/predict, 32 clients"]
        rows.append(
            f"| {name} | {single['p50_ms']} | {many['requests_per_s']} "
            f"| {bench._percent(ratios['of_floor'])} | {ratios['of_naive']}x "
            f"| {batch['images_per_s']} | {report['cold_start_s']['ours']} |"
        )
    table = "\n".join(rows)
    return f"""# How the serving defaults were chosen

<!-- Written by benchmarks/sweep.py. Do not edit: re-run it. -->

Each row is one run of `benchmarks/bench.py` with one setting changed from the defaults (every
other setting as in `src/celestial/serving/settings.py`); the full tables are in `reports/sweep/`.
Ratios compare with the floor and the naive baseline measured in the same run, with the same
settings. Each row is {ROUNDS} rounds, so one disturbed round on this shared machine moves a
figure by 10-30 %: read the rows for large effects, and docs/benchmarks.md (more rounds) for the
defaults.

| configuration | /predict p50 at 1 client (ms) | /predict req/s at 32 clients | of the floor | of naive | /predict_batch images/s | cold start (s) |
| --- | --- | --- | --- | --- | --- | --- |
{table}
"""  # noqa: E501


def _slug(name: str) -> str:
    return "-".join(name.lower().replace(".", "").split())


if __name__ == "__main__":
    main()
