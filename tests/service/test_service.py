"""The API contract and every client error, in-process (TestClient over the service's ASGI app)."""

from pathlib import Path

import pytest
from starlette.testclient import TestClient

import celestial
from images import disc, encode, png_header_only


@pytest.fixture(scope="module")
def client(trained_model, tmp_path_factory: pytest.TempPathFactory, monkeypatch_module):
    # /metrics outside `bentoml serve` needs a directory for Prometheus' multiprocess files.
    monkeypatch_module.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path_factory.mktemp("prom")))
    monkeypatch_module.setenv("CELESTIAL_MODEL_TAG", str(trained_model.tag))
    from celestial.serving.service import CelestialClassifier  # reads the settings once, on import

    with TestClient(CelestialClassifier.to_asgi()) as client:
        yield client


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def assert_error(response, status: int, message: str) -> dict:
    """The one error shape: status, reason phrase, a message saying what is wrong."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert body["error"]
    assert message in body["message"], body["message"]
    return body


def test_predict_labels_held_out_images(client: TestClient, held_out: dict[str, list[Path]]):
    for label, paths in held_out.items():
        for path in paths:
            response = client.post("/predict", files={"image": (path.name, path.read_bytes())})
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["prediction"] == label, f"{path.name}: {body}"
            assert set(body["probabilities"]) == set(held_out)
            assert abs(sum(body["probabilities"].values()) - 1) < 1e-4
            assert body["novelty"] >= 0
            assert isinstance(body["in_distribution"], bool)


def test_predict_accepts_png_and_any_size(client: TestClient, held_out):
    path = held_out["Mars"][0]
    from PIL import Image

    image = Image.open(path).resize((300, 300))
    response = client.post("/predict", files={"image": ("mars.png", encode(image, "PNG"))})
    assert response.status_code == 200
    assert response.json()["prediction"] == "Mars"


def test_a_body_it_never_learned_is_flagged(client: TestClient, tmp_path: Path):
    from celestial.render import render_dataset

    for path in render_dataset(tmp_path, bodies=["Sun"], images_per_class=2, seed=5, size=128):
        body = client.post("/predict", files={"image": (path.name, path.read_bytes())}).json()
        threshold = client.get("/metadata").json()["novelty_threshold"]
        assert body["novelty"] > threshold
        assert body["in_distribution"] is False


def test_known_bodies_are_mostly_in_distribution(client: TestClient, held_out):
    files = [("images", (p.name, p.read_bytes())) for paths in held_out.values() for p in paths]
    results = client.post("/predict_batch", files=files).json()
    assert sum(item["in_distribution"] for item in results) >= 0.75 * len(results)


def test_predict_batch_keeps_order(client: TestClient, held_out):
    paths = [held_out[label][1] for label in ("Saturn", "Earth", "Neptune", "Mars", "Earth")]
    files = [("images", (path.name, path.read_bytes())) for path in paths]
    response = client.post("/predict_batch", files=files)
    assert response.status_code == 200, response.text
    assert [item["prediction"] for item in response.json()] == [
        "Saturn", "Earth", "Neptune", "Mars", "Earth"
    ]  # fmt: skip


def test_metadata(client: TestClient, trained_model):
    response = client.get("/metadata")
    assert response.status_code == 200
    body = response.json()
    assert body["model_tag"] == str(trained_model.tag)
    assert body["labels"] == ["Earth", "Mars", "Neptune", "Saturn"]
    assert body["input_size"] == [32, 32, 3]
    assert body["training_metrics"] == trained_model.info.metadata["metrics"]
    assert body["novelty_threshold"] == pytest.approx(
        trained_model.custom_objects["postprocess"].novelty.threshold
    )
    assert body["project_version"]
    assert body["created_at"].startswith(str(trained_model.info.creation_time.year))
    assert body["limits"]["max_request_bytes"] == 10 * 1024 * 1024


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/metrics"])
def test_health_endpoints(client: TestClient, path: str):
    assert client.get(path).status_code == 200


def test_openapi_documents_inputs_and_outputs(client: TestClient):
    spec = client.get("/docs.json").json()
    predict = spec["paths"]["/predict"]["post"]
    form = predict["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["image"]["format"] == "binary"
    assert "JPEG or PNG" in form["properties"]["image"]["description"]
    answer = predict["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"prediction", "probabilities"} <= set(answer["properties"])
    batch = spec["paths"]["/predict_batch"]["post"]["requestBody"]["content"]
    assert batch["multipart/form-data"]["schema"]["properties"]["images"]["type"] == "array"
    assert "get" in spec["paths"]["/metadata"]


JPEG = encode(disc(64), "JPEG")


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"", 400, "image: the file is empty"),
        (b"just some text", 400, "image: the data is not an image"),
        (JPEG[: len(JPEG) // 2], 400, "image: the image is corrupt or truncated"),
        (encode(disc(), "PNG")[:-30], 400, "corrupt or truncated"),
        (encode(disc(), "PPM"), 415, "PPM images are not supported"),
        (png_header_only(30_000, 30_000), 413, "900,000,000 pixels; the limit is 40,000,000"),
        (png_header_only(8_000, 6_000), 413, "8000x6000 = 48,000,000 pixels"),
    ],
)
def test_bad_images_get_4xx_naming_the_problem(client, data: bytes, status: int, message: str):
    assert_error(client.post("/predict", files={"image": ("x.jpg", data)}), status, message)


def test_missing_field_is_400_with_detail(client: TestClient):
    body = assert_error(client.post("/predict", json={}), 400, "image: Field required")
    assert body["detail"] == [{"field": "image", "problem": "Field required"}]


def test_wrong_field_name_says_which_is_expected(client: TestClient):
    response = client.post("/predict", files={"picture": ("x.jpg", JPEG)})
    assert_error(response, 400, "unexpected form field(s): picture; this endpoint takes: image")


def test_text_instead_of_a_file_is_not_fetched(client: TestClient):
    response = client.post("/predict", data={"image": "http://127.0.0.1:9/never-fetched.jpg"})
    assert_error(response, 400, "upload the image file itself (URLs are not fetched)")


def test_very_long_file_name(client: TestClient, held_out):
    path = held_out["Earth"][0]
    response = client.post("/predict", files={"image": ("e" * 600 + ".jpg", path.read_bytes())})
    assert response.json()["prediction"] == "Earth"


def test_too_many_form_fields(client: TestClient):
    fields = [("image", ("x.jpg", JPEG))] + [("image", (f"{i}", b"x")) for i in range(1000)]
    assert_error(client.post("/predict", files=fields), 400, "the form cannot be read")


def test_batch_names_the_bad_image(client: TestClient):
    files = [("images", ("a.jpg", JPEG)), ("images", ("b.jpg", b"oops")), ("images", ("c", JPEG))]
    assert_error(client.post("/predict_batch", files=files), 400, "images[1]: the data is not")


def test_batch_over_the_limit_is_413(client: TestClient):
    tiny = encode(disc(8), "PNG")
    files = [("images", (f"{i}.png", tiny)) for i in range(65)]
    assert_error(client.post("/predict_batch", files=files), 413, "65 images in one request")


def test_body_over_the_limit_is_413_before_reading(client: TestClient):
    big = b"\0" * (10 * 1024 * 1024 + 1)
    response = client.post("/predict", files={"image": ("big.jpg", big)})
    assert_error(response, 413, "over the limit of 10,485,760 bytes")


def test_chunked_body_over_the_limit_is_413(client: TestClient):
    def chunks():
        for _ in range(12):
            yield b"\0" * (1024 * 1024)

    response = client.post(
        "/predict", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert_error(response, 413, "over the limit")


def test_json_instead_of_a_file(client: TestClient):
    response = client.post("/predict", json={"image": "https://example.com/mars.jpg"})
    assert response.status_code == 400


def test_unknown_route_and_method_use_the_error_shape(client: TestClient):
    assert_error(client.get("/nowhere"), 404, "Not Found")
    assert_error(client.get("/predict"), 405, "Method Not Allowed")


def test_still_serving_after_errors(client: TestClient, held_out):
    client.post("/predict", files={"image": ("x.jpg", b"broken")})
    path = held_out["Neptune"][0]
    response = client.post("/predict", files={"image": (path.name, path.read_bytes())})
    assert response.json()["prediction"] == "Neptune"


def test_openapi_documents_the_error_shape(client: TestClient):
    spec = client.get("/docs.json").json()
    assert "ErrorResponse" in spec["components"]["schemas"]
    assert "InvalidArgument" not in spec["components"]["schemas"]
    for route in ("/predict", "/predict_batch"):
        responses = spec["paths"][route]["post"]["responses"]
        assert {"200", "400", "413", "415", "500"} <= set(responses)
        for status in ("400", "413", "415"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}


def test_the_openapi_document_names_the_project(client: TestClient, trained_model):
    info = client.get("/docs.json").json()["info"]
    assert info["title"] == "Celestial bodies classifier"
    assert info["version"] == celestial.__version__
    assert "`POST /predict`" in info["description"]
    assert f"`{trained_model.tag}`" in info["description"]
    assert "BentoML" not in info["description"]
    assert "contact" not in info
    page = client.get("/")
    assert "<title>Celestial bodies classifier</title>" in page.text
    assert page.headers["content-length"] == str(len(page.content))
