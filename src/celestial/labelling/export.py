"""`python -m celestial.labelling.export` (make label-export): captured uploads -> Label Studio.

Each capture becomes a task of one project: the image, the model's answer as a pre-annotation
(its label, scored by its top probability) for the labeller to confirm or correct, and the
capture's record in the task's data. The most uncertain come first three ways: the order of
import, the project's "Uncertainty sampling" (the next task a labeller gets), and a Data Manager
tab sorted by the prediction's score. Running it again adds only the captures not yet there.
"""

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from celestial import cli
from celestial.errors import UserError
from celestial.labelling.captures import Capture, read_captures
from celestial.labelling.config import CHOICE, IMAGE, config_labels, label_config
from celestial.labelling.studio import Connection, Studio

PROJECT_TITLE = "Celestial bodies: review"
VIEW_TITLE = "Most uncertain first"


@dataclass(frozen=True)
class Exported:
    project: int
    view: int
    added: int
    already: int


def choice_result(label: str) -> list[dict]:
    """A result choosing `label`, as the labelling config's choices produce it."""
    return [{"from_name": CHOICE, "to_name": IMAGE, "type": "choices",
             "value": {"choices": [label]}}]  # fmt: skip


def task(capture: Capture, image_url: str) -> dict:
    """A Label Studio task for one capture, the model's answer as its prediction."""
    return {
        "data": {
            IMAGE: image_url,
            "headline": headline(capture),
            "capture_id": capture.capture_id,
            "sha256": capture.sha256,
            "request_id": capture.request_id,
            "model_tag": capture.model_tag,
            "captured_at": capture.time,
            "prediction": capture.prediction,
            "top_probability": capture.top_probability,
            "novelty": capture.novelty,
            "in_distribution": capture.in_distribution,
            "reason": capture.reason,
            "probabilities": capture.probabilities,
        },
        "predictions": [
            {
                "model_version": capture.model_tag,
                "score": capture.top_probability,
                "result": choice_result(capture.prediction),
            }
        ],
    }


def headline(capture: Capture) -> str:
    """What the labeller reads above the image."""
    flag = "" if capture.in_distribution else ", unlike anything it was trained on"
    return (
        f"The model says {capture.prediction} ({capture.top_probability:.0%} sure{flag}). "
        "Confirm or correct."
    )


def export(studio: Studio, captures: Sequence[tuple[Capture, Path]], *, title: str) -> Exported:
    """Add the captured images not yet in the project `title` (made if missing) as tasks."""
    if not captures:
        raise UserError("no captures to export")
    labels = sorted({label for capture, _ in captures for label in capture.probabilities})
    latest_model = max(captures, key=lambda item: item[0].time)[0].model_tag
    project = _project(studio, title, labels, latest_model)
    # One task per image: the same bytes sent again (or captured by two workers) are labelled once.
    seen = {task["data"].get("sha256") for task in studio.tasks(project)}
    new = []
    for capture, path in captures:
        if capture.sha256 not in seen:
            seen.add(capture.sha256)
            new.append((capture, path))
    new.sort(key=lambda item: item[0].top_probability)  # most uncertain first
    if new:
        urls = studio.upload_files(project, [path for _, path in new])
        studio.import_tasks(project, [task(capture, urls[path.name]) for capture, path in new])
    return Exported(project, _view(studio, project), len(new), len(captures) - len(new))


def _project(studio: Studio, title: str, labels: list[str], model_tag: str) -> int:
    """The project's id: made with the labels, or brought up to date with new ones and the
    latest model (uncertainty sampling only follows predictions of the project's model_version)."""
    project = studio.find_project(title)
    if project is None:
        return studio.create_project(
            title=title,
            description="Uploads the served model was unsure of or did not recognise: confirm "
            "or correct its answer; name a body it does not know.",
            label_config=label_config(labels),
            model_version=model_tag,
            sampling="Uncertainty sampling",
            show_collab_predictions=True,
            maximum_annotations=1,
        )["id"]
    changes = {}
    known = config_labels(project["label_config"])
    if set(labels) - set(known):
        changes["label_config"] = label_config(set(labels) | set(known))
    if project.get("model_version") != model_tag:
        changes["model_version"] = model_tag
    if changes:
        studio.update_project(project["id"], **changes)
    return project["id"]


def _view(studio: Studio, project: int) -> int:
    for view in studio.views(project):
        if view["data"].get("title") == VIEW_TITLE:
            return view["id"]
    return studio.create_view(project, VIEW_TITLE, ordering=["tasks:predictions_score"])["id"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m celestial.labelling.export",
        description="Send the uploads the service captured to a Label Studio project, most "
        "uncertain first. Label Studio's address and token: LABEL_STUDIO_URL, "
        "LABEL_STUDIO_API_KEY (defaults: what `make label-studio` starts).",
    )
    parser.add_argument(
        "--captures",
        type=Path,
        default=Path(os.environ.get("CELESTIAL_CAPTURE_DIR", "captures")),
        help="the service's capture folder (default: $CELESTIAL_CAPTURE_DIR or captures)",
    )
    parser.add_argument("--project", default=PROJECT_TITLE, help=f"default: {PROJECT_TITLE!r}")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if not args.captures.is_dir():
        raise UserError(f"{args.captures} does not exist: serve with CELESTIAL_CAPTURE_DIR set")
    captures = read_captures(args.captures)
    if not captures:
        raise UserError(f"no captures in {args.captures}")
    with Studio(Connection.from_env()) as studio:
        done = export(studio, captures, title=args.project)
        print(
            f"{done.added} new tasks ({done.already} captures already there) in project "
            f"{args.project!r}: {studio.url}/projects/{done.project}/data?tab={done.view}"
        )


if __name__ == "__main__":
    cli.run(main)
