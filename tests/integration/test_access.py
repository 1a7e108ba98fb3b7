"""API key and CORS on a real server: the settings reach the running service."""

import httpx

from celestial.serving.server_process import serving


def test_a_real_server_with_key_and_cors(trained_model, held_out, tmp_path) -> None:
    env = {
        "CELESTIAL_MODEL_TAG": str(trained_model.tag),
        "CELESTIAL_API_KEY": "s3cret",
        "CELESTIAL_CORS_ORIGINS": "https://app.example",
    }
    image = held_out["Mars"][0].read_bytes()
    with serving(
        "celestial.serving.service:CelestialClassifier", log=tmp_path / "s.log", env=env
    ) as s:
        refused = httpx.post(f"{s.url}/predict", files={"image": ("m.jpg", image)})
        assert refused.status_code == 401
        allowed = httpx.post(
            f"{s.url}/predict", files={"image": ("m.jpg", image)}, headers={"X-API-Key": "s3cret"}
        )
        assert allowed.json()["prediction"] == "Mars"
        assert httpx.get(f"{s.url}/readyz").status_code == 200
        preflight = httpx.options(
            f"{s.url}/predict",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        other = httpx.options(
            f"{s.url}/predict",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in other.headers


def test_no_cors_headers_by_default(server: str) -> None:
    response = httpx.options(
        f"{server}/predict",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers
