"""Over real HTTP: `bentoml serve` from source, driven with httpx and with a headless browser."""

import json
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from images import png_header_only


def test_predict_and_batch_over_http(server: str, held_out: dict[str, list[Path]]) -> None:
    path = held_out["Saturn"][0]
    response = httpx.post(f"{server}/predict", files={"image": (path.name, path.read_bytes())})
    assert response.status_code == 200
    assert response.json()["prediction"] == "Saturn"

    files = [("images", (p.name, p.read_bytes())) for label in held_out for p in held_out[label]]
    response = httpx.post(f"{server}/predict_batch", files=files, timeout=30)
    assert [item["prediction"] for item in response.json()] == [
        label for label in held_out for _ in held_out[label]
    ]


def test_metadata_and_health_over_http(server: str, trained_model) -> None:
    assert httpx.get(f"{server}/metadata").json()["model_tag"] == str(trained_model.tag)
    assert httpx.get(f"{server}/livez").status_code == 200
    assert httpx.get(f"{server}/readyz").status_code == 200


def predictions_counted(server: str, status: int) -> float:
    """BentoML's count of /predict requests answered with `status`, from /metrics."""
    total = 0.0
    for family in text_string_to_metric_families(httpx.get(f"{server}/metrics").text):
        for sample in family.samples:
            labels = sample.labels
            if (sample.name == "bentoml_service_request_total"
                    and labels.get("endpoint") == "/predict"
                    and labels.get("http_response_code") == str(status)):  # fmt: skip
                total += sample.value
    return total


def test_metrics_count_the_requests(server: str, held_out) -> None:
    ok, bad = predictions_counted(server, 200), predictions_counted(server, 400)
    image = held_out["Mars"][0].read_bytes()
    for _ in range(3):
        httpx.post(f"{server}/predict", files={"image": ("m.jpg", image)}).raise_for_status()
    httpx.post(f"{server}/predict", files={"image": ("x.jpg", b"not an image")})
    assert predictions_counted(server, 200) == ok + 3
    assert predictions_counted(server, 400) == bad + 1


def test_client_errors_leave_the_server_serving(server: str, held_out) -> None:
    bomb = httpx.post(
        f"{server}/predict", files={"image": ("bomb.png", png_header_only(30_000, 30_000))}
    )
    assert bomb.status_code == 413
    photo = held_out["Earth"][0].read_bytes()
    cut = httpx.post(f"{server}/predict", files={"image": ("cut.jpg", photo[: len(photo) // 2])})
    assert cut.status_code == 400
    assert cut.json()["message"].startswith("image: the image is corrupt or truncated")
    big = httpx.post(f"{server}/predict", content=b"\0" * (11 * 1024 * 1024),
                     headers={"content-type": "multipart/form-data; boundary=x"})  # fmt: skip
    assert big.status_code == 413
    path = held_out["Earth"][0]
    response = httpx.post(f"{server}/predict", files={"image": (path.name, path.read_bytes())})
    assert response.json()["prediction"] == "Earth"


@pytest.mark.parametrize("megabytes", [20, 60])
def test_a_client_that_sends_its_whole_body_first_reads_the_413(server: str, megabytes: int):
    """urllib writes the whole body before it reads: the server drains it (within its bound)
    before closing, so the client reads the 413 instead of a connection reset."""
    request = urllib.request.Request(
        f"{server}/predict",
        data=b"x" * (megabytes * 1_000_000),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["message"].endswith("limit of 10,485,760 bytes")
