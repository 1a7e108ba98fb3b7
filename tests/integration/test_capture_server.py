"""Capture on a real server: the uploads kept are the bytes sent, with the prediction the client
got and BentoML's request id; a capture folder that cannot be written fails no request."""

import io
import time
from pathlib import Path

import httpx
from PIL import Image

from celestial.labelling.captures import read_captures
from celestial.serving.server_process import serving

SERVICE = "celestial.serving.service:CelestialClassifier"


def wait_for_captures(folder: Path, count: int) -> list:
    """Captures are written by a background thread: give them a moment."""
    deadline = time.monotonic() + 10
    while len(found := read_captures(folder)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_kept_uploads_are_the_bytes_sent_with_their_prediction(trained_model, held_out, tmp_path):
    env = {
        "CELESTIAL_MODEL_TAG": str(trained_model.tag),
        "CELESTIAL_CAPTURE_DIR": str(tmp_path / "captures"),
        "CELESTIAL_CAPTURE_CONFIDENCE": "1",  # every image the model is not certain of
        "CELESTIAL_CAPTURE_SAMPLE": "1",  # and the others
    }
    jpegs = [paths[0].read_bytes() for paths in held_out.values()]
    png = io.BytesIO()
    Image.open(io.BytesIO(jpegs[0])).save(png, format="PNG")
    with serving(SERVICE, log=tmp_path / "server.log", env=env) as server:
        one = httpx.post(f"{server.url}/predict", files={"image": ("a.png", png.getvalue())})
        batch = httpx.post(
            f"{server.url}/predict_batch",
            files=[("images", (f"{i}.jpg", image)) for i, image in enumerate(jpegs)],
        )
        captures = wait_for_captures(tmp_path / "captures", 1 + len(jpegs))
        metrics = httpx.get(f"{server.url}/metrics").text
    assert len(captures) == 1 + len(jpegs)
    ids = [str(int(response.headers["x-bentoml-request-id"], 16)) for response in (one, batch)]
    answers = {ids[0]: [one.json()], ids[1]: batch.json()}
    sent = {ids[0]: [png.getvalue()], ids[1]: jpegs}
    for capture, image in captures:
        index = sent[capture.request_id].index(image.read_bytes())
        answer = answers[capture.request_id][index]
        assert capture.prediction == answer["prediction"]
        assert capture.in_distribution == answer["in_distribution"]
        assert capture.model_tag == str(trained_model.tag)
    formats = sorted(capture.format for capture, _ in captures)
    assert formats == ["JPEG"] * len(jpegs) + ["PNG"]
    assert "celestial_captures_total{" in metrics


def test_a_capture_folder_that_cannot_be_written_fails_no_request(
    trained_model, held_out, tmp_path
):
    blocked = tmp_path / "not a folder"
    blocked.write_text("")
    env = {
        "CELESTIAL_MODEL_TAG": str(trained_model.tag),
        "CELESTIAL_CAPTURE_DIR": str(blocked / "captures"),
        "CELESTIAL_CAPTURE_SAMPLE": "1",
    }
    image = next(iter(held_out.values()))[0].read_bytes()
    with serving(SERVICE, log=tmp_path / "server.log", env=env) as server:
        for _ in range(3):
            response = httpx.post(f"{server.url}/predict", files={"image": ("a.jpg", image)})
            assert response.status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            failures = [line for line in httpx.get(f"{server.url}/metrics").text.splitlines()
                        if line.startswith("celestial_capture_failures_total")]  # fmt: skip
            if failures and float(failures[0].split()[-1]) == 3:
                break
            time.sleep(0.1)
        assert failures == ["celestial_capture_failures_total 3.0"]
