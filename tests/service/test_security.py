"""Optional API key and CORS: off by default, switched on by environment variables."""

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from celestial.serving.security import ApiKeyAuth, cors_config


def guarded(key: str = "s3cret") -> TestClient:
    async def ok(request):
        return PlainTextResponse("ok")

    paths = ["/predict", "/metadata", "/livez", "/readyz", "/metrics", "/", "/docs.json"]
    app = Starlette(routes=[Route(path, ok, methods=["GET", "POST"]) for path in paths])
    return TestClient(ApiKeyAuth(app, key=key))


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": ""}])
def test_endpoints_refuse_a_missing_or_wrong_key(headers: dict) -> None:
    for path in ("/predict", "/metadata"):
        response = guarded().post(path, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["message"].startswith("a valid API key is required")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer s3cret"},
        {"authorization": "bearer s3cret"},
        {"X-API-Key": "s3cret"},
    ],
)
def test_the_key_opens_the_endpoints(headers: dict) -> None:
    assert guarded().post("/predict", headers=headers).text == "ok"


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/metrics", "/", "/docs.json"])
def test_health_metrics_and_docs_stay_open(path: str) -> None:
    assert guarded().get(path).status_code == 200


def test_cors_preflights_pass_without_a_key_but_plain_options_do_not() -> None:
    # Browsers send no credentials in a preflight; the CORS layer inside decides about it.
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    assert guarded().options("/predict", headers=preflight).status_code != 401
    assert guarded().options("/predict").status_code == 401


def test_cors_is_off_without_origins() -> None:
    assert cors_config([]) == {"enabled": False}
    assert cors_config(["https://app.example"])["access_control_allow_origins"] == [
        "https://app.example"
    ]
