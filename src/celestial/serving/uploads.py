"""Uploaded images, from the multipart body to the model's input.

`Preparer` decodes and preprocesses an uploaded file; `UploadSerde` makes BentoML's multipart
parsing safe for untrusted clients.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import numpy as np
from _bentoml_impl import serde
from PIL import Image
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from celestial.imaging import ImageError, decode, identify
from celestial.monitoring.records import ImageFacts, image_facts
from celestial.preprocessing import Preprocessor, Tone
from celestial.serving.capture import Original
from celestial.serving.error_responses import client_error, image_error
from celestial.serving.schemas import Upload
from celestial.serving.settings import ServingSettings


@contextmanager
def _named(subject: str) -> Iterator[None]:
    """An ImageError -> the 4xx a client gets, naming the upload (e.g. "images[3]: ...")."""
    try:
        yield
    except ImageError as error:
        raise image_error(error, subject) from None


@dataclass(frozen=True, slots=True)
class Prepared:
    """An upload made ready: the model's input, the upload's size and format, and the upload as
    sent (for capture)."""

    array: np.ndarray
    tone: Tone  # measured by the preprocessing on the upload
    width: int
    height: int
    format: str | None
    original: Original | None = None  # None unless the server captures uploads

    def facts(self) -> ImageFacts:
        """What the upload looks like (a prediction record's facts)."""
        return image_facts(self.width, self.height, self.format, self.tone)


class Preparer:
    """An uploaded image file -> the model's input array, or the 4xx that says what is wrong.

    An image up to `inline_max_pixels` is decoded right on the event loop, because handing it to
    a thread and back costs more than decoding it. A larger one, or a whole batch request
    (`many`), is decoded in one of `threads` threads, so that it does not hold up other requests.
    """

    def __init__(
        self,
        preprocess: Preprocessor,
        *,
        max_pixels: int,
        inline_max_pixels: int,
        threads: int,
        originals: bool = False,
    ) -> None:
        self.preprocess = preprocess
        self._originals = originals
        self._max_pixels = max_pixels
        self._inline_max_pixels = inline_max_pixels
        self._threads = threads
        self._limiter: anyio.CapacityLimiter | None = None  # made on the loop, on first use

    @classmethod
    def from_settings(cls, preprocess: Preprocessor, settings: ServingSettings) -> "Preparer":
        """A Preparer with this server's limits."""
        return cls(
            preprocess,
            max_pixels=settings.max_image_pixels,
            inline_max_pixels=settings.inline_max_pixels,
            threads=settings.threads,
            originals=settings.capture_dir is not None,
        )

    async def __call__(self, upload: Upload, subject: str) -> Prepared:
        """Decode and preprocess one upload; `subject` names it in the error (e.g. "image")."""
        with _named(subject):
            image, data = self._identify(upload)
            if image.width * image.height <= self._inline_max_pixels:
                return self._decode(image, data)
            return await anyio.to_thread.run_sync(self._decode, image, data, limiter=self._pool())

    async def many(self, uploads: Sequence[Upload], field: str) -> list[Prepared]:
        """A batch request's uploads, all in one thread: one hand-off for all of them, and they
        decode while the loop serves other requests (Pillow releases the GIL as it decodes)."""
        return await anyio.to_thread.run_sync(self._all, uploads, field, limiter=self._pool())

    def _all(self, uploads: Sequence[Upload], field: str) -> list[Prepared]:
        prepared = []
        for index, upload in enumerate(uploads):
            with _named(f"{field}[{index}]"):
                prepared.append(self._decode(*self._identify(upload)))
        return prepared

    def _identify(self, upload: Upload) -> tuple[Image.Image, bytes]:
        return identify(upload.data, max_pixels=self._max_pixels), upload.data

    def _decode(self, image: Image.Image, data: bytes) -> Prepared:
        original = None
        if self._originals:  # before decoding, which may change the image's mode
            original = Original(data, image.format or "unknown", image.width, image.height)
        format = image.format  # decoding may drop it
        image = decode(image)
        array, tone = self.preprocess.with_tone(image)
        return Prepared(array, tone, image.width, image.height, format, original)

    def _pool(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._threads)
        return self._limiter


class UploadSerde(serde.MultipartSerde):
    """BentoML's multipart parser (`_bentoml_impl.serde.MultipartSerde`), safe for untrusted input.

    For file fields, the pinned BentoML:
    - downloads the URL when a client sends text instead of a file (a server-side request
      forgery risk: this service never fetches URLs);
    - names the temporary file it copies an upload to after the client's file name, so a name
      over the filesystem's limit fails the write with a 500 (this service's uploads are
      `schemas.Upload`, which BentoML does not copy, and which has no use for the name);
    - lets Starlette's form-parsing errors (too many fields or files, a broken body) become 500s;
    - answers a file in a field the endpoint does not take with a 500 (it reads it as JSON).
    This class refuses the first and answers the last two with 400 naming the problem. The service
    tests hold each case, so an upgrade that changes BentoML's parser fails loudly instead of
    silently reopening them.
    """

    @staticmethod
    async def ensure_file(obj: str | UploadFile) -> UploadFile:
        if not isinstance(obj, UploadFile):
            raise client_error(
                "a file field holds text: upload the image file itself (URLs are not fetched)"
            )
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
