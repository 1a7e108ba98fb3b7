"""Render the synthetic celestial-bodies dataset, so the project runs offline on a fresh clone.

Each image is a sphere on a black background, ray-traced per pixel with numpy: the pixel's surface
normal is rotated into the body's own frame, a class-typical procedural surface (3-D value-noise
fBm, bands, craters, spots) is sampled there, and the result is shaded by a random light.
Orientation, light, size, position, colour and noise are random per image, so the classifier has to
learn the surfaces rather than one picture per class.

Image i of a body depends only on (seed, body, i): its generator is
`np.random.default_rng([seed, body_index, i])`, so renders are byte-identical whatever else is
rendered alongside them.
"""

import argparse
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from celestial import cli
from celestial.config import load_params
from celestial.errors import UserError

KNOWN_BODIES: tuple[str, ...] = (
    "Earth",
    "Jupiter",
    "Mars",
    "Mercury",
    "Moon",
    "Neptune",
    "Pluto",
    "Saturn",
    "Uranus",
    "Venus",
)
"""The ten classes of the default dataset, alphabetical."""

NOVEL_BODIES: tuple[str, ...] = ("Io", "Europa", "Sun", "Titan", "Ceres")
"""Bodies that are not classes, for testing how the model treats what it has never seen."""

ALL_BODIES: tuple[str, ...] = KNOWN_BODIES + NOVEL_BODIES
"""Every body; a body's position here is its `body_index` in the per-image seed."""

JPEG_QUALITY = 92

Rgb = tuple[float, float, float]

# Palettes (linear-ish RGB in [0, 1]).
EARTH_DEEP_OCEAN: Rgb = (0.03, 0.10, 0.33)
EARTH_SHALLOW_OCEAN: Rgb = (0.07, 0.26, 0.52)
EARTH_FOREST: Rgb = (0.13, 0.32, 0.10)
EARTH_DESERT: Rgb = (0.60, 0.48, 0.30)
EARTH_ICE: Rgb = (0.93, 0.95, 0.98)
EARTH_AIR: Rgb = (0.35, 0.55, 1.00)
JUPITER_RAMP: tuple[Rgb, ...] = (
    (0.45, 0.28, 0.18),
    (0.66, 0.46, 0.31),
    (0.84, 0.70, 0.52),
    (0.93, 0.86, 0.72),
    (0.97, 0.94, 0.86),
)
JUPITER_SPOT: Rgb = (0.76, 0.36, 0.22)
MARS_RUST: Rgb = (0.78, 0.40, 0.20)
MARS_DARK: Rgb = (0.42, 0.23, 0.14)
MARS_ICE: Rgb = (0.95, 0.93, 0.92)
MARS_AIR: Rgb = (0.85, 0.55, 0.45)
MERCURY_ROCK: Rgb = (0.56, 0.535, 0.50)
MOON_HIGHLAND: Rgb = (0.66, 0.65, 0.63)
MOON_MARE: Rgb = (0.33, 0.33, 0.34)
ICE_GIANT_MIDDLE: Rgb = (0.42, 0.64, 0.86)
"""Uranus and Neptune are each jittered towards this shared colour, so colour alone is ambiguous."""
NEPTUNE_BLUE: Rgb = (0.20, 0.36, 0.84)
NEPTUNE_SPOT: Rgb = (0.08, 0.14, 0.42)
URANUS_CYAN: Rgb = (0.64, 0.86, 0.89)
PLUTO_PLAIN: Rgb = (0.72, 0.58, 0.45)
PLUTO_HEART: Rgb = (0.95, 0.91, 0.84)
PLUTO_DARK: Rgb = (0.38, 0.20, 0.13)
SATURN_RAMP: tuple[Rgb, ...] = ((0.78, 0.64, 0.42), (0.90, 0.80, 0.58), (0.95, 0.89, 0.70))
SATURN_POLE: Rgb = (0.62, 0.64, 0.60)
VENUS_RAMP: tuple[Rgb, ...] = ((0.80, 0.68, 0.46), (0.92, 0.84, 0.62), (0.97, 0.93, 0.78))
IO_YELLOW: Rgb = (0.90, 0.84, 0.40)
IO_WHITE: Rgb = (0.93, 0.91, 0.80)
IO_ORANGE: Rgb = (0.86, 0.52, 0.20)
IO_VOLCANO: Rgb = (0.12, 0.08, 0.05)
IO_RED: Rgb = (0.70, 0.25, 0.12)
EUROPA_ICE: Rgb = (0.90, 0.87, 0.80)
EUROPA_TAN: Rgb = (0.72, 0.60, 0.45)
EUROPA_LINE: Rgb = (0.50, 0.30, 0.18)
SUN_CORE: Rgb = (1.00, 0.88, 0.45)
SUN_LIMB_TINT: Rgb = (1.0, 0.55, 0.25)  # the photosphere reddens towards the limb
SUN_GLOW: Rgb = (1.00, 0.55, 0.15)
TITAN_HAZE: Rgb = (0.86, 0.58, 0.24)
TITAN_UPPER_HAZE: Rgb = (0.45, 0.58, 0.75)
CERES_ROCK: Rgb = (0.34, 0.33, 0.32)
CERES_SALT: Rgb = (0.97, 0.97, 0.95)

# Saturn's rings (inner radius, outer radius, opacity, colour), radii in planet radii.
SATURN_RINGS: tuple[tuple[float, float, float, Rgb], ...] = (
    (1.24, 1.52, 0.20, (0.55, 0.50, 0.44)),  # C ring
    (1.52, 1.95, 0.90, (0.88, 0.80, 0.64)),  # B ring
    (1.95, 2.03, 0.06, (0.50, 0.46, 0.40)),  # Cassini division
    (2.03, 2.27, 0.65, (0.80, 0.74, 0.62)),  # A ring
)
URANUS_RINGS: tuple[tuple[float, float, float, Rgb], ...] = (
    (1.90, 1.98, 0.35, (0.60, 0.70, 0.72)),
)

_HASH_X, _HASH_Y, _HASH_Z = np.uint32(0x8DA6B343), np.uint32(0xD8163841), np.uint32(0xCB1AB31F)
_HASH_MIX = np.uint32(0x5BD1E995)
_FBM_SCALE = 1.4  # spreads fBm to a standard deviation of about 0.15 around 0.5


# --- procedural noise -------------------------------------------------------------------------


def _value_noise(p: np.ndarray, salt: np.uint32) -> np.ndarray:
    """Smooth 3-D value noise in [0, 1) at points p (N, 3): hashed lattice, smoothstep-blended."""
    floor = np.floor(p)
    t = p - floor
    u = t * t * (3.0 - 2.0 * t)
    cell = floor.astype(np.int64).astype(np.uint32)
    one = np.uint32(1)
    hx = (cell[:, 0] * _HASH_X, (cell[:, 0] + one) * _HASH_X)
    hy = (cell[:, 1] * _HASH_Y, (cell[:, 1] + one) * _HASH_Y)
    hz = (cell[:, 2] * _HASH_Z ^ salt, (cell[:, 2] + one) * _HASH_Z ^ salt)

    def corner(i: int, j: int, k: int) -> np.ndarray:
        h = hx[i] ^ hy[j] ^ hz[k]
        h ^= h >> np.uint32(15)
        h *= _HASH_MIX
        h ^= h >> np.uint32(13)
        return h.astype(np.float32)

    ux, uy, uz = u[:, 0], u[:, 1], u[:, 2]
    edges = []
    for j, k in ((0, 0), (1, 0), (0, 1), (1, 1)):
        a = corner(0, j, k)
        edges.append(a + ux * (corner(1, j, k) - a))
    y0 = edges[0] + uy * (edges[1] - edges[0])
    y1 = edges[2] + uy * (edges[3] - edges[2])
    return (y0 + uz * (y1 - y0)) * np.float32(2.0**-32)


def _fbm(
    p: np.ndarray,
    rng: np.random.Generator,
    freq: float,
    octaves: int,
    detail: float,
    gain: float = 0.5,
) -> np.ndarray:
    """Fractal value noise in [0, 1] (mean 0.5) on 3-D points, so a sphere has no seam.

    Octaves finer than `detail` (cycles per radius the image can show) are skipped: they would only
    alias. The random draws do not depend on `detail`, so a body looks alike at every size.
    """
    offsets = rng.uniform(-200.0, 200.0, size=(octaves, 3)).astype(np.float32)
    salts = rng.integers(0, 2**32, size=octaves, dtype=np.uint32)
    total = np.zeros(len(p), np.float32)
    amplitude, norm = 1.0, 0.0
    for k in range(octaves):
        f = freq * 2.0**k
        norm += amplitude
        if k == 0 or f <= detail:
            total += amplitude * (_value_noise(p * np.float32(f) + offsets[k], salts[k]) - 0.5)
        amplitude *= gain
    return np.clip(0.5 + _FBM_SCALE * total / norm, 0.0, 1.0)


def _smooth(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """Smoothstep from 0 at edge0 to 1 at edge1 (edges may be in either order)."""
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _mix(a: np.ndarray | Rgb, b: np.ndarray | Rgb, t: np.ndarray) -> np.ndarray:
    """Blend colours a -> b by weight t (N,), giving (N, 3)."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return a + (b - a) * t[:, None]


def _ramp(t: np.ndarray, colours: Sequence[Rgb]) -> np.ndarray:
    """Map t in [0, 1] (N,) onto evenly spaced colour stops, giving (N, 3)."""
    stops = np.linspace(0.0, 1.0, len(colours))
    table = np.asarray(colours, np.float32)
    return np.stack([np.interp(t, stops, table[:, c]) for c in range(3)], axis=1).astype(np.float32)


def _unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    """n directions uniform on the sphere (n, 3)."""
    v = rng.normal(size=(n, 3))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _lat_lon(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (radians) of body-frame points; the pole is the body's +z axis."""
    return np.arcsin(np.clip(p[:, 2], -1.0, 1.0)), np.arctan2(p[:, 1], p[:, 0])


def _oval(
    lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float, half_lon: float, half_lat: float
) -> np.ndarray:
    """Squared elliptical distance from a spot centred at (lat0, lon0): < 1 inside the spot."""
    dlon = (lon - lon0 + np.pi) % (2 * np.pi) - np.pi
    return (dlon * math.cos(lat0) / half_lon) ** 2 + ((lat - lat0) / half_lat) ** 2


def _direction(lat: float, lon: float) -> np.ndarray:
    """Body-frame unit vector at latitude/longitude (radians)."""
    return np.array(
        [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)], np.float32
    )


# --- surfaces -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Paint:
    """A surface sampled at the visible points: colour, and optional slopes that tilt the normal."""

    albedo: np.ndarray  # (N, 3)
    bump: np.ndarray | None = None  # (N, 3) body-frame slope, subtracted from the normal


Surface = Callable[[np.ndarray, np.random.Generator, float], _Paint]
"""(body-frame points (N, 3), generator, detail in cycles per radius) -> paint."""

Orientation = Callable[[np.random.Generator], np.ndarray]
"""generator -> 3x3 rotation taking body coordinates to camera coordinates."""

RingProfile = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""radius in planet radii -> (opacity, colour) of the ring there."""


def _craters(
    p: np.ndarray,
    rng: np.random.Generator,
    detail: float,
    count: int,
    radii: tuple[float, float],
    depth: float,
    fresh: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Bowl craters with raised rims: (albedo factor (N,), body-frame slope (N, 3)).

    Radii are angular (radians), mostly small; a share `fresh` of them get a bright halo. Only
    point/crater pairs that touch are evaluated, so the cost follows the cratered area.
    """
    centres = _unit_vectors(rng, count)
    size = radii[0] * (radii[1] / radii[0]) ** (rng.random(count) ** 2)
    bright = (rng.random(count) < fresh).astype(np.float32)
    visible = size * detail * 2.0 >= 1.2  # radius in pixels (detail = radius_px / 2)
    centres, size, bright = centres[visible], size[visible].astype(np.float32), bright[visible]
    factor = np.ones(len(p), np.float32)
    slope = np.zeros((len(p), 3), np.float32)
    if len(size) == 0:
        return factor, slope
    point, crater = np.nonzero(p @ centres.T > np.cos(np.minimum(1.8 * size, np.pi)))
    v = p[point] - centres[crater]
    dist = np.sqrt(np.einsum("ij,ij->i", v, v)) + 1e-6
    s = dist / size[crater]
    inside = s < 1.0
    # Height profile in crater radii: bowl s^2 - 1 inside, plus a Gaussian rim; dh is its slope.
    rim_height, rim_width = 0.15, 0.2
    rim = np.exp(-(((s - 1.0) / rim_width) ** 2))
    dh = depth * (2.0 * s * inside - rim_height * 2.0 * (s - 1.0) / rim_width**2 * rim)
    contributions = (v / dist[:, None]) * dh[:, None]
    for axis in range(3):
        slope[:, axis] = np.bincount(point, contributions[:, axis], minlength=len(p))
    shade = -0.08 * inside * (1.0 - s * s) + bright[crater] * 0.45 * np.exp(-((s / 1.5) ** 2))
    factor += np.bincount(point, shade, minlength=len(p)).astype(np.float32)
    return np.clip(factor, 0.3, 2.0), slope


def _earth(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Blue oceans, green and brown continents, white polar caps and swirling clouds."""
    continents = _fbm(p, rng, 1.3, 6, detail)
    sea_level = rng.uniform(0.49, 0.55)
    land = _smooth(sea_level, sea_level + 0.02, continents)
    dryness = _fbm(p, rng, 2.5, 3, detail) + 0.3 * (1 - np.abs(p[:, 2]))
    ground = _mix(EARTH_FOREST, EARTH_DESERT, _smooth(0.62, 0.8, dryness))
    ocean = _mix(
        EARTH_DEEP_OCEAN, EARTH_SHALLOW_OCEAN, _smooth(sea_level - 0.1, sea_level, continents)
    )
    albedo = _mix(ocean, ground, land)
    polar = rng.uniform(0.93, 0.97)
    ragged = 0.15 * (_fbm(p, rng, 5.0, 3, detail) - 0.5)
    caps = _smooth(polar - 0.02, polar + 0.02, np.abs(p[:, 2]) + ragged)
    albedo = _mix(albedo, EARTH_ICE, caps)
    # Clouds: noise stretched along longitude and twisted about the pole into swirls.
    twist = 2.5 * (_fbm(p, rng, 1.5, 2, detail) - 0.5)
    c, s = np.cos(twist), np.sin(twist)
    swirled = np.stack([p[:, 0] * c - p[:, 1] * s, p[:, 0] * s + p[:, 1] * c, 1.7 * p[:, 2]], 1)
    clouds = _fbm(swirled, rng, 2.0, 6, detail, gain=0.55)
    cover = rng.uniform(0.55, 0.65)
    albedo = _mix(albedo, EARTH_ICE, 0.85 * _smooth(cover - 0.08, cover + 0.2, clouds))
    return _Paint(albedo)


def _bands(
    p: np.ndarray,
    rng: np.random.Generator,
    detail: float,
    freqs: Sequence[float],
    turbulence: float,
) -> np.ndarray:
    """Zonal bands in [-1, 1] along latitude, with turbulent, longitude-stretched wobble."""
    lat, _ = _lat_lon(p)
    stretched = p * np.array([1.0, 1.0, 4.0], np.float32)
    wobble = _fbm(stretched, rng, 2.0, 5, detail) - 0.5
    lat = lat + turbulence * wobble
    weights = 1.0 / np.arange(1, len(freqs) + 1)
    phases = rng.uniform(0, 2 * np.pi, len(freqs))
    scale = rng.uniform(0.9, 1.1, len(freqs))
    total = sum(
        w * np.sin(f * k * lat + ph)
        for w, f, k, ph in zip(weights, freqs, scale, phases, strict=True)
    )
    return total / weights.sum()


def _jupiter(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Many cream, beige and brown bands with turbulence, and the Great Red Spot."""
    bands = _bands(p, rng, detail, (11.0, 19.0, 31.0, 47.0), turbulence=0.08)
    grain = _fbm(p * np.array([1.0, 1.0, 3.0], np.float32), rng, 4.0, 4, detail)
    albedo = _ramp(np.clip(0.5 + 0.55 * bands + 0.35 * (grain - 0.5), 0, 1), JUPITER_RAMP)
    lat, lon = _lat_lon(p)
    spot_lat = math.radians(rng.uniform(-25.0, -19.0))
    spot_lon = rng.uniform(-np.pi, np.pi)
    size = rng.uniform(0.8, 1.2)
    oval = _oval(lat, lon, spot_lat, spot_lon, 0.30 * size, 0.12 * size) + 0.6 * (grain - 0.5)
    albedo = _mix(albedo, JUPITER_RAMP[-1], 0.6 * _smooth(2.2, 1.3, oval))  # pale collar
    albedo = _mix(albedo, JUPITER_SPOT, _smooth(1.0, 0.6, oval))
    return _Paint(albedo)


def _saturn(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Soft pale-yellow bands and greyer poles (the rings are drawn separately)."""
    bands = _bands(p, rng, detail, (9.0, 17.0, 29.0), turbulence=0.03)
    albedo = _ramp(np.clip(0.55 + 0.35 * bands, 0, 1), SATURN_RAMP)
    lat, _ = _lat_lon(p)
    albedo = _mix(albedo, SATURN_POLE, 0.6 * _smooth(1.1, 1.35, np.abs(lat)))
    return _Paint(albedo)


def _mars(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Rust-orange with darker patches, small white polar caps and a few craters."""
    patches = _fbm(p, rng, 1.8, 5, detail)
    albedo = _mix(MARS_RUST, MARS_DARK, _smooth(0.5, 0.72, patches))
    dust = _fbm(p, rng, 6.0, 3, detail)
    albedo *= (0.9 + 0.2 * dust)[:, None]
    north, south = rng.uniform(0.92, 0.98, 2)
    edge = 0.05 * (dust - 0.5)
    caps = np.maximum(
        _smooth(north, north + 0.02, p[:, 2] + edge), _smooth(south, south + 0.02, -p[:, 2] + edge)
    )
    albedo = _mix(albedo, MARS_ICE, caps)
    factor, slope = _craters(p, rng, detail, 25, (0.03, 0.14), depth=0.25)
    return _Paint(albedo * factor[:, None], slope)


def _mercury(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Grey-brown, fairly uniform and heavily cratered, with a few bright young craters."""
    tone = _fbm(p, rng, 2.0, 5, detail)
    albedo = _mix(MERCURY_ROCK, np.asarray(MERCURY_ROCK) * 0.8, _smooth(0.3, 0.8, tone))
    factor, slope = _craters(p, rng, detail, 160, (0.025, 0.22), depth=0.35, fresh=0.12)
    return _Paint(albedo * factor[:, None], slope)


def _moon(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Light grey highlands, large smooth dark maria and craters."""
    maria = _fbm(p, rng, 1.1, 4, detail, gain=0.45)
    level = rng.uniform(0.54, 0.6)
    dark = _smooth(level - 0.02, level + 0.08, maria)
    tone = _fbm(p, rng, 4.0, 3, detail)
    albedo = _mix(MOON_HIGHLAND, MOON_MARE, dark) * (0.92 + 0.16 * tone)[:, None]
    factor, slope = _craters(p, rng, detail, 70, (0.025, 0.18), depth=0.3, fresh=0.06)
    factor = 1.0 + (factor - 1.0) * (1.0 - 0.7 * dark)  # maria are younger: fewer marks
    return _Paint(albedo * factor[:, None], slope * (1.0 - 0.6 * dark)[:, None])


def _ice_giant_colour(rng: np.random.Generator, own: Rgb) -> np.ndarray:
    """A colour between the planet's own and the colour Uranus and Neptune share."""
    t = rng.uniform(0.0, 0.85)
    return np.asarray(own, np.float32) * (1 - t) + np.asarray(ICE_GIANT_MIDDLE, np.float32) * t


def _neptune(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Deep blue with faint bands, a dark spot and a few white streak clouds."""
    base = _ice_giant_colour(rng, NEPTUNE_BLUE)
    bands = _bands(p, rng, detail, (7.0, 13.0), turbulence=0.05)
    albedo = np.tile(base, (len(p), 1)) * (1.0 + 0.08 * bands)[:, None]
    lat, lon = _lat_lon(p)
    spot_lat = math.radians(rng.uniform(-30.0, -15.0))
    spot_lon = rng.uniform(-np.pi, np.pi)
    size = rng.uniform(0.7, 1.3)
    spot = _smooth(1.0, 0.4, _oval(lat, lon, spot_lat, spot_lon, 0.28 * size, 0.13 * size))
    albedo = _mix(albedo, NEPTUNE_SPOT, 0.85 * spot)
    companion = _oval(lat, lon, spot_lat - 0.16 * size, spot_lon + 0.05, 0.15 * size, 0.03)
    clouds = np.exp(-companion)
    for _ in range(rng.integers(1, 5)):
        streak = _oval(
            lat,
            lon,
            rng.uniform(-1.0, 1.0),
            rng.uniform(-np.pi, np.pi),
            rng.uniform(0.3, 0.8),
            rng.uniform(0.02, 0.045),
        )
        clouds = np.maximum(clouds, np.exp(-streak))
    return _Paint(_mix(albedo, (0.92, 0.95, 1.0), 0.85 * clouds))


def _uranus(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Pale cyan, nearly featureless: faint bands and a slightly brighter polar region."""
    base = _ice_giant_colour(rng, URANUS_CYAN)
    bands = _bands(p, rng, detail, (6.0, 11.0), turbulence=0.02)
    albedo = np.tile(base, (len(p), 1)) * (1.0 + 0.03 * bands)[:, None]
    polar = _smooth(0.6, 0.95, p[:, 2])
    return _Paint(_mix(albedo, (0.82, 0.93, 0.94), 0.35 * polar))


def _venus(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Yellowish-cream, soft low-contrast swirls of thick cloud."""
    twist = 3.0 * (_fbm(p, rng, 1.0, 2, detail) - 0.5)
    c, s = np.cos(twist), np.sin(twist)
    swirled = np.stack([p[:, 0] * c - p[:, 1] * s, p[:, 0] * s + p[:, 1] * c, 2.0 * p[:, 2]], 1)
    clouds = _fbm(swirled, rng, 1.6, 4, detail)
    return _Paint(_ramp(np.clip(0.5 + 0.8 * (clouds - 0.5), 0, 1), VENUS_RAMP))


PLUTO_HEART_CENTRE = (math.radians(12.0), 0.0)  # faces the viewer by the "facing" orientation


def _pluto(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Beige-brown with a big pale heart-shaped plain and a dark reddish equatorial region."""
    mottle = _fbm(p, rng, 3.0, 4, detail)
    albedo = (
        np.tile(np.asarray(PLUTO_PLAIN, np.float32), (len(p), 1)) * (0.85 + 0.3 * mottle)[:, None]
    )
    lat, lon = _lat_lon(p)
    heart_lat, heart_lon = PLUTO_HEART_CENTRE
    dark = _oval(lat, lon, -0.08, heart_lon - 1.3, 0.95, 0.33) + 1.2 * (mottle - 0.5)
    albedo = _mix(albedo, PLUTO_DARK, 0.9 * _smooth(1.0, 0.5, dark))
    # The heart: the implicit curve (u^2 + v^2 - 1)^3 - u^2 v^3 <= 0 in the tangent plane.
    centre = _direction(heart_lat, heart_lon)
    east = np.array([-math.sin(heart_lon), math.cos(heart_lon), 0.0], np.float32)
    north = np.cross(centre, east)
    tilt = rng.normal(0.0, 0.2)
    east, north = (
        east * math.cos(tilt) + north * math.sin(tilt),
        north * math.cos(tilt) - east * math.sin(tilt),
    )
    scale = rng.uniform(0.36, 0.46)
    u = p @ east / scale
    v = p @ north / scale + 0.15
    heart = np.cbrt((u * u + v * v - 1.0) ** 3 - u * u * v**3) + 0.5 * (mottle - 0.5)
    heart = np.where(p @ centre > 0, heart, 1.0)
    albedo = _mix(albedo, PLUTO_HEART, _smooth(0.03, -0.05, heart))
    return _Paint(albedo)


def _io(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Sulphur yellow with white and orange patches and dark volcanoes ringed in red."""
    patches = _fbm(p, rng, 2.2, 4, detail)
    albedo = _mix(IO_YELLOW, IO_WHITE, _smooth(0.55, 0.7, patches))
    albedo = _mix(albedo, IO_ORANGE, _smooth(0.42, 0.3, patches))
    albedo = _mix(albedo, (0.55, 0.45, 0.35), 0.6 * _smooth(0.75, 0.95, np.abs(p[:, 2])))
    vents = _unit_vectors(rng, 40)
    sizes = rng.uniform(0.015, 0.05, 40).astype(np.float32)
    closeness = np.arccos(np.clip(p @ vents.T, -1.0, 1.0)) / sizes  # (N, 40)
    nearest = closeness.min(axis=1)
    halo = _smooth(4.0, 2.0, nearest) * _smooth(1.0, 1.8, nearest)
    albedo = _mix(albedo, IO_RED, 0.6 * halo)
    return _Paint(_mix(albedo, IO_VOLCANO, _smooth(1.0, 0.6, nearest)))


def _europa(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Icy white-beige with tan mottling criss-crossed by long brownish lines."""
    mottle = _fbm(p, rng, 2.0, 4, detail)
    albedo = _mix(EUROPA_ICE, EUROPA_TAN, _smooth(0.5, 0.75, mottle))
    count = 30
    planes = _unit_vectors(rng, count)
    anchors = _unit_vectors(rng, count)
    widths = rng.uniform(0.008, 0.02, count).astype(np.float32)
    widths = np.maximum(widths, 0.6 / detail)
    reach = np.cos(rng.uniform(0.6, 1.6, count)).astype(np.float32)
    lines = np.exp(-(((p @ planes.T) / widths) ** 2)) * (p @ anchors.T > reach)
    strength = lines.max(axis=1) * 0.8
    return _Paint(_mix(albedo, EUROPA_LINE, strength))


def _sun(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Glowing orange-yellow photosphere with granulation and sunspot groups (emissive)."""
    granules = _fbm(p, rng, min(detail, 24.0), 2, detail)
    albedo = (
        np.tile(np.asarray(SUN_CORE, np.float32), (len(p), 1)) * (0.9 + 0.2 * granules)[:, None]
    )
    lat, lon = _lat_lon(p)
    for _ in range(rng.integers(0, 6)):
        group_lat = math.radians(rng.uniform(8.0, 35.0)) * rng.choice([-1.0, 1.0])
        group_lon = rng.uniform(-np.pi, np.pi)
        for _ in range(rng.integers(1, 4)):
            r = rng.uniform(0.02, 0.05)
            spot = _oval(
                lat, lon, group_lat + rng.normal(0, 0.03), group_lon + rng.normal(0, 0.08), r, r
            )
            albedo *= (1.0 - 0.45 * _smooth(4.0, 1.0, spot) - 0.4 * _smooth(1.0, 0.3, spot))[
                :, None
            ]
    return _Paint(albedo)


def _titan(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Hazy, almost uniform orange with a faintly darker polar hood."""
    haze = _fbm(p, rng, 1.5, 3, detail)
    albedo = np.tile(np.asarray(TITAN_HAZE, np.float32), (len(p), 1)) * (0.95 + 0.1 * haze)[:, None]
    hood = _smooth(0.75, 0.9, p[:, 2])
    return _Paint(albedo * (1.0 - 0.2 * hood)[:, None])


def _ceres(p: np.ndarray, rng: np.random.Generator, detail: float) -> _Paint:
    """Dark grey, cratered, with a few small very bright salt spots."""
    tone = _fbm(p, rng, 2.5, 4, detail)
    albedo = np.tile(np.asarray(CERES_ROCK, np.float32), (len(p), 1)) * (0.85 + 0.3 * tone)[:, None]
    factor, slope = _craters(p, rng, detail, 70, (0.03, 0.2), depth=0.35)
    albedo *= factor[:, None]
    spots = _unit_vectors(rng, 3)
    radii = np.maximum(rng.uniform(0.025, 0.05, 3), 0.8 / detail).astype(np.float32)
    salt = np.exp(-((np.arccos(np.clip(p @ spots.T, -1, 1)) / radii) ** 2)).max(axis=1)
    return _Paint(_mix(albedo, CERES_SALT, salt), slope)


# --- orientation --------------------------------------------------------------------------------


def _rotation_about(axis: int, angle: float) -> np.ndarray:
    """Rotation matrix by `angle` radians about world axis 0 (x), 1 (y) or 2 (z)."""
    c, s = math.cos(angle), math.sin(angle)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


# Maps the body frame to the world frame (x right, y up, z towards the camera).
_POLE_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # body z -> world y
_PRIME_MERIDIAN_FRONT = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])  # x -> z


def _any_orientation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation (Shoemake's quaternion method)."""
    u1, u2, u3 = rng.random(3)
    a, b = math.sqrt(1 - u1), math.sqrt(u1)
    w, x, y, z = (
        a * math.sin(2 * math.pi * u2),
        a * math.cos(2 * math.pi * u2),
        b * math.sin(2 * math.pi * u3),
        b * math.cos(2 * math.pi * u3),
    )
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def _pole_up(max_tilt: float, roll_sd: float, min_tilt: float = 0.0) -> Orientation:
    """Orientations with the pole near image-up, so bands stay roughly level.

    The body is spun about its pole, tipped towards or away from the camera by min_tilt..max_tilt
    degrees and rolled in the image plane by a normal angle of sd roll_sd degrees.
    """

    def orient(rng: np.random.Generator) -> np.ndarray:
        spin = _rotation_about(2, rng.uniform(0, 2 * np.pi))
        tilt = math.radians(rng.uniform(min_tilt, max_tilt)) * rng.choice([-1.0, 1.0])
        roll = math.radians(rng.normal(0.0, roll_sd))
        return _rotation_about(2, roll) @ _rotation_about(0, tilt) @ _POLE_UP @ spin

    return orient


def _facing(spread: float) -> Orientation:
    """Orientations that show the body's prime meridian within about `spread` degrees of centre."""

    def orient(rng: np.random.Generator) -> np.ndarray:
        yaw, pitch = np.radians(rng.uniform(-spread, spread, 2))
        roll = rng.uniform(0, 2 * np.pi)
        return (
            _rotation_about(2, roll)
            @ _rotation_about(1, yaw)
            @ _rotation_about(0, pitch)
            @ _PRIME_MERIDIAN_FRONT
        )

    return orient


# --- body table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Look:
    """How one body is drawn: its surface plus its shape, optics and pose."""

    surface: Surface
    orient: Orientation = _any_orientation
    extent: tuple[float, float] = (0.55, 0.95)  # outer radius / half the image (rings included)
    span: float = 1.0  # outer radius in planet radii (> 1 with rings)
    softness: float = 0.03  # light wraps this far past the terminator (thick atmospheres)
    limb: float = 0.0  # limb-darkening exponent
    flat: float = 0.0  # share of Lommel-Seeliger (airless regolith looks flat at full phase)
    rim: tuple[Rgb, float] | None = None  # atmospheric glow inside the limb
    halo: tuple[Rgb, float, float] | None = None  # (colour, width in radii, strength) outside
    rings: tuple[tuple[float, float, float, Rgb], ...] = ()
    ring_chance: float = 1.0
    emissive: bool = False


_LOOKS: dict[str, _Look] = {
    "Earth": _Look(_earth, softness=0.08, rim=(EARTH_AIR, 0.6), halo=(EARTH_AIR, 0.03, 0.25)),
    "Jupiter": _Look(_jupiter, _pole_up(25, 12), softness=0.08, limb=0.35),
    "Mars": _Look(_mars, softness=0.04, limb=0.1, rim=(MARS_AIR, 0.15)),
    "Mercury": _Look(_mercury, flat=0.6),
    "Moon": _Look(_moon, flat=0.6),
    "Neptune": _Look(_neptune, _pole_up(30, 15), softness=0.1, limb=0.45),
    "Pluto": _Look(_pluto, _facing(45), softness=0.03, flat=0.3),
    "Saturn": _Look(
        _saturn,
        _pole_up(30, 15, min_tilt=10),
        extent=(0.8, 0.98),
        span=SATURN_RINGS[-1][1],
        softness=0.08,
        limb=0.3,
        rings=SATURN_RINGS,
    ),
    "Uranus": _Look(
        _uranus, _pole_up(75, 20), softness=0.1, limb=0.5, rings=URANUS_RINGS, ring_chance=0.4
    ),
    "Venus": _Look(_venus, _pole_up(20, 20), softness=0.25, limb=0.2, rim=((1.0, 0.95, 0.8), 0.2)),
    "Io": _Look(_io, flat=0.3),
    "Europa": _Look(_europa, flat=0.3),
    "Sun": _Look(_sun, _pole_up(10, 10), limb=0.0, halo=(SUN_GLOW, 0.1, 0.45), emissive=True),
    "Titan": _Look(_titan, softness=0.3, limb=0.3, halo=(TITAN_UPPER_HAZE, 0.04, 0.35)),
    "Ceres": _Look(_ceres, flat=0.5),
}


def _look(body: str) -> _Look:
    """The look of a named body, or a UserError listing the valid names."""
    try:
        return _LOOKS[body]
    except KeyError:
        raise UserError(f"unknown body {body!r}; choose from: {', '.join(ALL_BODIES)}") from None


# --- rendering ----------------------------------------------------------------------------------


def _ring_profile(
    rings: Sequence[tuple[float, float, float, Rgb]], rng: np.random.Generator
) -> RingProfile:
    """Radius (planet radii) -> (opacity, colour): bands with soft edges and random ringlets."""
    radius = np.linspace(1.0, rings[-1][1] + 0.05, 800)
    opacity = np.zeros_like(radius)
    colour = np.zeros((len(radius), 3))
    for inner, outer, alpha, rgb in rings:
        inside = _smooth(inner - 0.008, inner + 0.008, radius) * _smooth(
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
    look = _look(body)
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
    gains = np.exp(rng.normal(0.0, 0.04, 3)) * rng.uniform(0.88, 1.12)
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
    look: _Look, x: np.ndarray, y: np.ndarray, rho: np.ndarray, light: np.ndarray
) -> np.ndarray:
    """Glow just outside the limb (atmosphere or corona), brighter on the lit side."""
    rgb, width, strength = look.halo
    glow = strength * np.exp(-np.maximum(rho - 1.0, 0.0) / width)
    if not look.emissive:
        facing = (x * light[0] + y * light[1]) / np.maximum(rho, 1e-6)
        glow = glow * np.clip(facing * math.sqrt(1 - light[2] ** 2) + light[2] + 0.2, 0.0, 1.0)
    return glow[..., None] * np.asarray(rgb, np.float32)


def _shade(
    look: _Look,
    albedo: np.ndarray,
    paint: _Paint,
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
        albedo = albedo * _mix((1.0, 1.0, 1.0), SUN_LIMB_TINT, _smooth(0.0, 1.0, limb))
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
    brightness *= np.where(along < 0, _smooth(0.9, 1.1, across), 1.0)
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


# --- dataset and command line -------------------------------------------------------------------


def render_dataset(
    out_dir: Path,
    *,
    bodies: Sequence[str] = KNOWN_BODIES,
    images_per_class: int,
    seed: int,
    size: int = 128,
) -> list[Path]:
    """Write `images_per_class` JPEGs per body to out_dir/<Body>/<Body>_<index:04d>.jpg.

    Returns the written paths. Names are checked before anything is written; existing files of
    the same name are overwritten, others are left alone.
    """
    for body in bodies:  # check every name before writing anything
        _look(body)
    if images_per_class < 1:
        raise UserError(f"images per class must be at least 1, got {images_per_class}")
    if size < 16:
        raise UserError(f"image size must be at least 16 pixels, got {size}")
    if seed < 0:
        raise UserError(f"the seed must not be negative, got {seed}")
    written = []
    for body in dict.fromkeys(bodies):
        folder = Path(out_dir) / body
        folder.mkdir(parents=True, exist_ok=True)
        body_index = ALL_BODIES.index(body)
        for index in range(images_per_class):
            rng = np.random.default_rng([seed, body_index, index])
            path = folder / f"{body}_{index:04d}.jpg"
            render_body(body, rng, size).save(path, format="JPEG", quality=JPEG_QUALITY)
            written.append(path)
    return written


def _holds_files(folder: Path) -> bool:
    """Whether a folder exists and holds at least one file anywhere below it."""
    return folder.exists() and any(path.is_file() for path in folder.rglob("*"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m celestial.render",
        description="Render the synthetic celestial-bodies image dataset (one folder per body).",
    )
    parser.add_argument(
        "--out", type=Path, help="output folder (default: paths.raw in params.yaml)"
    )
    parser.add_argument("--images-per-class", type=int, help="default: render.images_per_class")
    parser.add_argument("--seed", type=int, help="default: render.seed")
    parser.add_argument(
        "--size", type=int, help="image side in pixels (default: render.image_size)"
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--bodies",
        nargs="+",
        metavar="NAME",
        help=f"default: the ten known ({', '.join(KNOWN_BODIES)})",
    )
    which.add_argument(
        "--novel", action="store_true", help=f"render the novel bodies ({', '.join(NOVEL_BODIES)})"
    )
    parser.add_argument(
        "--if-empty",
        action="store_true",
        help="render only if the output folder is missing or holds no files; else keep it",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: render the dataset, defaults from params.yaml (read only when needed)."""
    args = _parser().parse_args(argv)
    if None in (args.out, args.images_per_class, args.seed, args.size):
        params = load_params()
        args.out = args.out if args.out is not None else params.paths.raw
        if args.images_per_class is None:
            args.images_per_class = params.render.images_per_class
        args.seed = args.seed if args.seed is not None else params.render.seed
        args.size = args.size if args.size is not None else params.render.image_size
    bodies = NOVEL_BODIES if args.novel else tuple(args.bodies or KNOWN_BODIES)
    if args.if_empty and _holds_files(args.out):
        print(f"{args.out} already holds files: keeping the existing data, nothing rendered")
        return
    start = time.perf_counter()
    written = render_dataset(
        args.out,
        bodies=bodies,
        images_per_class=args.images_per_class,
        seed=args.seed,
        size=args.size,
    )
    elapsed = time.perf_counter() - start
    print(
        f"rendered {len(written)} images ({len(set(bodies))} bodies, {args.size}x{args.size} px, "
        f"seed {args.seed}) into {args.out} in {elapsed:.1f} s"
    )


if __name__ == "__main__":
    cli.run(main)
