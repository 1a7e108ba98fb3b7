"""`python -m celestial.labelling.pull` (make label-import): finished annotations -> data/raw.

Each annotated task's image goes to data/raw/<label>/<capture_id>.<ext> (a new body's name makes
a new folder), unless the same bytes are already somewhere under data/raw. Every task is checked
before anything is written: an empty annotation, annotations that disagree, a result this
project's labelling config cannot have produced, or a new body without a usable name stops the
pull with one line per task, and nothing changes. "Not a body" is left out; skipped and
unlabelled tasks wait. Then `dvc add data/raw` records the new version of the data.
"""

import argparse
import hashlib
import io
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from celestial import cli
from celestial.errors import UserError
from celestial.imaging import ImageError, open_image
from celestial.labelling.captures import sha256
from celestial.labelling.config import (
    CHOICE,
    IMAGE,
    LABEL_PATTERN,
    NEW_BODY,
    NEW_LABEL,
    NOT_A_BODY,
    config_labels,
    label_name,
)
from celestial.labelling.export import PROJECT_TITLE
from celestial.labelling.studio import Connection, Studio

# What data/raw takes as it is; other formats are stored as PNG (lossless).
KEPT_SUFFIXES = {"JPEG": ".jpg", "PNG": ".png"}
RESULT_TYPES = {CHOICE: "choices", NEW_LABEL: "textarea"}


@dataclass(frozen=True)
class Labelled:
    """A task whose annotations agree on a label."""

    task: int
    capture_id: str
    label: str
    image_url: str
    sha256: str


@dataclass
class Plan:
    """What a pull would do: the images to add, and the tasks it leaves out and why."""

    labelled: list[Labelled] = field(default_factory=list)
    left_out: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def plan(tasks: Iterable[dict], known: Sequence[str]) -> Plan:
    """Check every exported task; `known` are the labels of the project's config (and of
    data/raw), which a new body's name is matched against, ignoring case."""
    result = Plan()
    spelling = {label.lower(): label for label in known}
    choices = {*known, NEW_BODY, NOT_A_BODY}
    for task in tasks:
        annotations = task.get("annotations") or []
        done = [a for a in annotations if not a.get("was_cancelled")]
        if not annotations:
            result.left_out["not labelled yet"] += 1
            continue
        if not done:
            result.left_out["skipped by the labeller"] += 1
            continue
        name = f"task {task.get('id')} (capture {task.get('data', {}).get('capture_id')})"
        try:
            label = _agreed_label(task, done, choices, spelling)
        except ValueError as problem:
            result.problems.append(f"{name}: {problem}")
            continue
        if label == NOT_A_BODY:
            result.left_out["not a body"] += 1
            continue
        data = task["data"]
        result.labelled.append(
            Labelled(task["id"], data["capture_id"], label, data[IMAGE], data["sha256"])
        )
    return result


def _agreed_label(
    task: dict, annotations: list[dict], choices: set[str], spelling: dict[str, str]
) -> str:
    data = task.get("data", {})
    if not all(isinstance(data.get(key), str) for key in ("capture_id", "sha256", IMAGE)):
        raise ValueError("not a task from `make label-export` (no capture_id, sha256 or image)")
    labels = {_label(annotation, choices, spelling) for annotation in annotations}
    if len(labels) > 1:
        raise ValueError(f"the annotations disagree: {', '.join(sorted(labels))}")
    return labels.pop()


def _label(annotation: dict, choices: set[str], spelling: dict[str, str]) -> str:
    """The label one annotation gives, or ValueError saying what is wrong with it."""
    which = f"annotation {annotation.get('id')}"
    result = annotation.get("result") or []
    if not result:
        raise ValueError(f"{which} is empty")
    values: dict[str, list[str]] = {}
    for item in result:
        source, kind = item.get("from_name"), item.get("type")
        value = item.get("value") or {}
        if RESULT_TYPES.get(source) != kind or item.get("to_name") != IMAGE:
            raise ValueError(
                f"{which} holds a result this labelling config does not make "
                f"(from_name={source!r}, type={kind!r})"
            )
        values[source] = value.get("choices" if kind == "choices" else "text") or []
    chosen = values.get(CHOICE, [])
    if len(chosen) != 1 or chosen[0] not in choices:
        raise ValueError(f"{which} has no known choice (got {chosen})")
    if chosen[0] != NEW_BODY:
        return chosen[0]
    typed = " ".join(values.get(NEW_LABEL, [])).strip()
    if not typed:
        raise ValueError(f"{which} says {NEW_BODY!r} but gives no name")
    name = label_name(typed)
    if not LABEL_PATTERN.fullmatch(name):
        raise ValueError(
            f"{which} names the new body {typed!r}: a label starts with a letter and has at "
            "most 40 letters, digits, spaces, '_' or '-'"
        )
    return spelling.get(name.lower(), name)


@dataclass
class Pulled:
    added: Counter = field(default_factory=Counter)  # label -> images
    new_labels: list[str] = field(default_factory=list)
    duplicates: int = 0
    relabelled: list[str] = field(default_factory=list)  # already present under another label


def contents(raw: Path) -> dict[str, Path]:
    """sha256 of every file under data/raw -> its path."""
    return {sha256(path.read_bytes()): path for path in sorted(raw.rglob("*")) if path.is_file()}


def folders(raw: Path) -> set[str]:
    """The labels data/raw holds."""
    return {path.name for path in raw.iterdir() if path.is_dir()} if raw.exists() else set()


def as_stored(data: bytes) -> tuple[bytes, str]:
    """An image's bytes as data/raw keeps them, and their suffix: JPEG and PNG as they are,
    other formats as PNG."""
    try:
        image = open_image(data)
    except ImageError as error:
        raise UserError(f"an image from Label Studio cannot be read: {error}") from None
    if image.format in KEPT_SUFFIXES:
        return data, KEPT_SUFFIXES[image.format]
    png = io.BytesIO()
    image.save(png, format="PNG")
    return png.getvalue(), ".png"


def write(labelled: Sequence[Labelled], fetch, raw: Path) -> Pulled:
    """Fetch the images (`fetch(url) -> bytes`), check them against their capture's sha256, and
    add those not yet under `raw`. All are fetched and checked before any is written."""
    pulled = Pulled()
    present = contents(raw) if raw.exists() else {}
    labels_before = folders(raw)
    staged: list[tuple[str, str, bytes]] = []  # label, file name, bytes
    for item in labelled:
        data = fetch(item.image_url)
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise UserError(
                f"task {item.task} (capture {item.capture_id}): the image Label Studio holds is "
                "not the captured one (sha256 differs)"
            )
        stored, suffix = as_stored(data)
        digest = sha256(stored)
        if digest in present:
            pulled.duplicates += 1
            if present[digest].parent.name != item.label:
                pulled.relabelled.append(
                    f"task {item.task} (capture {item.capture_id}) is labelled {item.label} but "
                    f"is already in the data as {present[digest].relative_to(raw)}: left as it is"
                )
            continue
        present[digest] = raw / item.label / f"{item.capture_id}{suffix}"
        staged.append((item.label, f"{item.capture_id}{suffix}", stored))
    for label, name, stored in staged:
        folder = raw / label
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".partial") as partial:
            partial.write(stored)
        Path(partial.name).replace(folder / name)
        pulled.added[label] += 1
    pulled.new_labels = sorted(set(pulled.added) - labels_before)
    return pulled


def pull(studio: Studio, *, title: str, raw: Path) -> tuple[Plan, Pulled]:
    """Check the project's annotations and add the labelled images to `raw`; UserError if any
    task is wrong, with nothing written."""
    project = studio.find_project(title)
    if project is None:
        raise UserError(f"Label Studio has no project {title!r}: run `make label-export` first")
    known = set(config_labels(project["label_config"])) | folders(raw)
    checked = plan(studio.export(project["id"]), sorted(known))
    if checked.problems:
        lines = "\n  ".join(checked.problems)
        raise UserError(
            f"{len(checked.problems)} task(s) in {title!r} cannot be imported; correct them in "
            f"Label Studio and pull again (nothing was written):\n  {lines}"
        )
    return checked, write(checked.labelled, studio.download, raw)


def summary(checked: Plan, pulled: Pulled) -> str:
    added = ", ".join(f"{label} {count}" for label, count in sorted(pulled.added.items()))
    lines = [f"added {sum(pulled.added.values())} images" + (f": {added}" if added else "")]
    if pulled.new_labels:
        lines.append(f"new labels: {', '.join(pulled.new_labels)}")
    left = [f"{count} {why}" for why, count in sorted(checked.left_out.items())]
    if pulled.duplicates:
        left.insert(0, f"{pulled.duplicates} already in the data")
    if left:
        lines.append(f"left out: {', '.join(left)}")
    return "\n".join([*lines, *pulled.relabelled])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m celestial.labelling.pull",
        description="Add the images labelled in Label Studio to the data, then `dvc add` it. "
        "Label Studio's address and token: LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY.",
    )
    parser.add_argument("--project", default=PROJECT_TITLE, help=f"default: {PROJECT_TITLE!r}")
    parser.add_argument("--raw", type=Path, default=Path("data/raw"), help="default: data/raw")
    parser.add_argument(
        "--no-dvc", action="store_true", help="do not run `dvc add` on the data afterwards"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    with Studio(Connection.from_env()) as studio:
        checked, pulled = pull(studio, title=args.project, raw=args.raw)
    print(summary(checked, pulled))
    if pulled.added and not args.no_dvc:
        subprocess.run(["dvc", "add", "--quiet", str(args.raw)], check=True)
        print(f"recorded with `dvc add {args.raw}`: `make train` retrains on it")


if __name__ == "__main__":
    cli.run(main)
