"""Who may call the service: an optional API key, and cross-origin access (CORS).

Both are off by default and switched on by environment variables (celestial.serving.settings):
CELESTIAL_API_KEY makes every endpoint but health, metrics and docs demand the key, as
`Authorization: Bearer <key>` or `X-API-Key: <key>`; CELESTIAL_CORS_ORIGINS lists the web
origins whose pages may call the API from a browser.
"""

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from celestial.serving.error_responses import send_error

# Open without a key: orchestrators probe health, Prometheus scrapes, people read the docs.
OPEN_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/metrics", "/", "/docs.json"})
OPEN_PREFIXES = ("/static_content/",)


class ApiKeyAuth:
    """ASGI middleware: 401 for requests without the configured key (compared in constant time)."""

    def __init__(self, app: ASGIApp, *, key: str) -> None:
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_open(scope) or self._presented(scope):
            await self.app(scope, receive, send)
            return
        await send_error(
            send,
            401,
            "a valid API key is required: send `Authorization: Bearer <key>`",
            (b"www-authenticate", b'Bearer realm="celestial"'),
        )

    def _presented(self, scope: Scope) -> bool:
        headers = dict(scope["headers"])
        bearer = headers.get(b"authorization", b"")
        offered = bearer[7:] if bearer[:7].lower() == b"bearer " else headers.get(b"x-api-key", b"")
        return hmac.compare_digest(offered, self.key)


def _is_open(scope: Scope) -> bool:
    path = scope["path"]
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or _is_preflight(scope)


def _is_preflight(scope: Scope) -> bool:
    """A browser's CORS preflight, which never carries credentials; the CORS layer answers it."""
    if scope["method"] != "OPTIONS":
        return False
    return b"access-control-request-method" in dict(scope["headers"])


def cors_config(origins: list[str]) -> dict:
    """BentoML's `http.cors` options: off without origins; else GET and POST from those origins."""
    if not origins:
        return {"enabled": False}
    return {
        "enabled": True,
        "access_control_allow_origins": origins,
        "access_control_allow_methods": ["GET", "POST"],
        "access_control_allow_headers": ["Authorization", "X-API-Key", "Content-Type"],
        "access_control_max_age": 600,
    }
