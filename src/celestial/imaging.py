"""Decoding image files: the one place that turns bytes into a PIL image, for training and serving.

Training reads files from data/raw and the service reads uploads through the same function, so both
accept the same formats, apply the same limits and report the same reasons.
"""

import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from celestial.errors import UserError

# Formats Pillow decodes without extra libraries and that people send as photos or renders.
SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"})
# A huge, flat PNG is small on the wire and takes gigabytes to decode: the limit is on pixels.
DEFAULT_MAX_PIXELS = 40_000_000
URL_SCHEMES = (b"http://", b"https://")
# Space is black: transparency is flattened onto it.
BACKGROUND = (0, 0, 0)


class ImageError(UserError):
    """An image that cannot be used; the message says why."""


class InvalidImage(ImageError):
    """Not an image, or a corrupt or truncated one."""


class UnsupportedImage(ImageError):
    """A real image in a format the project does not accept."""


class ImageTooLarge(ImageError):
    """More pixels than the configured limit (the defence against decompression bombs)."""


def open_image(source: bytes | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode a whole image from bytes or a file, or raise an ImageError that says what is wrong."""
    return decode(identify(source, max_pixels=max_pixels))


def identify(source: bytes | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Read an image's header and check its format and size, decoding no pixels yet (`decode`
    does): a caller can see how large the image is before it pays for decoding it."""
    if isinstance(source, bytes) and not source:
        raise InvalidImage("the file is empty (0 bytes)")
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    with _corrupt_is_invalid(), warnings.catch_warnings():
        # Pillow's own bomb check warns below 2x its limit; ours is explicit (_check_header).
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(stream)
        except UnidentifiedImageError:
            is_url = isinstance(source, bytes) and source[:8].lower().startswith(URL_SCHEMES)
            if is_url:
                raise InvalidImage("this is a URL: send the image file itself") from None
            raise InvalidImage("the data is not an image Pillow can identify") from None
        except Image.DecompressionBombError as error:
            # Pillow's own guard fires inside Image.open, before ours, for the largest headers.
            raise ImageTooLarge(_too_large(_pixels_in(str(error)), max_pixels)) from None
        _check_header(image, max_pixels=max_pixels)
    return image


def decode(image: Image.Image) -> Image.Image:
    """Decode the pixels of an image from `identify`."""
    with _corrupt_is_invalid():
        image.load()
    return image


@contextmanager
def _corrupt_is_invalid() -> Iterator[None]:
    """Pillow's errors for broken data, while opening or decoding -> InvalidImage."""
    try:
        yield
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise InvalidImage(f"the image is corrupt or truncated ({error})") from None


def _check_header(image: Image.Image, *, max_pixels: int) -> None:
    """Reject by format and size before any pixel is decoded."""
    if image.format not in SUPPORTED_FORMATS:
        supported = ", ".join(sorted(SUPPORTED_FORMATS))
        raise UnsupportedImage(f"{image.format} images are not supported; send one of {supported}")
    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidImage(f"the image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise ImageTooLarge(_too_large(width * height, max_pixels, f"{width}x{height} = "))


def _too_large(pixels: int | None, max_pixels: int, dimensions: str = "") -> str:
    size = f"{dimensions}{pixels:,} pixels" if pixels else "more pixels than allowed"
    return f"the image is {size}; the limit is {max_pixels:,} pixels"


def _pixels_in(message: str) -> int | None:
    found = re.search(r"\((\d+) pixels\)", message)
    return int(found.group(1)) if found else None


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB; transparency becomes background, 16-bit data is rescaled."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = _to_8bit(image)
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", image.size, BACKGROUND)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _to_8bit(image: Image.Image) -> Image.Image:
    """Scale 16-bit (0..65535) or float (0..1) single-channel data to 0..255."""
    values = np.asarray(image, dtype=np.float64)
    top = 1.0 if image.mode == "F" else 65535.0
    return Image.fromarray(np.clip(values / top * 255.0, 0, 255).round().astype(np.uint8), "L")
