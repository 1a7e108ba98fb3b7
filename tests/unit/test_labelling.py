"""From Label Studio's export to data/raw: what is imported, what is refused (naming the task),
and that nothing is written twice."""

import hashlib
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from celestial.errors import UserError
from celestial.labelling.captures import Capture, read_captures, write_capture
from celestial.labelling.config import NEW_BODY, NOT_A_BODY, config_labels, label_config
from celestial.labelling.export import choice_result, task
from celestial.labelling.pull import Labelled, plan, summary, write
from celestial.labelling.studio import DEFAULT_TOKEN, DEFAULT_URL
from conftest import PROJECT_ROOT

KNOWN = ["Earth", "Mars", "Venus"]


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def exported(task_id: int, *annotations: list[dict], cancelled: bool = False) -> dict:
    """A task as Label Studio's JSON export holds it, with these annotations' results."""
    data = png((task_id, 0, 0))
    return {
        "id": task_id,
        "data": {
            "image": f"/data/upload/1/{task_id}.png",
            "capture_id": f"c{task_id}",
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        "annotations": [
            {"id": 100 + task_id, "result": result, "was_cancelled": cancelled}
            for result in annotations
        ],
    }


def new_body(name: str | None) -> list[dict]:
    named = [] if name is None else [{"from_name": "new_label", "to_name": "image",
                                      "type": "textarea", "value": {"text": [name]}}]  # fmt: skip
    return choice_result(NEW_BODY) + named


def test_the_config_offers_the_known_labels_a_new_body_and_not_a_body() -> None:
    config = label_config(["Venus", "Mars"])
    assert config_labels(config) == ["Mars", "Venus"]
    assert f'value="{NEW_BODY}"' in config
    assert f'value="{NOT_A_BODY}"' in config
    assert 'name="new_label"' in config
    assert 'whenChoiceValue="New body"' in config


def test_agreed_labels_are_imported_and_the_rest_left_out_with_a_reason() -> None:
    tasks = [
        exported(1, choice_result("Mars")),
        exported(2, choice_result("Venus"), choice_result("Venus")),  # two labellers agree
        exported(3, new_body("ceres")),
        exported(4, new_body("MARS")),  # a known body typed as new: the known spelling
        exported(5, choice_result(NOT_A_BODY)),
        exported(6, choice_result("Mars"), cancelled=True),
        exported(7),
    ]
    checked = plan(tasks, KNOWN)
    assert checked.problems == []
    assert [(item.task, item.label) for item in checked.labelled] == [
        (1, "Mars"), (2, "Venus"), (3, "Ceres"), (4, "Mars")
    ]  # fmt: skip
    assert checked.left_out == {"not a body": 1, "skipped by the labeller": 1,
                                "not labelled yet": 1}  # fmt: skip


@pytest.mark.parametrize(
    ("annotations", "message"),
    [
        ([[]], "annotation 101 is empty"),
        ([choice_result("Mars"), choice_result("Venus")], "the annotations disagree: Mars, Venus"),
        ([new_body(None)], "says 'New body' but gives no name"),
        ([new_body("   ")], "says 'New body' but gives no name"),
        ([new_body("../etc")], "names the new body '../etc'"),
        ([new_body("x" * 41)], "names the new body"),
        ([choice_result("Pluto")], "has no known choice (got ['Pluto'])"),
        (
            [[{"from_name": "bbox", "to_name": "image", "type": "rectanglelabels", "value": {}}]],
            "a result this labelling config does not make (from_name='bbox'",
        ),
    ],
)
def test_a_wrong_annotation_is_refused_naming_its_task(annotations, message) -> None:
    checked = plan([exported(1, choice_result("Mars")), exported(9, *annotations)], KNOWN)
    (problem,) = checked.problems
    assert problem.startswith("task 9 (capture c9): ")
    assert message.replace("101", "109") in problem


def test_a_task_not_made_by_the_export_is_refused() -> None:
    foreign = {"id": 3, "data": {"image": "x.png"}, "annotations": [
        {"id": 1, "result": choice_result("Mars"), "was_cancelled": False}]}  # fmt: skip
    (problem,) = plan([foreign], KNOWN).problems
    assert problem.startswith("task 3 (capture None): not a task from `make label-export`")


def served(tasks: list[dict]):
    """A stand-in for Label Studio's file download: the bytes each task's sha256 names."""
    files = {t["data"]["image"]: png((t["id"], 0, 0)) for t in tasks}
    return files.__getitem__


def test_images_go_to_their_label_folder_once(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "Mars").mkdir(parents=True)
    (raw / "Mars" / "old.png").write_bytes(png((1, 0, 0)))  # task 1's image, already there
    tasks = [exported(1, choice_result("Mars")), exported(2, new_body("Ceres")),
             exported(3, choice_result("Venus"))]  # fmt: skip
    checked = plan(tasks, KNOWN)
    first = write(checked.labelled, served(tasks), raw)
    assert sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*.png")) == [
        "Ceres/c2.png", "Mars/old.png", "Venus/c3.png"
    ]  # fmt: skip
    assert first.duplicates == 1
    assert first.new_labels == ["Ceres", "Venus"]
    assert "added 2 images: Ceres 1, Venus 1" in summary(checked, first)
    again = write(checked.labelled, served(tasks), raw)
    assert (sum(again.added.values()), again.duplicates) == (0, 3)


def test_an_image_already_in_the_data_under_another_label_is_reported(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "Venus").mkdir(parents=True)
    (raw / "Venus" / "old.png").write_bytes(png((1, 0, 0)))
    tasks = [exported(1, choice_result("Mars"))]
    pulled = write(plan(tasks, KNOWN).labelled, served(tasks), raw)
    assert pulled.relabelled == [
        "task 1 (capture c1) is labelled Mars but is already in the data as Venus/old.png: "
        "left as it is"
    ]


def test_an_image_that_is_not_the_captured_one_stops_the_pull(tmp_path: Path) -> None:
    item = Labelled(4, "c4", "Mars", "/data/upload/1/4.png", sha256="0" * 64)
    with pytest.raises(UserError, match=r"task 4 \(capture c4\).*sha256 differs"):
        write([item, item], lambda _: png((4, 0, 0)), tmp_path / "raw")
    assert not (tmp_path / "raw").exists()


def test_other_formats_are_stored_as_png(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (9, 9, 9)).save(out, format="WEBP")
    data = out.getvalue()
    item = Labelled(5, "c5", "Mars", "/x.webp", sha256=hashlib.sha256(data).hexdigest())
    write([item], lambda _: data, tmp_path)
    assert Image.open(tmp_path / "Mars" / "c5.png").format == "PNG"


def test_a_capture_becomes_a_task_with_the_model_answer_as_its_prediction(tmp_path) -> None:
    capture = Capture(
        capture_id="20260101T000000Z-0123abcd", request_id="42", model_tag="m:1",
        time="2026-01-01T00:00:00.000+00:00", prediction="Mars",
        probabilities={"Mars": 0.55, "Venus": 0.45}, novelty=30.0, in_distribution=False,
        reason="out_of_distribution", sha256="ab" * 32, format="PNG", width=8, height=8,
    )  # fmt: skip
    write_capture(tmp_path, capture, png((0, 0, 0)))
    assert read_captures(tmp_path) == [(capture, tmp_path / "20260101T000000Z-0123abcd.png")]
    made = task(capture, "/data/upload/1/x.png")
    (prediction,) = made["predictions"]
    assert prediction["model_version"] == "m:1"
    assert prediction["score"] == 0.55
    assert prediction["result"] == choice_result("Mars")
    assert made["data"]["capture_id"] == capture.capture_id
    assert "unlike anything it was trained on" in made["data"]["headline"]
    json.dumps(made)  # Label Studio takes it as JSON


def test_the_commands_default_to_what_make_label_studio_starts() -> None:
    script = (PROJECT_ROOT / "scripts/label-studio.sh").read_text()
    assert f"LABEL_STUDIO_USER_TOKEN:-{DEFAULT_TOKEN}" in script
    port = DEFAULT_URL.rsplit(":", 1)[1]
    assert f"port=${{1:-{port}}}" in script
    assert f"LABEL_STUDIO_PORT ?= {port}" in (PROJECT_ROOT / "Makefile").read_text()
