"""`python -m celestial.render`: render the default dataset (its defaults from params.yaml)."""

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from celestial import cli
from celestial.pipeline.params import load_params
from celestial.render.bodies import KNOWN_BODIES, NOVEL_BODIES
from celestial.render.writer import holds_files, render_dataset


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m celestial.render",
        description="Render the synthetic celestial-bodies image dataset (one folder per body).",
    )
    parser.add_argument(
        "--out", type=Path, help="output folder (default: paths.raw in params.yaml)"
    )
    parser.add_argument("--images-per-class", type=int, help="default: render.images_per_class")
    parser.add_argument("--seed", type=int, help="default: render.seed")
    parser.add_argument(
        "--size", type=int, help="image side in pixels (default: render.image_size)"
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--bodies",
        nargs="+",
        metavar="NAME",
        help=f"default: the ten known ({', '.join(KNOWN_BODIES)})",
    )
    which.add_argument(
        "--novel", action="store_true", help=f"render the novel bodies ({', '.join(NOVEL_BODIES)})"
    )
    parser.add_argument(
        "--if-empty",
        action="store_true",
        help="render only if the output folder is missing or holds no files; else keep it",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: render the dataset, defaults from params.yaml (read only when needed)."""
    args = _parser().parse_args(argv)
    if None in (args.out, args.images_per_class, args.seed, args.size):
        params = load_params()
        args.out = args.out if args.out is not None else params.paths.raw
        if args.images_per_class is None:
            args.images_per_class = params.render.images_per_class
        args.seed = args.seed if args.seed is not None else params.render.seed
        args.size = args.size if args.size is not None else params.render.image_size
    bodies = NOVEL_BODIES if args.novel else tuple(args.bodies or KNOWN_BODIES)
    if args.if_empty and holds_files(args.out):
        print(f"{args.out} already holds files: keeping the existing data, nothing rendered")
        return
    start = time.perf_counter()
    written = render_dataset(
        args.out,
        bodies=bodies,
        images_per_class=args.images_per_class,
        seed=args.seed,
        size=args.size,
    )
    elapsed = time.perf_counter() - start
    print(
        f"rendered {len(written)} images ({len(set(bodies))} bodies, {args.size}x{args.size} px, "
        f"seed {args.seed}) into {args.out} in {elapsed:.1f} s"
    )


if __name__ == "__main__":
    cli.run(main)
