"""Over real HTTP: `bentoml serve` from source, driven with httpx and with a headless browser."""

from pathlib import Path

import httpx

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
    metrics = httpx.get(f"{server}/metrics").text
    assert 'endpoint="/predict"' in metrics


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
