"""Everyday input shifts at a moderate severity: what a photo or an upload does to a clean image.

`shift(image, kind, rng)` returns a changed copy of a PIL image. Each kind draws its strength
uniformly from a band (`SEVERITY`) per image, so a benchmark is not one fixed setting to tune to,
and works at any resolution: geometric and blur amounts are fractions of the image's size, the
reference being a 128 x 128 image. Pure functions of (image, kind, rng): numpy and Pillow only.

Moderate means a person still names the body at a glance: the body stays whole enough and large
enough to show its colour and its pattern (bands, continents, maria, rings, the heart of Pluto).
The reasons, kind by kind, are in `RATIONALE`.
"""

import io
import math

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

REFERENCE_SIZE = 128  # blur radii and low resolutions are given for an image this large

# kind -> (low, high): the band each image's strength is drawn from.
SEVERITY: dict[str, tuple[float, float]] = {
    "darker": (0.45, 0.6),  # exposure factor (pixel values multiplied)
    "brighter": (1.4, 1.6),  # exposure factor, values clipped at white
    "low_contrast": (0.45, 0.6),  # contrast factor (PIL ImageEnhance.Contrast)
    "smaller": (0.55, 0.65),  # the body's size in the frame, relative to now
    "larger": (1.3, 1.5),  # zoom: the central 1/zoom of the frame fills it (edges cropped)
    "off_centre": (0.2, 0.25),  # translation, as a fraction of the frame's side, any direction
    "rotated": (0.0, 360.0),  # degrees
    "blurred": (1.5, 2.0),  # Gaussian blur radius in pixels at 128 px
    "noisy": (0.05, 0.08),  # Gaussian noise sigma, as a fraction of full scale, per channel
    "jpeg": (10, 15),  # JPEG quality
    "low_resolution": (24, 32),  # side in pixels the 128 px image is reduced to, then enlarged
}
KINDS: tuple[str, ...] = tuple(SEVERITY)

RATIONALE: dict[str, str] = {
    "darker": "half the light: every detail and hue stays, only dimmer",
    "brighter": "an overexposed photo: only the brightest parts clip to white, colour and "
    "pattern remain elsewhere",
    "low_contrast": "a washed-out, hazy image: the pattern is half as strong over a grey "
    "background, still plainly visible",
    "smaller": "the body further away: ~70 px across at 128 px, every feature still visible",
    "larger": "a close-up: up to a third of the rim is cut off, the centre of the disc shows "
    "its surface",
    "off_centre": "a badly aimed shot: the body is near an edge, three quarters or more of it "
    "still in the frame",
    "rotated": "bodies have no up: a turned planet is the same planet",
    "blurred": "out of focus by ~1.5 % of the frame: fine craters soften, bands, continents, "
    "maria, rings and colour remain",
    "noisy": "a grainy sensor: noise of 5-8 % of full scale over a body that spans 60-90 %",
    "jpeg": "a heavily compressed upload: blocks and colour bleeding, shape and colour remain",
    "low_resolution": "a thumbnail of 24-32 px enlarged again: as sharp as the model's own "
    "32 px input",
}

BLACK = (0, 0, 0)


def shift(
    image: Image.Image,
    kind: str,
    rng: np.random.Generator,
    severity: dict[str, tuple[float, float]] | None = None,
) -> Image.Image:
    """A copy of `image` (any mode; RGB out) changed by `kind`, its strength drawn from `rng`
    within the kind's band (`severity` overrides `SEVERITY` per kind)."""
    if kind not in SEVERITY:
        raise ValueError(f"unknown shift {kind!r}; expected one of {', '.join(KINDS)}")
    low, high = (severity or {}).get(kind, SEVERITY[kind])
    return change(image, kind, float(rng.uniform(low, high)), rng)


def change(image: Image.Image, kind: str, strength: float, rng: np.random.Generator) -> Image.Image:
    """A copy of `image` (any mode; RGB out) changed by `kind` at this strength (the units of
    `SEVERITY`); `rng` draws what the strength leaves open (the direction of an off-centre move,
    the noise)."""
    image = image.convert("RGB")
    width, height = image.size
    size = min(width, height)

    if kind == "darker" or kind == "brighter":
        pixels = np.asarray(image, dtype=np.float32) * strength
        return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))
    if kind == "low_contrast":
        return ImageEnhance.Contrast(image).enhance(strength)
    if kind == "smaller":
        small = image.resize(
            (max(1, round(width * strength)), max(1, round(height * strength))),
            Image.Resampling.BILINEAR,
        )
        canvas = Image.new("RGB", image.size, BLACK)
        canvas.paste(small, ((width - small.width) // 2, (height - small.height) // 2))
        return canvas
    if kind == "larger":
        w, h = width / strength, height / strength
        box = ((width - w) / 2, (height - h) / 2, (width + w) / 2, (height + h) / 2)
        return image.resize(image.size, Image.Resampling.BILINEAR, box=box)
    if kind == "off_centre":
        angle = rng.uniform(0, 2 * math.pi)
        dx, dy = strength * width * math.cos(angle), strength * height * math.sin(angle)
        return image.transform(
            image.size,
            Image.Transform.AFFINE,
            (1, 0, -dx, 0, 1, -dy),
            resample=Image.Resampling.BILINEAR,
            fillcolor=BLACK,
        )
    if kind == "rotated":
        return image.rotate(strength, resample=Image.Resampling.BILINEAR, fillcolor=BLACK)
    if kind == "blurred":
        return image.filter(ImageFilter.GaussianBlur(strength * size / REFERENCE_SIZE))
    if kind == "noisy":
        pixels = np.asarray(image, dtype=np.float32)
        pixels = pixels + rng.normal(0.0, strength * 255.0, size=pixels.shape)
        return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))
    if kind == "jpeg":
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=round(strength))
        return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    if kind == "low_resolution":
        factor = strength / REFERENCE_SIZE
        small = image.resize(
            (max(1, round(width * factor)), max(1, round(height * factor))),
            Image.Resampling.BILINEAR,
        )
        return small.resize(image.size, Image.Resampling.BILINEAR)
    raise AssertionError(kind)  # every kind in SEVERITY is handled above


def shifted_set(
    images: list[Image.Image], kind: str, seed: int, severity: dict | None = None
) -> list[Image.Image]:
    """Every image changed by `kind`; image i's draw depends only on (seed, kind, i)."""
    index = KINDS.index(kind)
    return [
        shift(image, kind, np.random.default_rng([seed, index, i]), severity)
        for i, image in enumerate(images)
    ]
