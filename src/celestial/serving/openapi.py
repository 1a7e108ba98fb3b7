"""The OpenAPI document (/docs.json) and the Swagger UI at /: this service's, true about errors.

BentoML documents every endpoint's errors as its own exception shapes (400, 404, 500 only), while
ErrorEnvelope answers every error as ErrorResponse, and the endpoints also answer 413 and 415 (and
401 with an API key). BentoML also has no setting for the document's title, version and text: it
shows a placeholder and its own contact. OpenApiDocument rewrites the document as BentoML serves
it, and IndexPage the page.
"""

import json
import re
from http import HTTPStatus
from typing import Any

from starlette.types import ASGIApp, Scope

import celestial
from celestial.serving.error_responses import ResponseRewriter
from celestial.serving.schemas import ErrorResponse

DOCUMENT = "/docs.json"
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
BENTOML_ERRORS = ("InvalidArgument", "NotFound", "InternalServerError")
TITLE = "Celestial bodies classifier"
DESCRIPTION = """\
Which celestial body does an image show? Upload a picture of Earth, Jupiter, Mars, Mercury, the
Moon, Neptune, Pluto, Saturn, Uranus or Venus and get the predicted label with a probability per
label.

- `POST /predict`: one image file in the multipart field `image`: JPEG or PNG (WebP, GIF, BMP and
  TIFF work too), any size up to the limits in `GET /metadata`.
- `POST /predict_batch`: several images, the field `images` repeated; the answers keep their order.
- Each answer also carries `novelty`, how unlike the training images the upload is, and
  `in_distribution`: `false` means the image is probably none of these bodies, whatever
  `prediction` says.
- `GET /metadata`: the model served, its labels, training metrics and the request limits.

Errors are JSON, `{"status", "error", "message"}`: 400 for a malformed request or a file that is not
a readable image, 413 for a body, image or batch over its limit, 415 for another image format.
"""
# What each of our upload endpoints may answer besides 200.
UPLOAD_ERRORS = {
    400: "Malformed request, or an image that is not an image, corrupt or truncated",
    413: "Request body, image or batch over its limit",
    415: "An image format the service does not accept",
    500: "A fault of the service",
}


def document_errors(spec: dict[str, Any], *, api_key: bool) -> dict[str, Any]:
    """The spec with ErrorResponse as the schema of every documented error."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in BENTOML_ERRORS:
        schemas.pop(name, None)
    schemas["ErrorResponse"] = ErrorResponse.model_json_schema()
    for path, item in spec.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status in [code for code in responses if code != "200"]:
                responses[status] = _error(HTTPStatus(int(status)).phrase)
            if "requestBody" in operation:  # the upload endpoints
                for status, description in UPLOAD_ERRORS.items():
                    responses[str(status)] = _error(description)
            if api_key and not path.endswith(("/livez", "/readyz", "/healthz", "/metrics")):
                responses["401"] = _error("A valid API key is required")
    return spec


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def info(*, model: str) -> dict[str, Any]:
    """The document's title, version and text, naming the model served (no contact)."""
    return {
        "title": TITLE,
        "version": celestial.__version__,
        "description": f"{DESCRIPTION}\nServing the model `{model}`.\n",
    }


class OpenApiDocument(ResponseRewriter):
    """ASGI middleware: the OpenAPI document BentoML serves, with this service's info and errors."""

    def __init__(self, app: ASGIApp, *, api_key: bool, info: dict[str, Any]) -> None:
        super().__init__(app)
        self.api_key = api_key
        self.info = info

    path = DOCUMENT

    def wants(self, scope: Scope, status: int) -> bool:
        return status == 200

    def rewrite(self, status: int, body: bytes) -> bytes:
        spec = document_errors(json.loads(body), api_key=self.api_key)
        for tag in spec.get("tags", []):  # BentoML's own words for its endpoints
            if tag.get("name") == "Service APIs":
                tag["description"] = "Classify images, and describe the model that does it."
        return json.dumps({**spec, "info": self.info}).encode()


class IndexPage(ResponseRewriter):
    """ASGI middleware: the Swagger UI page at /, as this service's.

    BentoML's page is titled "BentoML Prediction Service", hides the document's title with its
    stylesheet, and loads Google Tag Manager, which would report every visit to a third party.
    """

    path = "/"
    content_type = b"text/html; charset=utf-8"

    def wants(self, scope: Scope, status: int) -> bool:
        return status == 200

    def rewrite(self, status: int, body: bytes) -> bytes:
        page = body.decode()
        page = re.sub(r"<title>[^<]*</title>", f"<title>{TITLE}</title>", page, count=1)
        page = re.sub(
            r"<!-- Google Tag Manager.*?<!-- End Google Tag Manager[^>]*-->", "", page, flags=re.S
        )
        return page.replace("</head>", f"{SHOW_TITLE}</head>", 1).encode()


# Undoes BentoML's index.css, which hides the title and shows only its version stamps.
SHOW_TITLE = (
    "<style>.swagger-ui .info .main .title { visibility: visible; }"
    " .swagger-ui .info .main .title span { position: static; }</style>"
)
