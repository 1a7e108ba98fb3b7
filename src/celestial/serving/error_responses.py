"""The HTTP error contract: which client mistakes get which status, in one JSON shape.

Every error response, whoever produced it (our endpoints, BentoML's input validation, routing,
the body limit), has the body

    {"status": 413, "error": "Request Entity Too Large", "message": "what is wrong, how to fix it"}

plus "detail" (pydantic's list of field errors) for malformed requests. BentoML 1.4 writes its
own errors in three shapes (a list for raised exceptions, a dict with "detail" for validation, plain
text for routing); ErrorEnvelope rewrites them all, so clients parse one.
"""

import json
from http import HTTPStatus
from typing import Any

import anyio
from bentoml.exceptions import BentoMLException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from celestial.imaging import ImageError, ImageTooLarge, UnsupportedImage

_STATUS_OF = {
    ImageTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    UnsupportedImage: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
}


def client_error(message: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> BentoMLException:
    """An exception that BentoML answers with `status` and that ErrorEnvelope words as `message`."""
    return BentoMLException(message, error_code=status)


def image_error(error: ImageError, subject: str) -> BentoMLException:
    """400, 413 or 415 for an image that cannot be used, naming which one (`subject`)."""
    status = _STATUS_OF.get(type(error), HTTPStatus.BAD_REQUEST)
    return client_error(f"{subject}: {error}", status)


def error_body(status: int, message: str, **extra: Any) -> bytes:
    body = {"status": status, "error": HTTPStatus(status).phrase, "message": message, **extra}
    return json.dumps(body).encode()


async def send_error(send: Send, status: int, message: str, *headers: tuple[bytes, bytes]) -> None:
    """Answer with the one error shape from ASGI middleware, before or instead of the app."""
    body = error_body(status, message)
    start_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})


class ResponseRewriter:
    """ASGI middleware base: replace the JSON body of the responses `wants` picks."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    path: str | None = None  # rewrite only this path's responses; None: every path
    content_type = b"application/json"  # of the rewritten body

    def wants(self, scope: Scope, status: int) -> bool:
        raise NotImplementedError

    def rewrite(self, status: int, body: bytes) -> bytes:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.path not in (None, scope["path"]):
            await self.app(scope, receive, send)  # passes through untouched
            return
        start: Message | None = None
        body = b""

        async def rewriting(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start" and self.wants(scope, message["status"]):
                start = message  # hold it until the whole body is known
                return
            if start is None:
                await send(message)
                return
            body += message.get("body", b"")
            if message.get("more_body"):
                return
            new_body = self.rewrite(start["status"], body)
            headers = [
                (name, value)
                for name, value in start.get("headers", [])
                if name.lower() not in (b"content-length", b"content-type")
            ]
            headers += [
                (b"content-type", self.content_type),
                (b"content-length", str(len(new_body)).encode()),
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": new_body})

        await self.app(scope, receive, rewriting)


class ErrorEnvelope(ResponseRewriter):
    """ASGI middleware: rewrite every 4xx/5xx body into the one error shape."""

    def wants(self, scope: Scope, status: int) -> bool:
        return status >= 400

    def rewrite(self, status: int, body: bytes) -> bytes:
        return _envelope(status, body)


def _envelope(status: int, body: bytes) -> bytes:
    """The one error shape, keeping the message and detail of whatever shape came in."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = body.decode(errors="replace").strip()
    if isinstance(parsed, dict) and {"status", "error", "message"} <= parsed.keys():
        return body
    if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
        parsed = parsed[0]  # BentoML wraps a raised exception's error in a list
    if isinstance(parsed, dict) and isinstance(parsed.get("detail"), list):
        detail = [
            {
                "field": ".".join(str(part) for part in item.get("loc", ())),
                "problem": item.get("msg"),
            }
            for item in parsed["detail"]
        ]
        message = "; ".join(f"{item['field'] or 'request'}: {item['problem']}" for item in detail)
        return error_body(status, f"invalid request: {message}", detail=detail)
    if isinstance(parsed, dict):
        parsed = parsed.get("error") or parsed.get("detail") or ""
    return error_body(status, str(parsed) or HTTPStatus(status).description)


class _RequestBody:
    """The request body as the app reads it through `receive`: how much came, whether it ended."""

    def __init__(self, receive: Receive, headers: dict[bytes, bytes], *, limit: int) -> None:
        self._receive = receive
        self._limit = limit
        length = headers.get(b"content-length", b"")
        self.declared = int(length) if length.isdigit() else None
        self.received = 0
        self.exceeded = False  # over the limit while the app read it
        self.ended = self.declared in (None, 0) and b"transfer-encoding" not in headers
        # Such a client sends its body only once the app asks for it (uvicorn then answers
        # `100 Continue`): until then, nothing is on the way.
        self._waits_for_continue = headers.get(b"expect", b"").lower() == b"100-continue"

    async def receive(self) -> Message:
        """The app's `receive`: a body growing over the limit ends as if the client had left."""
        self._waits_for_continue = False
        message = await self._next()
        if self.received > self._limit:
            self.exceeded = True
            return {"type": "http.disconnect"}  # the app stops reading
        return message

    def unread(self, *, up_to: int) -> bool:
        """Whether body bytes are still on the way, no more than `up_to` of them in all."""
        if self.ended or self._waits_for_continue:
            return False
        return (self.declared or 0) <= up_to

    async def discard(self, *, up_to: int, seconds: float) -> None:
        """Read and drop the rest of the body, up to `up_to` bytes in all and for `seconds`."""
        with anyio.move_on_after(seconds):
            while not self.ended and self.received <= up_to:
                await self._next()

    async def _next(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.ended = not message.get("more_body", False)
        else:
            self.ended = True  # the client went away
        return message


class BodyLimit:
    """ASGI middleware: 413 for request bodies over max_bytes, without reading them into memory.

    A declared Content-Length over the limit is refused before the app sees the request; a body
    without one (chunked) is counted as it streams and cut off at the limit.

    An answer given before the body was read to its end (this 413, or an app's early error) is
    completed only once the rest of the body is read and dropped, at most drain_bytes in all and
    for drain_seconds: closing a socket with unread data makes the kernel reset the connection,
    and a client that sends its whole body before it reads (urllib, requests) would see the reset
    instead of the answer. A longer body still gets the reset: the server never reads unbounded
    data.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        drain_bytes: int = 64 * 1024 * 1024,
        drain_seconds: float = 10.0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.drain_bytes = drain_bytes
        self.drain_seconds = drain_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _RequestBody(receive, dict(scope["headers"]), limit=self.max_bytes)

        async def answer(message: Message) -> None:
            """`send`, holding the answer's end until the unread body is drained."""
            last = message["type"] == "http.response.body" and not message.get("more_body")
            if not last or not body.unread(up_to=self.drain_bytes):
                await send(message)
                return
            await send({**message, "more_body": True})  # the client has the whole answer
            await body.discard(up_to=self.drain_bytes, seconds=self.drain_seconds)
            await send({"type": "http.response.body", "body": b""})  # now the server may close

        if body.declared is not None and body.declared > self.max_bytes:
            await self._refuse(answer)
            return

        async def refuse_if_exceeded(message: Message) -> None:
            if not body.exceeded:
                await answer(message)
            elif message["type"] == "http.response.start":  # the app's answer to a cut body
                await self._refuse(answer)

        await self.app(scope, body.receive, refuse_if_exceeded)

    async def _refuse(self, send: Send) -> None:
        message = f"the request body is over the limit of {self.max_bytes:,} bytes"
        await send_error(send, 413, message, (b"connection", b"close"))
