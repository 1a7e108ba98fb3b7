"""The README's results table, taken from the generated reports, never typed by hand.

    python scripts/readme_results.py           # rewrite the table between the README's markers
    python scripts/readme_results.py --check   # fail if the README's table is not what this writes

Each row names the report it comes from; the reports are written by `make train`, `make bench`,
`make soak` and the model card's record step (docs/your-data.md).
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN = "<!-- results: written by scripts/readme_results.py from the reports; do not edit -->"
END = "<!-- end of results -->"


def load(relative: str) -> dict:
    return json.loads((ROOT / relative).read_text())


def rows() -> list[tuple[str, str, str]]:
    """(what, figure, where it comes from) for each result worth a newcomer's glance."""
    evaluate = load("reports/evaluate/metrics.json")
    leave_out = load("reports/leave_out/metrics.json")
    card = load("docs/model-card.json")
    bench = load("reports/benchmarks.json")
    soak = load("reports/soak.json")
    container = load("reports/container.json")
    drift = load("reports/drift_power.json")
    ours = {r["scenario"]: r for r in bench["results"] if r["target"] == "ours"}
    crowd = bench["ratios"]["/predict, 32 clients"]
    batch = bench["ratios"]["/predict_batch of 32, 4 clients"]
    seeds = card["robustness"]["runs"] if card["robustness"] else []
    real_accuracy = f"{card['evaluate']['accuracy']:.1%}"
    if seeds:
        worst = min(run["accuracy"] for run in seeds)
        real_accuracy += f" (worst of {len(seeds)} other seeds: {worst:.1%})"
    shifts = card["shifts"]["shifted"]
    real_shifted = (f"mean {shifts['mean_accuracy']:.1%}, worst {shifts['worst_accuracy']:.1%} "
                    f"({shifts['worst_kind'].replace('_', ' ')}), {shifts['mean_flagged']:.1%} "
                    "flagged")  # fmt: skip
    if seeds and "shifted_mean" in seeds[0]:
        real_shifted += f" (worst mean of {len(seeds)} other seeds: "
        real_shifted += f"{min(run['shifted_mean'] for run in seeds):.1%})"
    model_card = "[model card](docs/model-card.md)"
    benchmarks = "[benchmarks](docs/benchmarks.md)"
    in_distribution, *shifted = drift["rows"]  # the first row: traffic like the training images
    power = min(row["with_drift"] for row in shifted)
    ready = container["ready_s"]
    return [
        ("test accuracy, default rendered data", f"{evaluate['accuracy']:.1%}",
         "`reports/evaluate/metrics.json`"),
        ("novelty AUROC on left-out bodies, default data", f"{leave_out['auroc']:.3f}",
         "`reports/leave_out/metrics.json`"),
        ("test accuracy, real images", real_accuracy, model_card),
        ("novelty AUROC on left-out bodies, real images", f"{card['leave_out']['auroc']:.4f}",
         model_card),
        ("real test images under 11 everyday shifts", real_shifted, model_card),
        ("`/predict` latency, 1 client, p50", f"{ours['/predict, 1 client']['p50_ms']:.2f} ms",
         benchmarks),
        ("`/predict` throughput, 32 clients",
         f"{ours['/predict, 32 clients']['requests_per_s']:,.0f} requests/s: "
         f"{crowd['of_floor']:.0%} of the framework's floor, {crowd['of_naive']:.0f}x naive",
         benchmarks),
        ("`/predict_batch`, 32 images a request",
         f"{ours['/predict_batch of 32, 4 clients']['images_per_s']:,.0f} images/s: "
         f"{batch['of_floor']:.0%} of the framework's floor", benchmarks),
        ("cold start to `/readyz`", f"{bench['cold_start_s']['ours']:.1f} s", benchmarks),
        ("monitoring on, `/predict` at 32 clients",
         f"{crowd['of_unmonitored']:.0%} of the throughput without it "
         f"({crowd['cpu_of_unmonitored']:.0%} by CPU per request)", benchmarks),
        ("container image", f"{container['size_mb']} MB, ready in {ready['median']} s "
         f"(median of {len(ready['runs'])} starts)", "[container](docs/container.md)"),
        (f"drift report, windows of {drift['window']} records",
         f"false alarms in {in_distribution['with_drift']:.0%} of ordinary windows; drift found in "
         f"{power:.0%} of darker, novel-body and label-mix windows",
         "[drift power](docs/drift-power.md)"),
        ("soak", f"{soak['seconds'] / 60:.0f} min, {soak['requests']:,} requests, "
         f"{soak['errors']} errors, memory {soak['rss_growth']:+.1%} after warm-up",
         "`reports/soak.json`"),
    ]  # fmt: skip


def table() -> str:
    lines = ["| result | figure | from |", "| --- | --- | --- |"]
    lines += [f"| {what} | {figure} | {source} |" for what, figure, source in rows()]
    return "\n".join(lines)


def with_table(readme: str) -> str:
    """The README with the block between the markers replaced by the current table."""
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return f"{readme[:start]}\n{table()}\n{readme[end:]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args()
    current = README.read_text()
    wanted = with_table(current)
    if not args.check:
        README.write_text(wanted)
    elif wanted != current:
        sys.exit("README.md's results table is stale: run `make docs`")


if __name__ == "__main__":
    main()
