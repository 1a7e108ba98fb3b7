"""Finding the body in a picture: where it is, how large, and the picture's sky and body levels.

`celestial.preprocessing.Preprocessor` frames the body from what `locate` finds and normalises
the exposure with its levels, so that where the body sits, how large it is and how bright or
contrasted the picture is stop mattering before the model sees it. The renders and the photos
this project serves are one bright body on a dark sky; everything here assumes that scene.
"""

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image

from celestial.imaging import to_rgb

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_LEVELS = np.arange(256, dtype=np.float64)
_CORNER_INDEX = [0, 1, -2, -1]  # rows (columns) of the 2x2 corners
# A level the body must stand above the sky by, in grey levels: a flat picture is not stretched.
MIN_SPREAD = 8


@dataclass(frozen=True)
class Body:
    """What `Locator` found: the body's extent [left, right) x [top, bottom) in the working copy,
    the sky level and the body's bright level (both luminance, 0..255), and the picture's tone
    before any normalising: its mean and standard deviation of luminance, 0..1."""

    left: int
    right: int
    top: int
    bottom: int
    sky: int
    bright: int
    brightness: float
    contrast: float


@dataclass(frozen=True)
class Locator:
    """Finds the body on the luminance L of the working copy.

    `low` and `high` are L's 1st and 99th percentiles (the sky is the darkest 2x2 corner if that
    is darker: a close-up leaves little sky). Body pixels are L above both
    `low + threshold * (high - low)` and `noise_sigmas` standard deviations above the mean of the
    pixels below that level: the second keeps sensor grain out. The extent is the rows (columns)
    holding at least `min_count` of the fullest row's (column's) body pixels, grown outwards
    through adjacent rows holding any: an edge-on ring is kept, a star apart from the body is not.
    Under `min_sky` of the pixels at or below the first level means the body fills the frame: the
    whole picture is the extent and black is the sky. The bright level is the body's
    `level_quantile` luminance.
    """

    threshold: float = 0.1
    noise_sigmas: float = 4.0
    min_count: float = 0.1
    level_quantile: float = 0.9
    min_sky: float = 0.01

    def __call__(self, work: Image.Image) -> Body:
        # Lists and Python numbers where numpy's cost per call exceeds the work (256 histogram
        # bins, a count per row): this runs once per served image.
        width, height = work.size
        luminance = work.convert("L")
        lum = np.asarray(luminance)
        histogram = np.array(luminance.histogram(), dtype=np.float64)
        cdf = np.cumsum(histogram)
        mean = histogram @ _LEVELS / cdf[-1]
        spread = np.sqrt(max(histogram @ _LEVELS**2 / cdf[-1] - mean**2, 0.0))
        tone = {"brightness": float(mean) / 255, "contrast": float(spread) / 255}
        cumulative = cdf.tolist()
        total = cumulative[-1]
        low, high = bisect_left(cumulative, 0.01 * total), bisect_left(cumulative, 0.99 * total)
        low = min(low, _darkest_corner(lum))
        threshold = low + self.threshold * max(high - low, MIN_SPREAD)
        cut = int(np.floor(threshold)) + 1  # pixels at or below the level: mostly sky
        if cumulative[cut - 1] < self.min_sky * total:
            # No sky: what was measured as sky is the body's darkest part; subtracting it would
            # stretch the contrast, and the noise guard would keep only the brightest patches.
            bright = bisect_left(cumulative, self.level_quantile * total)
            return Body(0, width, 0, height, sky=0, bright=max(bright, MIN_SPREAD), **tone)
        if cumulative[cut - 1] > 16:
            count, values = cumulative[cut - 1], _LEVELS[:cut]
            sky_mean = histogram[:cut] @ values / count
            sky_std = np.sqrt(max(histogram[:cut] @ values**2 / count - sky_mean**2, 0.0))
            threshold = max(threshold, sky_mean + self.noise_sigmas * sky_std)
        mask = lum > threshold
        rows, columns = mask.sum(axis=1).tolist(), mask.sum(axis=0).tolist()
        if max(rows) == 0:  # nothing stands out: the whole picture
            bright = low + max(high - low, MIN_SPREAD)
            return Body(0, width, 0, height, sky=low, bright=bright, **tone)
        top, bottom = _grown_extent(rows, self.min_count)
        left, right = _grown_extent(columns, self.min_count)
        first = int(np.floor(threshold)) + 1  # the body's part of the histogram starts here
        below = cumulative[first - 1]
        goal = self.level_quantile * (total - below)
        bright = bisect_left(range(first, 256), goal, key=lambda level: cumulative[level] - below)
        bright = max(first + bright, low + MIN_SPREAD)
        return Body(left, right, top, bottom, sky=low, bright=bright, **tone)


def working_copy(image: Image.Image, target: int) -> Image.Image:
    """Upright RGB copy, box-reduced by the largest integer factor that keeps the shorter side at
    least `target`: RGB and L images are reduced before they are converted or turned, so a large
    upload is never copied at full size."""
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    if image.mode not in ("RGB", "L"):
        image = to_rgb(image)
    factor = max(1, min(image.size) // target)
    work = image.reduce(factor) if factor > 1 else image
    if work.mode != "RGB":
        work = work.convert("RGB")
    if (method := _TRANSPOSE.get(orientation)) is not None:
        work = work.transpose(method)
    return work


def square_around(body: Body, work: Image.Image, *, margin: float, size: int) -> Image.Image:
    """A square of (1 + 2 margin) times the body's larger side, centred on it, resized to `size`.
    Where the body touches an edge of the picture (cut off by the frame), the square is placed
    from its uncut side, so a cut-off round body lands where a whole one would. Outside the
    picture is black."""
    width, height = work.size
    side = max(body.right - body.left, body.bottom - body.top) * (1 + 2 * margin)
    left = _place(body.left, body.right, side, width, margin)
    top = _place(body.top, body.bottom, side, height, margin)
    if left >= 0 and top >= 0 and left + side <= width and top + side <= height:
        box = (left, top, left + side, top + side)
        return work.resize((size, size), Image.Resampling.BILINEAR, box=box)
    # crop() pads with black but takes whole pixels: crop wider, then resize the exact sub-box.
    x, y = int(np.floor(left)), int(np.floor(top))
    outer = (x, y, int(np.ceil(left + side)), int(np.ceil(top + side)))
    inner = (left - x, top - y, left - x + side, top - y + side)
    return work.crop(outer).resize((size, size), Image.Resampling.BILINEAR, box=inner)


def _darkest_corner(lum: np.ndarray) -> int:
    """The lowest mean luminance of the picture's four 2x2 corners, truncated."""
    if min(lum.shape) < 2:  # a picture a pixel high or wide: its corners are what there is
        return min(int(lum[:2, :2].mean()), int(lum[-2:, -2:].mean()))
    # The four corners' sums at once: numpy's cost per call exceeds the work of each.
    corners = lum[_CORNER_INDEX][:, _CORNER_INDEX].reshape(2, 2, 2, 2).sum(axis=(1, 3))
    return int(corners.min()) // 4


def _grown_extent(counts: list[int], min_count: float) -> tuple[int, int]:
    """From the first to the last + 1 index whose count exceeds `min_count` of the largest count,
    grown outwards through every adjacent index whose count is not zero."""
    limit = min_count * max(counts)
    start = next(index for index, count in enumerate(counts) if count > limit)
    end = len(counts) - next(index for index, count in enumerate(reversed(counts)) if count > limit)
    while start > 0 and counts[start - 1] != 0:
        start -= 1
    while end < len(counts) and counts[end] != 0:
        end += 1
    return start, end


def _place(start: float, end: float, side: float, limit: float, margin: float) -> float:
    """Where the square starts along one axis, for a body extending over [start, end) of
    [0, limit): centred, or from the uncut side for a body cut off at one edge."""
    touches_start, touches_end = start <= 0, end >= limit
    pad = side * margin / (1 + 2 * margin)
    if touches_start and not touches_end:
        return end + pad - side
    if touches_end and not touches_start:
        return start - pad
    return (start + end - side) / 2
