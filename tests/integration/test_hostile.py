"""What the network may send, against a real server: every case gets its status and a message
that says what is wrong, and afterwards the server is healthy and still right."""

import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from images import encode, png_header_only


@dataclass(frozen=True)
class Case:
    name: str
    request: Callable[[Image.Image], dict]  # the upright Saturn render -> httpx.request kwargs
    status: int
    # Expected in the error message; when accepted, the expected label (empty: a picture no
    # label fits, which must still get a well-formed answer).
    message: str = ""
    path: str = "/predict"
    method: str = "POST"


def sixteen_bit(saturn: Image.Image) -> Image.Image:
    """The grey picture at full 16-bit scale (0..65535), as scientific cameras write it."""
    grey = np.asarray(saturn.convert("L"), dtype=np.uint16)
    return Image.fromarray(grey * 257)


def upload(data: bytes, name: str = "saturn.jpg", content_type: str = "image/jpeg") -> dict:
    return {"files": {"image": (name, data, content_type)}}


def exif_rotated(saturn: Image.Image) -> bytes:
    """Pixels stored turned a quarter, with the EXIF tag that turns them upright again."""
    exif = Image.Exif()
    exif[0x0112] = 6  # display: rotate 90 degrees clockwise
    return encode(saturn.transpose(Image.Transpose.ROTATE_90), "JPEG", exif=exif)


def animated_gif(saturn: Image.Image) -> bytes:
    mars = Image.new("RGB", saturn.size, (200, 60, 30))
    buffer = io.BytesIO()
    saturn.save(buffer, format="GIF", save_all=True, append_images=[mars], duration=100, loop=0)
    return buffer.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real JPEG whose frame header claims other dimensions."""
    data = bytearray(encode(Image.new("RGB", (8, 8)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def corrupt_png(saturn: Image.Image) -> bytes:
    """The compressed pixel stream broken at its start."""
    data = bytearray(encode(saturn, "PNG"))
    start = data.index(b"IDAT") + 4
    data[start : start + 8] = b"\xff" * 8
    return bytes(data)


def corrupt_jpeg(saturn: Image.Image) -> bytes:
    data = bytearray(encode(saturn, "JPEG"))
    data[400:800] = b"\xff\xd9" * 200  # end-of-image markers inside the scan
    return bytes(data)


def batch(*parts: bytes) -> dict:
    return {"files": [("images", (f"{i}.jpg", part, "image/jpeg")) for i, part in enumerate(parts)]}


def fields(count: int) -> Callable[[Image.Image], dict]:
    def request(saturn: Image.Image) -> dict:
        return {
            "files": [("image", ("s.jpg", encode(saturn, "JPEG"), "image/jpeg"))],
            "data": {f"field{i}": "x" for i in range(count)},
        }

    return request


JPEG = lambda s: encode(s, "JPEG")  # noqa: E731

CASES = [
    # Accepted: every common way to encode the same picture gives the same answer.
    Case("jpeg", lambda s: upload(JPEG(s)), 200, "Saturn"),
    Case("png", lambda s: upload(encode(s, "PNG"), "s.png", "image/png"), 200, "Saturn"),
    Case("webp", lambda s: upload(encode(s, "WEBP"), "s.webp", "image/webp"), 200, "Saturn"),
    Case("bmp", lambda s: upload(encode(s, "BMP"), "s.bmp", "image/bmp"), 200, "Saturn"),
    Case("tiff", lambda s: upload(encode(s, "TIFF"), "s.tif", "image/tiff"), 200, "Saturn"),
    Case("cmyk jpeg", lambda s: upload(encode(s.convert("CMYK"), "JPEG")), 200, "Saturn"),
    Case("palette png", lambda s: upload(encode(s.quantize(256), "PNG")), 200, "Saturn"),
    Case("rgba png", lambda s: upload(encode(s.convert("RGBA"), "PNG")), 200, "Saturn"),
    Case("exif-rotated jpeg", lambda s: upload(exif_rotated(s)), 200, "Saturn"),
    Case("animated gif: first frame", lambda s: upload(animated_gif(s), "s.gif"), 200, "Saturn"),
    Case("lying part type", lambda s: upload(JPEG(s), "s.png", "image/png"), 200, "Saturn"),
    Case("no part type", lambda s: upload(JPEG(s), "s", "application/octet-stream"), 200, "Saturn"),
    Case("grayscale jpeg", lambda s: upload(encode(s.convert("L"), "JPEG")), 200),
    Case("16-bit png", lambda s: upload(encode(sixteen_bit(s), "PNG"), "s.png"), 200),
    Case("1x1 image", lambda s: upload(encode(Image.new("RGB", (1, 1)), "PNG")), 200),
    Case("1x4000 image", lambda s: upload(encode(Image.new("RGB", (1, 4000)), "PNG")), 200),
    Case("600-char file name", lambda s: upload(JPEG(s), "s" * 600 + ".jpg"), 200, "Saturn"),
    Case("path in file name", lambda s: upload(JPEG(s), "../../../etc/passwd"), 200, "Saturn"),
    # Refused, each with what is wrong.
    Case("empty body", lambda s: {}, 400, "image: Field required"),
    Case(
        "empty multipart",
        lambda s: {"content": b"", "headers": {"content-type": "multipart/form-data; boundary=x"}},
        400,
        "invalid request: image: Field required",
    ),
    Case(
        "wrong field",
        lambda s: {"files": {"picture": ("s.jpg", JPEG(s))}},
        400,
        "unexpected form field(s): picture; this endpoint takes: image",
    ),
    Case(
        "jpeg sent as json",
        lambda s: {"content": JPEG(s), "headers": {"content-type": "application/json"}},
        400,
        "Invalid JSON",
    ),
    Case(
        "raw jpeg body",
        lambda s: {"content": JPEG(s), "headers": {"content-type": "image/jpeg"}},
        400,
        "invalid request",
    ),
    Case(
        "text body",
        lambda s: {"content": b"hello", "headers": {"content-type": "text/plain"}},
        400,
        "invalid request",
    ),
    Case("text as image", lambda s: upload(b"just some words"), 400, "image: the data is not"),
    Case("zero-byte file", lambda s: upload(b""), 400, "image: the file is empty"),
    Case("truncated jpeg", lambda s: upload(JPEG(s)[:600]), 400, "corrupt or truncated"),
    Case("truncated png", lambda s: upload(encode(s, "PNG")[:300]), 400, "corrupt or truncated"),
    Case(
        "corrupt jpeg",
        lambda s: upload(corrupt_jpeg(s)),
        400,
        "image: the image is corrupt or truncated",
    ),
    Case("corrupt png", lambda s: upload(corrupt_png(s)), 400, "corrupt or truncated"),
    Case(
        "svg",
        lambda s: upload(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "s.svg"),
        400,
        "not an image",
    ),
    Case("ppm", lambda s: upload(encode(s, "PPM"), "s.ppm"), 415, "PPM images are not supported"),
    Case("ico", lambda s: upload(encode(s, "ICO"), "s.ico"), 415, "ICO images are not supported"),
    Case(
        "png bomb 30000x30000",
        lambda s: upload(png_header_only(30_000, 30_000)),
        413,
        "900,000,000 pixels; the limit is 40,000,000",
    ),
    Case(
        "png 8000x8000",
        lambda s: upload(png_header_only(8_000, 8_000)),
        413,
        "8000x8000 = 64,000,000 pixels",
    ),
    Case(
        "jpeg claiming 65000x65000",
        lambda s: upload(jpeg_claiming(65_000, 65_000)),
        413,
        "pixels; the limit is",
    ),
    Case(
        "url as text field",
        lambda s: {"data": {"image": "http://127.0.0.1:9/mars.jpg"}},
        400,
        "upload the image file itself (URLs are not fetched)",
    ),
    Case(
        "url as json",
        lambda s: {"json": {"image": "https://example.com/mars.jpg"}},
        400,
        "image: expected an image file sent as multipart/form-data",
    ),
    Case("300 extra form fields", fields(300), 400, "unexpected form field(s): field0"),
    Case("2000 form fields", fields(2000), 400, "the form cannot be read"),
    Case(
        "body over 10 MB",
        lambda s: upload(b"\0" * (10 * 2**20 + 1)),
        413,
        "request body is over the limit of 10,485,760 bytes",
    ),
    Case("GET instead of POST", lambda s: {}, 405, "Method Not Allowed", method="GET"),
    Case("unknown path", lambda s: upload(JPEG(s)), 404, "Not Found", path="/predictt"),
    Case(
        "batch with one bad image",
        lambda s: batch(JPEG(s), JPEG(s), b"junk", JPEG(s)),
        400,
        "images[2]: the data is not an image",
        "/predict_batch",
    ),
    Case(
        "batch of 65",
        lambda s: batch(*[encode(Image.new("RGB", (2, 2)), "PNG")] * 65),
        413,
        "65 images in one request; the limit is 64",
        "/predict_batch",
    ),
    Case(
        "empty batch",
        lambda s: {"data": {"note": "x"}},
        400,
        "unexpected form field(s): note",
        "/predict_batch",
    ),
]


@pytest.fixture(scope="module")
def labels(server: str) -> list[str]:
    return httpx.get(f"{server}/metadata").json()["labels"]


@pytest.fixture(scope="module")
def saturn(held_out: dict[str, list[Path]]) -> Image.Image:
    return Image.open(held_out["Saturn"][0]).convert("RGB")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input(server: str, saturn: Image.Image, labels: list[str], case: Case) -> None:
    response = httpx.request(case.method, server + case.path, timeout=30, **case.request(saturn))
    assert response.status_code == case.status, response.text
    body = response.json()
    if case.status == 200:
        assert list(body["probabilities"]) == labels
        assert sum(body["probabilities"].values()) == pytest.approx(1, abs=1e-4)
        assert body["prediction"] == max(body["probabilities"], key=body["probabilities"].get)
        assert body["novelty"] >= 0
        if case.message:
            assert body["prediction"] == case.message, body
        return
    assert body["status"] == case.status
    assert case.message in body["message"], body["message"]


def test_16_bit_png_is_the_picture_its_8_bit_version_is(server: str, saturn: Image.Image) -> None:
    grey = saturn.convert("L")
    answers = [
        httpx.post(f"{server}/predict", **upload(encode(image, "PNG"), "s.png")).json()
        for image in (grey, sixteen_bit(saturn))
    ]
    assert answers[0]["prediction"] == answers[1]["prediction"]
    for label, p in answers[0]["probabilities"].items():
        assert answers[1]["probabilities"][label] == pytest.approx(p, abs=1e-3)


def test_server_is_healthy_and_right_after_the_suite(server: str, held_out) -> None:
    assert httpx.get(f"{server}/readyz").status_code == 200
    for label, paths in held_out.items():
        response = httpx.post(
            f"{server}/predict", files={"image": ("x.jpg", paths[-1].read_bytes())}
        )
        assert response.json()["prediction"] == label
