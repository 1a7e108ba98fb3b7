from pathlib import Path

import pytest

from celestial.imaging import ImageTooLarge, InvalidImage, UnsupportedImage, open_image
from images import disc, encode, png_header_only


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF"])
def test_supported_formats_decode(fmt: str) -> None:
    image = open_image(encode(disc(), fmt))
    assert image.size == (32, 32)
    assert image.format == fmt


def test_reads_files(tmp_path: Path) -> None:
    path = tmp_path / "body.png"
    path.write_bytes(encode(disc(), "PNG"))
    assert open_image(path).size == (32, 32)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", InvalidImage, "empty"),
        (b"hello, I am not an image", InvalidImage, "not an image"),
        (encode(disc(), "JPEG")[:300], InvalidImage, "corrupt or truncated"),
        (encode(disc(), "PNG")[:-40], InvalidImage, "corrupt or truncated"),
        (encode(disc(), "PPM"), UnsupportedImage, "PPM images are not supported; send one of"),
        (png_header_only(7_000, 7_000), ImageTooLarge, "7000x7000 = 49,000,000 pixels; the limit"),
        (png_header_only(30_000, 30_000), ImageTooLarge, "900,000,000 pixels; the limit is"),
    ],
)
def test_unusable_images_say_why(data: bytes, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        open_image(data)


def test_corrupt_jpeg_body() -> None:
    data = bytearray(encode(disc(64), "JPEG"))
    data[200:400] = b"\xff" * 200
    with pytest.raises(InvalidImage):
        open_image(bytes(data))


def test_pixel_limit_is_configurable() -> None:
    with pytest.raises(ImageTooLarge, match="the limit is 1,000 pixels"):
        open_image(encode(disc(32), "PNG"), max_pixels=1_000)
    assert open_image(encode(disc(32), "PNG"), max_pixels=1_024).size == (32, 32)
