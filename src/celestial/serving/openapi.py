"""The OpenAPI document (/docs.json, read by the Swagger UI and clients), true about errors.

BentoML documents every endpoint's errors as its own exception shapes (400, 404, 500 only), while
ErrorEnvelope answers every error as ErrorResponse, and the endpoints also answer 413 and 415 (and
401 with an API key). `document_errors` rewrites the generated document accordingly; the
OpenApiErrors middleware applies it to /docs.json as BentoML serves it.
"""

import json
from http import HTTPStatus
from typing import Any

from starlette.types import ASGIApp, Scope

from celestial.serving.error_responses import ResponseRewriter
from celestial.serving.schemas import ErrorResponse

DOCUMENT = "/docs.json"
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
BENTOML_ERRORS = ("InvalidArgument", "NotFound", "InternalServerError")
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


class OpenApiErrors(ResponseRewriter):
    """ASGI middleware: apply document_errors to the OpenAPI document BentoML serves."""

    def __init__(self, app: ASGIApp, *, api_key: bool) -> None:
        super().__init__(app)
        self.api_key = api_key

    path = DOCUMENT

    def wants(self, scope: Scope, status: int) -> bool:
        return status == 200

    def rewrite(self, status: int, body: bytes) -> bytes:
        return json.dumps(document_errors(json.loads(body), api_key=self.api_key)).encode()
