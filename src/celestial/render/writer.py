"""Renders written as a dataset of files: image i of a body depends only on (seed, body, i)."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from celestial.errors import UserError
from celestial.render.bodies import ALL_BODIES, KNOWN_BODIES, look_of
from celestial.render.scene import render_body

JPEG_QUALITY = 92


def render_dataset(
    out_dir: Path,
    *,
    bodies: Sequence[str] = KNOWN_BODIES,
    images_per_class: int,
    seed: int,
    size: int = 128,
) -> list[Path]:
    """Write `images_per_class` JPEGs per body to out_dir/<Body>/<Body>_<index:04d>.jpg.

    Returns the written paths. Names are checked before anything is written; existing files of
    the same name are overwritten, others are left alone.
    """
    for body in bodies:  # check every name before writing anything
        look_of(body)
    if images_per_class < 1:
        raise UserError(f"images per class must be at least 1, got {images_per_class}")
    if size < 16:
        raise UserError(f"image size must be at least 16 pixels, got {size}")
    if seed < 0:
        raise UserError(f"the seed must not be negative, got {seed}")
    written = []
    for body in dict.fromkeys(bodies):
        folder = Path(out_dir) / body
        folder.mkdir(parents=True, exist_ok=True)
        body_index = ALL_BODIES.index(body)
        for index in range(images_per_class):
            rng = np.random.default_rng([seed, body_index, index])
            path = folder / f"{body}_{index:04d}.jpg"
            render_body(body, rng, size).save(path, format="JPEG", quality=JPEG_QUALITY)
            written.append(path)
    return written


def holds_files(folder: Path) -> bool:
    """Whether a folder exists and holds at least one file anywhere below it."""
    return folder.exists() and any(path.is_file() for path in folder.rglob("*"))
