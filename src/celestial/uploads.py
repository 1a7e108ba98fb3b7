"""Multipart uploads from untrusted clients, made safe in BentoML 1.4.39.

BentoML parses multipart bodies in `_bentoml_impl.serde.MultipartSerde`, which, for file fields:
- downloads the URL when a client sends text instead of a file (a server-side request forgery
  risk: this service never fetches URLs);
- names its temporary file after the client's file name, so a name over the filesystem's limit
  (255 bytes) fails the write with a 500;
- lets Starlette's form-parsing errors (over 1,000 fields or files, a broken body) become 500s;
- answers a file in a field the endpoint does not take with a 500 (it tries to read it as JSON).
`UploadSerde` refuses the first, answers the last two with 400 naming the problem, and drops
client file names before the file is written. tests/test_service.py holds each case, so an
upgrade that changes BentoML's parser fails loudly instead of silently reopening them.
"""

from typing import Any

from _bentoml_impl import serde
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from celestial.http_errors import client_error


class UploadSerde(serde.MultipartSerde):
    @staticmethod
    async def ensure_file(obj: str | UploadFile) -> UploadFile:
        if not isinstance(obj, UploadFile):
            raise client_error(
                "a file field holds text: upload the image file itself (URLs are not fetched)"
            )
        obj.filename = None  # BentoML's temporary file gets a name of its own
        return obj

    async def parse_request(self, request: Request, cls: type) -> Any:
        try:
            form = await request.form()  # Starlette keeps it: BentoML's parse reuses it
        except (HTTPException, MultiPartException) as error:
            message = getattr(error, "detail", None) or getattr(error, "message", str(error))
            raise client_error(f"the form cannot be read: {message}") from None
        if unknown := sorted(set(form) - set(cls.model_fields)):
            raise client_error(
                f"unexpected form field(s): {', '.join(unknown)}; "
                f"this endpoint takes: {', '.join(cls.model_fields)}"
            )
        return await super().parse_request(request, cls)


def install() -> None:
    """Route multipart requests through UploadSerde (idempotent)."""
    serde.ALL_SERDE["multipart/form-data"] = UploadSerde
    serde.ALL_SERDE["application/x-www-form-urlencoded"] = UploadSerde
