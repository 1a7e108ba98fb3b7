"""One image: a body ray-traced per pixel on a black sky, lit by a random light."""

import math
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

from celestial.render.bodies import Look, look_of
from celestial.render.noise import mix, smooth
from celestial.render.palette import SUN_LIMB_TINT, Rgb
from celestial.render.surfaces import Paint

RingProfile = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""radius in planet radii -> (opacity, colour) of the ring there."""


def _ring_profile(
    rings: Sequence[tuple[float, float, float, Rgb]], rng: np.random.Generator
) -> RingProfile:
    """Radius (planet radii) -> (opacity, colour): bands with soft edges and random ringlets."""
    radius = np.linspace(1.0, rings[-1][1] + 0.05, 800)
    opacity = np.zeros_like(radius)
    colour = np.zeros((len(radius), 3))
    for inner, outer, alpha, rgb in rings:
        inside = smooth(inner - 0.008, inner + 0.008, radius) * smooth(
            outer + 0.008, outer - 0.008, radius
        )
        opacity += alpha * inside
        colour += np.asarray(rgb) * inside[:, None]
    ringlets = sum(
        np.sin(radius * f + ph)
        for f, ph in zip(rng.uniform(40, 160, 4), rng.uniform(0, 6.3, 4), strict=True)
    )
    opacity *= np.clip(1.0 + 0.12 * ringlets, 0.0, None)

    def profile(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = np.interp(r, radius, opacity, left=0.0, right=0.0)
        rgb = np.stack([np.interp(r, radius, colour[:, c]) for c in range(3)], axis=-1)
        return np.clip(a, 0.0, 1.0).astype(np.float32), rgb.astype(np.float32)

    return profile


def render_body(body: str, rng: np.random.Generator, size: int = 128) -> Image.Image:
    """Render one random view of `body` as a size x size RGB image on a black sky.

    Everything random (pose, light, radius, position, colour, noise, stars) comes from `rng`, so
    the same generator state always gives the same picture.
    """
    look = look_of(body)
    half = size / 2.0
    extent = rng.uniform(*look.extent)
    radius = extent * half / look.span  # planet radius in pixels
    shift = min(0.06 * size, max(half * (1.0 - extent) - 1.0, 0.0))
    cx, cy = half + rng.uniform(-shift, shift, 2)
    rotation = look.orient(rng)
    theta = math.radians(85.0 * rng.random() ** 1.3)  # light's angle from the line of sight
    phi = rng.uniform(0, 2 * np.pi)
    light = np.array(
        [math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), math.cos(theta)]
    )
    intensity = rng.uniform(0.85, 1.25)
    ambient = rng.uniform(0.02, 0.06)
    # Exposure varies; white balance barely, as within a class of the real photos: a cast as large
    # as the Moon's tint against Mercury's would make the two differ in their maria only.
    gains = np.exp(rng.normal(0.0, 0.005, 3)) * rng.uniform(0.88, 1.12)
    profile = (
        _ring_profile(look.rings, rng) if look.rings and rng.random() < look.ring_chance else None
    )

    # Pixel centres in planet radii, y up.
    axis = np.arange(size, dtype=np.float32) + 0.5
    x = np.broadcast_to((axis[None, :] - cx) / radius, (size, size))
    y = np.broadcast_to((cy - axis[:, None]) / radius, (size, size))
    rho = np.sqrt(x * x + y * y)
    coverage = np.clip((1.0 - rho) * radius + 0.5, 0.0, 1.0)
    disc = coverage > 0
    image = _sky(rng, size)
    if look.halo is not None:
        image += _halo(look, x, y, rho, light)

    # Visible hemisphere: world normals, then body-frame points for the surface.
    squeeze = np.minimum(1.0, 0.9999 / np.maximum(rho[disc], 1e-6))
    nx, ny = x[disc] * squeeze, y[disc] * squeeze
    normal = np.stack([nx, ny, np.sqrt(np.maximum(1.0 - nx * nx - ny * ny, 0.0))], axis=1)
    paint = look.surface((normal @ rotation).astype(np.float32), rng, radius / 2.0)
    albedo = paint.albedo * gains.astype(np.float32)
    colour = _shade(look, albedo, paint, normal, rotation, light, intensity, ambient, profile)

    ring_front = ring_back = None
    if profile is not None:
        ring_front, ring_back = _ring_layers(profile, rotation, x, y, light, intensity, ambient)
        image = _over(image, *ring_back)
    alpha = coverage[disc][:, None]
    image[disc] = image[disc] * (1.0 - alpha) + colour * alpha
    if ring_front is not None:
        image = _over(image, *ring_front)

    image += rng.normal(0.0, rng.uniform(0.004, 0.012), image.shape).astype(np.float32)
    pixels = np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def _sky(rng: np.random.Generator, size: int) -> np.ndarray:
    """A black background with a few faint stars."""
    sky = np.zeros((size, size, 3), np.float32)
    count = rng.integers(0, 7)
    rows, cols = rng.integers(0, size, (2, count))
    sky[rows, cols] = rng.uniform(0.12, 0.5, (count, 1)) * rng.uniform(0.85, 1.0, (count, 3))
    return sky


def _halo(
    look: Look, x: np.ndarray, y: np.ndarray, rho: np.ndarray, light: np.ndarray
) -> np.ndarray:
    """Glow just outside the limb (atmosphere or corona), brighter on the lit side."""
    rgb, width, strength = look.halo
    glow = strength * np.exp(-np.maximum(rho - 1.0, 0.0) / width)
    if not look.emissive:
        facing = (x * light[0] + y * light[1]) / np.maximum(rho, 1e-6)
        glow = glow * np.clip(facing * math.sqrt(1 - light[2] ** 2) + light[2] + 0.2, 0.0, 1.0)
    return glow[..., None] * np.asarray(rgb, np.float32)


def _shade(
    look: Look,
    albedo: np.ndarray,
    paint: Paint,
    normal: np.ndarray,
    rotation: np.ndarray,
    light: np.ndarray,
    intensity: float,
    ambient: float,
    profile: RingProfile | None,
) -> np.ndarray:
    """Colour of the visible points, lit by the light.

    Diffuse light with a soft terminator (and bumps), limb darkening, the rings' shadow and an
    atmospheric rim; emissive bodies are only limb-darkened.
    """
    mu = normal[:, 2]  # cosine of the viewing angle
    if look.emissive:
        limb = 1.0 - mu
        albedo = albedo * mix((1.0, 1.0, 1.0), SUN_LIMB_TINT, smooth(0.0, 1.0, limb))
        return albedo * (1.0 - 0.5 * limb - 0.05 * limb * limb)[:, None] * intensity
    tilted = normal
    if paint.bump is not None:
        tilted = normal - paint.bump @ rotation.T
        tilted /= np.linalg.norm(tilted, axis=1, keepdims=True)
    incidence = tilted @ light
    w = look.softness
    diffuse = np.clip((incidence + w) / (1.0 + w), 0.0, 1.0)
    if look.flat:
        geometric = np.clip(normal @ light, 0.0, 1.0)
        lommel = 2.0 * np.clip(incidence, 0.0, 1.0) / (geometric + mu + 1e-3)
        diffuse = (1.0 - look.flat) * diffuse + look.flat * np.minimum(lommel, 1.6) * 0.65
    shade = diffuse * np.maximum(mu, 0.0) ** look.limb
    if profile is not None:
        pole = rotation[:, 2]
        towards = float(pole @ light)
        if abs(towards) > 1e-3:
            t = -(normal @ pole) / towards
            hit = normal + t[:, None] * light
            opacity, _ = profile(np.linalg.norm(hit, axis=1))
            shade = shade * (1.0 - 0.85 * opacity * (t > 0))
    colour = albedo * (ambient + intensity * shade)[:, None]
    if look.rim is not None:
        rgb, strength = look.rim
        lit = np.clip(normal @ light + 0.3, 0.0, 1.0)
        colour += (
            np.asarray(rgb, np.float32) * (strength * (1.0 - mu) ** 3 * lit * intensity)[:, None]
        )
    return colour.astype(np.float32)


def _ring_layers(
    profile: RingProfile,
    rotation: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    light: np.ndarray,
    intensity: float,
    ambient: float,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(colour, alpha) of the ring in front of the planet and of the ring behind it.

    Each pixel's line of sight meets the ring plane (the body's equator) at depth z; the half with
    z >= 0 is nearer than any visible point of the planet, the half with z < 0 farther.
    """
    pole = rotation[:, 2]
    if abs(pole[2]) < 1e-3:
        pole = pole + np.array([0.0, 0.0, 1e-3])
    z = -(pole[0] * x + pole[1] * y) / pole[2]
    r = np.sqrt(x * x + y * y + z * z)
    opacity, rgb = profile(r)
    # Light: the lit face seen from the camera is bright, the unlit face glows dimly through.
    towards = float(pole @ light)
    lit_face = towards * pole[2] > 0
    face = math.sqrt(abs(towards)) if lit_face else 0.3 * math.sqrt(abs(towards)) + 0.05
    brightness = np.full_like(r, face)
    # The planet's shadow falls on the ring behind it (seen from the light).
    along = x * light[0] + y * light[1] + z * light[2]
    across = r * r - along * along
    brightness *= np.where(along < 0, smooth(0.9, 1.1, across), 1.0)
    if not lit_face:
        brightness *= 1.0 - 0.5 * opacity
    colour = rgb * (ambient + intensity * brightness)[..., None]
    front = opacity * (z >= 0)
    back = opacity * (z < 0)
    return (colour, front), (colour, back)


def _over(image: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite a layer over the image."""
    a = alpha[..., None]
    return image * (1.0 - a) + colour * a
