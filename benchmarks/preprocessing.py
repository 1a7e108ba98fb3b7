"""What preprocessing costs per image: decoding, the previous pad-and-resize, and ours.

    python benchmarks/preprocessing.py          (make bench-preprocessing)

CPU time per image (time.process_time, so work stolen by other processes on a shared machine does
not count), the best of several repeats, for a rendered 128x128 JPEG (the size the service is
benchmarked with) and the same render enlarged to a 1024x1024 JPEG (a photo-sized upload). The
previous preprocessing (pad to a square with black, resize to 32 px) is re-implemented here as the
reference. Printed as a table and written to docs/preprocessing.md.
"""

import argparse
import io
import platform
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from celestial.imaging import open_image, to_rgb
from celestial.pipeline.params import load_params
from celestial.pipeline.recipe import make_preprocessor
from celestial.render import render_body

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "docs/preprocessing.md"


def padded(size: int) -> Callable[[Image.Image], np.ndarray]:
    """The previous preprocessing: upright, RGB, padded to a square with black, resized."""

    def preprocess(image: Image.Image) -> np.ndarray:
        image = to_rgb(ImageOps.exif_transpose(image))
        square = ImageOps.pad(image, (size, size), method=Image.Resampling.BILINEAR)
        return np.asarray(square, dtype=np.uint8)

    return preprocess


def cpu_ms(work: Callable[[], object], repeats: int, rounds: int = 7) -> float:
    """The best, over rounds, of the mean CPU time of one call, in milliseconds."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeats):
            work()
        best = min(best, (time.process_time() - started) / repeats * 1000)
    return best


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    params = load_params()
    ours = make_preprocessor(params)
    render = render_body("Saturn", np.random.default_rng(0), size=128)
    uploads = {
        "128x128 JPEG": (jpeg(render), 400),
        "1024x1024 JPEG": (jpeg(render.resize((1024, 1024), Image.Resampling.BICUBIC)), 20),
    }
    steps = {
        "decode": None,
        "previous: pad and resize to 32 px": padded(32),
        f"ours: frame, normalise, {ours.image_size} px": ours,
    }
    rows = []
    for upload, (data, repeats) in uploads.items():
        image = open_image(data)
        for step, preprocess in steps.items():
            work = partial(open_image, data) if preprocess is None else partial(preprocess, image)
            rows.append((upload, step, cpu_ms(work, repeats)))

    table = "\n".join(
        ["| upload | step | CPU ms per image |", "| --- | --- | --- |"]
        + [f"| {upload} | {step} | {ms:.3f} |" for upload, step, ms in rows]
    )
    print(table)
    args.output.write_text(f"""# What preprocessing costs

<!-- Written by benchmarks/preprocessing.py (make bench-preprocessing). Do not edit: re-run it. -->

Measured {datetime.now(UTC).isoformat(timespec="seconds")} on {platform.machine()},
Python {platform.python_version()}: CPU time per image, the best of 7 rounds, for a rendered
Saturn as a 128x128 JPEG (the size `make bench` sends) and enlarged to 1024x1024. "Previous" is
the preprocessing before the body was framed (pad to a square, resize to 32 px), re-implemented
in the script as the reference.

{table}
""")


if __name__ == "__main__":
    main()
