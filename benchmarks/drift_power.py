"""How often the drift report raises drift, per kind of traffic, at the calibrated window size.

    python benchmarks/drift_power.py          (make drift-power; after make train)

Serves the DVC-versioned model on loopback, sends it fresh renders of each kind of traffic
(like the training images; darker; bodies it never learnt; a label mix of three bodies), and
collects the records it writes. Windows of `monitoring.window` records are then drawn from each
kind's records and judged as `make drift-report` judges them, against the reference profile and
thresholds of the reference stage. For the images like the training ones, the share of windows
with drift is the false-alarm rate; for the others, the detection power. Prints a table and writes
reports/drift_power.json and docs/drift-power.md, and the picture of a drift report that
docs/monitoring.md shows (the darker images' window).
"""

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from celestial.monitoring import drift
from celestial.monitoring.records import read_records
from celestial.pipeline.params import load_params
from celestial.render import KNOWN_BODIES, NOVEL_BODIES, render_dataset
from celestial.serving.server_process import serving
from celestial.store import export_tag

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# As this machine's network demands: no sandbox as root, no background calls home.
CHROMIUM_ARGS = [
    *("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"),
    *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
]


def traffic(kind: str, folder: Path, count: int, seed: int) -> list[bytes]:
    """`count` images of one kind of traffic, rendered fresh."""
    bodies = {"novel bodies": NOVEL_BODIES, "three bodies only": KNOWN_BODIES[:3]}.get(
        kind, KNOWN_BODIES
    )
    paths = render_dataset(folder / kind, bodies=bodies, images_per_class=-(-count // len(bodies)),
                           seed=seed)  # fmt: skip
    images = [path.read_bytes() for path in paths]
    return [darker(image) for image in images] if kind == "darker (exposure x0.5)" else images


def darker(image: bytes) -> bytes:
    pixels = np.asarray(Image.open(io.BytesIO(image)), dtype=np.float32) * 0.5
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(out, "JPEG", quality=92)
    return out.getvalue()


KINDS = ("like the training images", "darker (exposure x0.5)", "novel bodies", "three bodies only")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=600, help="images sent per kind")
    parser.add_argument("--windows", type=int, default=200, help="windows drawn per kind")
    parser.add_argument("--output", type=Path, default=ROOT / "reports/drift_power.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs/drift-power.md")
    parser.add_argument("--picture", type=Path, default=ROOT / "docs/images/drift-report.png")
    args = parser.parse_args()
    params = load_params()
    thresholds = drift.Thresholds.load(params.paths.reference / "thresholds.json")
    profile = (params.paths.reference / "profile.jsonl").read_text().splitlines()
    reference = drift.frame(json.loads(line) for line in profile)
    tag = export_tag(params.model_export)

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        records = Path(scratch) / "records"
        env = {"CELESTIAL_MODEL_TAG": tag, "CELESTIAL_MONITORING_DIR": str(records)}
        with serving("celestial.serving.service:CelestialClassifier", env=env,
                     log=Path(scratch) / "server.log", cwd=ROOT) as server:  # fmt: skip
            windows: dict[str, tuple[datetime, datetime]] = {}
            for seed, kind in enumerate(KINDS, start=100):
                images = traffic(kind, Path(scratch), args.images, seed)
                since = datetime.now(UTC)
                with httpx.Client() as client:
                    for image in images:
                        client.post(f"{server.url}/predict", files={"image": ("x.jpg", image)})
                time.sleep(0.5)
                windows[kind] = (since, datetime.now(UTC))
        rng = np.random.default_rng(0)
        for kind, (since, until) in windows.items():
            pool = drift.frame(read_records(records, since=since, until=until))
            rows.append(judge(kind, pool, reference, thresholds, args.windows, rng))
            print(rows[-1], flush=True)
        since, until = windows[KINDS[1]]
        picture(records, since, until, Path(scratch) / "report", args.picture)

    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "model": tag,
              "window": thresholds.window, "rows": rows}  # fmt: skip
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    args.markdown.write_text(markdown(report, args))
    print(markdown(report, args))


def picture(records: Path, since: datetime, until: datetime, out: Path, png: Path) -> None:
    """`make drift-report` on the darker images' window, and its Tests tab as docs show it."""
    from playwright.sync_api import sync_playwright

    subprocess.run(
        [sys.executable, "-m", "celestial.monitoring.report", "--records", str(records),
         "--since", since.isoformat(), "--until", until.isoformat(), "--output", str(out)],
        cwd=ROOT, check=False, capture_output=True,
    )  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto((out / "report.html").resolve().as_uri())
        page.get_by_text("Tests", exact=True).click()
        page.wait_for_timeout(2000)
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=png)
        browser.close()


def judge(kind: str, pool, reference, thresholds: drift.Thresholds, windows: int, rng) -> dict:
    """Draw windows from one kind's records and judge each; how many drift, and on what."""
    embedded = thresholds.embedding_count
    seen: Counter = Counter()
    drifting = 0
    for _ in range(windows):
        window = drift.resample_window(pool, thresholds.window, embedded, rng)
        found = drift.drifted(drift.statistics(reference, window), thresholds, embedded)
        drifting += bool(found)
        seen.update(found)
    return {
        "traffic": kind,
        "records": len(pool),
        "out_of_distribution": round(float((pool["in_distribution"] == "False").mean()), 4),
        "windows": windows,
        "with_drift": round(drifting / windows, 4),
        "most_often_drifted": [name for name, _ in seen.most_common(4)],
    }


def markdown(report: dict, args: argparse.Namespace) -> str:
    lines = "\n".join(
        f"| {row['traffic']} | {row['records']} | {row['out_of_distribution']:.1%} "
        f"| {row['with_drift']:.1%} | {', '.join(row['most_often_drifted']) or '-'} |"
        for row in report["rows"]
    )
    return f"""# Drift detection: false alarms and power

<!-- Written by benchmarks/drift_power.py (make drift-power). Do not edit: re-run it. -->

Measured {report["when"]} for model `{report["model"]}`: {args.images} fresh renders of each
kind of traffic sent to the service, then {args.windows} windows of {report["window"]} of the
records it wrote, drawn from each kind's, judged as `make drift-report` judges a window. For
traffic like the training images, "windows with drift" is the false-alarm rate (target: at most
5 %); for the others, the detection power.

| traffic | records | out of distribution | windows with drift | drifted most often |
| --- | --- | --- | --- | --- |
{lines}
"""


if __name__ == "__main__":
    main()
