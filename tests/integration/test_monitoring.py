"""Monitoring on real servers: a record per classified image, the live metrics on /metrics with
two workers, and a failure to write a record that fails no request."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from celestial.monitoring.records import CATEGORICAL, EMBEDDING, NUMERICAL, read_records
from celestial.serving.server_process import serving

SERVICE = "celestial.serving.service:CelestialClassifier"


def metric(url: str, name: str) -> float:
    """The sum of a metric's samples (every label) in one scrape of /metrics."""
    families = text_string_to_metric_families(httpx.get(f"{url}/metrics").text)
    return sum(s.value for f in families for s in f.samples if s.name == name)


def post(url: str, image: bytes) -> None:
    httpx.post(f"{url}/predict", files={"image": ("x.jpg", image)}).raise_for_status()


def wait_for_records(folder: Path, count: int) -> list[dict]:
    """Records are written by the record writer once the response is on its way: give it a
    moment (and, for the first ones, the time it takes to start)."""
    deadline = time.monotonic() + 10
    while len(records := list(read_records(folder))) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return records


def test_a_record_per_image_with_its_request_id(trained_model, held_out, tmp_path) -> None:
    env = {
        "CELESTIAL_MODEL_TAG": str(trained_model.tag),
        "CELESTIAL_MONITORING_DIR": str(tmp_path / "records"),
        "CELESTIAL_EMBEDDING_SHARE": "1",
    }
    images = [paths[0].read_bytes() for paths in held_out.values()]
    with serving(SERVICE, log=tmp_path / "server.log", env=env) as server:
        one = httpx.post(f"{server.url}/predict", files={"image": ("a.jpg", images[0])})
        batch = httpx.post(
            f"{server.url}/predict_batch",
            files=[("images", (f"{i}.jpg", image)) for i, image in enumerate(images)],
        )
        records = wait_for_records(tmp_path / "records", 1 + len(images))
    assert len(records) == 1 + len(images)
    by_request = {}
    for entry in records:
        by_request.setdefault(entry["request_id"], []).append(entry)
    # BentoML's request id, in decimal; the response header has it in hexadecimal.
    ids = [str(int(response.headers["x-bentoml-request-id"], 16)) for response in (one, batch)]
    assert sorted(by_request) == sorted(ids)
    in_batch = by_request[ids[1]]
    assert [entry["image_index"] for entry in in_batch] == list(range(len(images)))
    assert [entry["prediction"] for entry in in_batch] == [r["prediction"] for r in batch.json()]
    entry = by_request[ids[0]][0]
    assert entry["endpoint"] == "predict"
    assert entry["model_tag"] == str(trained_model.tag)
    assert set(NUMERICAL) | set(CATEGORICAL) <= set(entry)
    assert entry["novelty"] == pytest.approx(one.json()["novelty"], abs=1e-4)
    assert len(entry[EMBEDDING]) == 16  # the test model's embedding
    assert max(len(json.dumps(e)) for e in records) < 2000, "no image bytes in a record"


def test_live_metrics_add_up_across_two_workers(trained_model, held_out, tmp_path) -> None:
    env = {"CELESTIAL_MODEL_TAG": str(trained_model.tag), "CELESTIAL_WORKERS": "2",
           "CELESTIAL_MONITORING_DIR": str(tmp_path / "records")}  # fmt: skip
    images = [path.read_bytes() for paths in held_out.values() for path in paths]
    sent = 0
    with serving(SERVICE, log=tmp_path / "server.log", env=env) as server:
        deadline = time.monotonic() + 60
        # /readyz answers once one worker is up; the other may still be loading the model. Send
        # rounds of many connections at once until both workers have taken some.
        with ThreadPoolExecutor(16) as pool:
            while True:
                list(pool.map(lambda image: post(server.url, image), images))
                sent += len(images)
                records = wait_for_records(tmp_path / "records", sent)
                files = list((tmp_path / "records").rglob("data.*.log"))
                if len(files) == 2 or time.monotonic() > deadline:
                    break
        request_ids = {entry["request_id"] for entry in records}
        scrapes = [
            {name: metric(server.url, name) for name in
             ("celestial_predictions_total", "celestial_novelty_ratio_count",
              "celestial_top_probability_count", "celestial_image_brightness_count")}
            for _ in range(6)
        ]  # fmt: skip
    assert len(request_ids) == sent
    assert len(files) == 2, "both workers wrote records"
    for scrape in scrapes:  # whichever worker answers, the counts are the sum of both
        assert scrape == dict.fromkeys(scrape, sent)


def test_a_record_that_cannot_be_written_fails_no_request(trained_model, held_out, tmp_path):
    blocked = tmp_path / "records"
    blocked.write_text("a file where the records' folder should be")
    env = {"CELESTIAL_MODEL_TAG": str(trained_model.tag), "CELESTIAL_MONITORING_DIR": str(blocked)}
    image = held_out["Mars"][0].read_bytes()
    with serving(SERVICE, log=tmp_path / "server.log", env=env) as server:
        answers = [httpx.post(f"{server.url}/predict", files={"image": ("m.jpg", image)})
                   for _ in range(5)]  # fmt: skip
        deadline = time.monotonic() + 10  # the record writer counts them as it fails
        while (failures := metric(server.url, "celestial_prediction_record_failures_total")) < 5:
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        predictions = metric(server.url, "celestial_predictions_total")
    assert [answer.status_code for answer in answers] == [200] * 5
    assert {answer.json()["prediction"] for answer in answers} == {"Mars"}
    assert failures == 5
    assert predictions == 5, "the live metrics count them all the same"
