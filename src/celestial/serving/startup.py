"""What every server of the project sets up the same way: safe uploads, middleware, a frozen heap.

The service and the benchmarks' reference servers share it, so they differ only in their
endpoints; importing it loads no model.
"""

import gc
from typing import Any

from celestial.serving import uploads
from celestial.serving.error_responses import BodyLimit, ErrorEnvelope
from celestial.serving.openapi import IndexPage, OpenApiDocument
from celestial.serving.security import ApiKeyAuth
from celestial.serving.settings import ServingSettings


def install_middleware(service: type, settings: ServingSettings, *, info: dict[str, Any]) -> None:
    """Route uploads through the safe parser and add the middleware stack, outermost first.

    The key is checked before a byte of the body is read, then an oversized body is refused;
    ErrorEnvelope, inside them, rewrites BentoML's and the endpoints' errors into one shape.
    `info` is the OpenAPI document's title, version and text (`openapi.info`).
    """
    uploads.install()
    if settings.api_key is not None:
        service.add_asgi_middleware(ApiKeyAuth, key=settings.api_key.get_secret_value())
    service.add_asgi_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    service.add_asgi_middleware(ErrorEnvelope)
    service.add_asgi_middleware(OpenApiDocument, api_key=settings.api_key is not None, info=info)
    service.add_asgi_middleware(IndexPage)


def freeze_heap() -> None:
    """Exempt everything built at start-up from garbage collection.

    The libraries a worker loads leave a great many long-lived objects; every full collection
    walked them all, pausing the worker and every request in flight (docs/performance.md).
    Frozen, they are never scanned again.
    """
    gc.collect()
    gc.freeze()
