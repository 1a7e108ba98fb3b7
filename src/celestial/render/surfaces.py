"""Each body's surface: colour (and relief) at points of the unit sphere in the body's own frame.

A surface is a function (points (N, 3), generator, detail in cycles per radius) -> Paint; every
random choice comes from the generator, so a render is reproducible.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from celestial.render.noise import direction, fbm, lat_lon, mix, oval, ramp, smooth, unit_vectors
from celestial.render.palette import (
    CERES_ROCK,
    CERES_SALT,
    EARTH_DEEP_OCEAN,
    EARTH_DESERT,
    EARTH_FOREST,
    EARTH_ICE,
    EARTH_SHALLOW_OCEAN,
    EUROPA_ICE,
    EUROPA_LINE,
    EUROPA_TAN,
    ICE_GIANT_MIDDLE,
    IO_ORANGE,
    IO_RED,
    IO_VOLCANO,
    IO_WHITE,
    IO_YELLOW,
    JUPITER_RAMP,
    JUPITER_SPOT,
    MARS_DARK,
    MARS_ICE,
    MARS_RUST,
    MERCURY_ROCK,
    MOON_HIGHLAND,
    MOON_MARE,
    NEPTUNE_BLUE,
    NEPTUNE_SPOT,
    PLUTO_DARK,
    PLUTO_HEART,
    PLUTO_PLAIN,
    SATURN_POLE,
    SATURN_RAMP,
    SUN_CORE,
    TITAN_HAZE,
    URANUS_CYAN,
    VENUS_RAMP,
    Rgb,
)


@dataclass(frozen=True)
class Paint:
    """A surface sampled at the visible points: colour, and optional slopes that tilt the normal."""

    albedo: np.ndarray  # (N, 3)
    bump: np.ndarray | None = None  # (N, 3) body-frame slope, subtracted from the normal


Surface = Callable[[np.ndarray, np.random.Generator, float], Paint]
"""(body-frame points (N, 3), generator, detail in cycles per radius) -> paint."""


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
    centres = unit_vectors(rng, count)
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


def earth(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Blue oceans, green and brown continents, white polar caps and swirling clouds."""
    continents = fbm(p, rng, 1.3, 6, detail)
    sea_level = rng.uniform(0.49, 0.55)
    land = smooth(sea_level, sea_level + 0.02, continents)
    dryness = fbm(p, rng, 2.5, 3, detail) + 0.3 * (1 - np.abs(p[:, 2]))
    ground = mix(EARTH_FOREST, EARTH_DESERT, smooth(0.62, 0.8, dryness))
    ocean = mix(
        EARTH_DEEP_OCEAN, EARTH_SHALLOW_OCEAN, smooth(sea_level - 0.1, sea_level, continents)
    )
    albedo = mix(ocean, ground, land)
    polar = rng.uniform(0.93, 0.97)
    ragged = 0.15 * (fbm(p, rng, 5.0, 3, detail) - 0.5)
    caps = smooth(polar - 0.02, polar + 0.02, np.abs(p[:, 2]) + ragged)
    albedo = mix(albedo, EARTH_ICE, caps)
    # Clouds: noise stretched along longitude and twisted about the pole into swirls.
    twist = 2.5 * (fbm(p, rng, 1.5, 2, detail) - 0.5)
    c, s = np.cos(twist), np.sin(twist)
    swirled = np.stack([p[:, 0] * c - p[:, 1] * s, p[:, 0] * s + p[:, 1] * c, 1.7 * p[:, 2]], 1)
    clouds = fbm(swirled, rng, 2.0, 6, detail, gain=0.55)
    cover = rng.uniform(0.55, 0.65)
    albedo = mix(albedo, EARTH_ICE, 0.85 * smooth(cover - 0.08, cover + 0.2, clouds))
    return Paint(albedo)


def _bands(
    p: np.ndarray,
    rng: np.random.Generator,
    detail: float,
    freqs: Sequence[float],
    turbulence: float,
) -> np.ndarray:
    """Zonal bands in [-1, 1] along latitude, with turbulent, longitude-stretched wobble."""
    lat, _ = lat_lon(p)
    stretched = p * np.array([1.0, 1.0, 4.0], np.float32)
    wobble = fbm(stretched, rng, 2.0, 5, detail) - 0.5
    lat = lat + turbulence * wobble
    weights = 1.0 / np.arange(1, len(freqs) + 1)
    phases = rng.uniform(0, 2 * np.pi, len(freqs))
    scale = rng.uniform(0.9, 1.1, len(freqs))
    total = sum(
        w * np.sin(f * k * lat + ph)
        for w, f, k, ph in zip(weights, freqs, scale, phases, strict=True)
    )
    return total / weights.sum()


def jupiter(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Many cream, beige and brown bands with turbulence, and the Great Red Spot."""
    bands = _bands(p, rng, detail, (11.0, 19.0, 31.0, 47.0), turbulence=0.08)
    grain = fbm(p * np.array([1.0, 1.0, 3.0], np.float32), rng, 4.0, 4, detail)
    albedo = ramp(np.clip(0.5 + 0.55 * bands + 0.35 * (grain - 0.5), 0, 1), JUPITER_RAMP)
    lat, lon = lat_lon(p)
    spot_lat = math.radians(rng.uniform(-25.0, -19.0))
    spot_lon = rng.uniform(-np.pi, np.pi)
    size = rng.uniform(0.8, 1.2)
    spot = oval(lat, lon, spot_lat, spot_lon, 0.30 * size, 0.12 * size) + 0.6 * (grain - 0.5)
    albedo = mix(albedo, JUPITER_RAMP[-1], 0.6 * smooth(2.2, 1.3, spot))  # pale collar
    albedo = mix(albedo, JUPITER_SPOT, smooth(1.0, 0.6, spot))
    return Paint(albedo)


def saturn(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Soft pale-yellow bands and greyer poles (the rings are drawn separately)."""
    bands = _bands(p, rng, detail, (9.0, 17.0, 29.0), turbulence=0.03)
    albedo = ramp(np.clip(0.55 + 0.35 * bands, 0, 1), SATURN_RAMP)
    lat, _ = lat_lon(p)
    albedo = mix(albedo, SATURN_POLE, 0.6 * smooth(1.1, 1.35, np.abs(lat)))
    return Paint(albedo)


def mars(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Rust-orange with darker patches, small white polar caps and a few craters."""
    patches = fbm(p, rng, 1.8, 5, detail)
    albedo = mix(MARS_RUST, MARS_DARK, smooth(0.5, 0.72, patches))
    dust = fbm(p, rng, 6.0, 3, detail)
    albedo *= (0.9 + 0.2 * dust)[:, None]
    north, south = rng.uniform(0.92, 0.98, 2)
    edge = 0.05 * (dust - 0.5)
    caps = np.maximum(
        smooth(north, north + 0.02, p[:, 2] + edge), smooth(south, south + 0.02, -p[:, 2] + edge)
    )
    albedo = mix(albedo, MARS_ICE, caps)
    factor, slope = _craters(p, rng, detail, 25, (0.03, 0.14), depth=0.25)
    return Paint(albedo * factor[:, None], slope)


def mercury(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Grey-brown, fairly uniform and heavily cratered, with a few bright young craters."""
    tone = fbm(p, rng, 2.0, 5, detail)
    albedo = mix(MERCURY_ROCK, np.asarray(MERCURY_ROCK) * 0.8, smooth(0.3, 0.8, tone))
    factor, slope = _craters(p, rng, detail, 160, (0.025, 0.22), depth=0.35, fresh=0.12)
    return Paint(albedo * factor[:, None], slope)


MOON_MARIA_SEED = 37
"""There is one Moon: its maria are drawn from this seed in every render. The seed is chosen, as
on the real Moon, for maria over about a third of the near side (the prime meridian's hemisphere,
which the Moon's pose keeps towards the camera) and almost none on the far side."""
MOON_MARIA_LEVEL = 0.57


def moon(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Light grey highlands, large smooth dark maria and craters."""
    maria = fbm(p, np.random.default_rng(MOON_MARIA_SEED), 1.1, 4, detail, gain=0.45)
    dark = smooth(MOON_MARIA_LEVEL - 0.02, MOON_MARIA_LEVEL + 0.08, maria)
    tone = fbm(p, rng, 4.0, 3, detail)
    albedo = mix(MOON_HIGHLAND, MOON_MARE, dark) * (0.92 + 0.16 * tone)[:, None]
    factor, slope = _craters(p, rng, detail, 70, (0.025, 0.18), depth=0.3, fresh=0.06)
    factor = 1.0 + (factor - 1.0) * (1.0 - 0.7 * dark)  # maria are younger: fewer marks
    return Paint(albedo * factor[:, None], slope * (1.0 - 0.6 * dark)[:, None])


def _ice_giant_colour(rng: np.random.Generator, own: Rgb) -> np.ndarray:
    """A colour between the planet's own and the colour Uranus and Neptune share."""
    t = rng.uniform(0.0, 0.85)
    return np.asarray(own, np.float32) * (1 - t) + np.asarray(ICE_GIANT_MIDDLE, np.float32) * t


def neptune(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Deep blue with faint bands, a dark spot and a few white streak clouds."""
    base = _ice_giant_colour(rng, NEPTUNE_BLUE)
    bands = _bands(p, rng, detail, (7.0, 13.0), turbulence=0.05)
    albedo = np.tile(base, (len(p), 1)) * (1.0 + 0.08 * bands)[:, None]
    lat, lon = lat_lon(p)
    spot_lat = math.radians(rng.uniform(-30.0, -15.0))
    spot_lon = rng.uniform(-np.pi, np.pi)
    size = rng.uniform(0.7, 1.3)
    spot = smooth(1.0, 0.4, oval(lat, lon, spot_lat, spot_lon, 0.28 * size, 0.13 * size))
    albedo = mix(albedo, NEPTUNE_SPOT, 0.85 * spot)
    companion = oval(lat, lon, spot_lat - 0.16 * size, spot_lon + 0.05, 0.15 * size, 0.03)
    clouds = np.exp(-companion)
    for _ in range(rng.integers(1, 5)):
        streak = oval(
            lat,
            lon,
            rng.uniform(-1.0, 1.0),
            rng.uniform(-np.pi, np.pi),
            rng.uniform(0.3, 0.8),
            rng.uniform(0.02, 0.045),
        )
        clouds = np.maximum(clouds, np.exp(-streak))
    return Paint(mix(albedo, (0.92, 0.95, 1.0), 0.85 * clouds))


def uranus(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Pale cyan, nearly featureless: faint bands and a slightly brighter polar region."""
    base = _ice_giant_colour(rng, URANUS_CYAN)
    bands = _bands(p, rng, detail, (6.0, 11.0), turbulence=0.02)
    albedo = np.tile(base, (len(p), 1)) * (1.0 + 0.03 * bands)[:, None]
    polar = smooth(0.6, 0.95, p[:, 2])
    return Paint(mix(albedo, (0.82, 0.93, 0.94), 0.35 * polar))


def venus(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Yellowish-cream, soft low-contrast swirls of thick cloud."""
    twist = 3.0 * (fbm(p, rng, 1.0, 2, detail) - 0.5)
    c, s = np.cos(twist), np.sin(twist)
    swirled = np.stack([p[:, 0] * c - p[:, 1] * s, p[:, 0] * s + p[:, 1] * c, 2.0 * p[:, 2]], 1)
    clouds = fbm(swirled, rng, 1.6, 4, detail)
    return Paint(ramp(np.clip(0.5 + 0.8 * (clouds - 0.5), 0, 1), VENUS_RAMP))


PLUTO_HEART_CENTRE = (math.radians(12.0), 0.0)  # faces the viewer by the "facing" orientation


def pluto(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Beige-brown with a big pale heart-shaped plain and a dark reddish equatorial region."""
    mottle = fbm(p, rng, 3.0, 4, detail)
    albedo = (
        np.tile(np.asarray(PLUTO_PLAIN, np.float32), (len(p), 1)) * (0.85 + 0.3 * mottle)[:, None]
    )
    lat, lon = lat_lon(p)
    heart_lat, heart_lon = PLUTO_HEART_CENTRE
    dark = oval(lat, lon, -0.08, heart_lon - 1.3, 0.95, 0.33) + 1.2 * (mottle - 0.5)
    albedo = mix(albedo, PLUTO_DARK, 0.9 * smooth(1.0, 0.5, dark))
    # The heart: the implicit curve (u^2 + v^2 - 1)^3 - u^2 v^3 <= 0 in the tangent plane.
    centre = direction(heart_lat, heart_lon)
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
    albedo = mix(albedo, PLUTO_HEART, smooth(0.03, -0.05, heart))
    return Paint(albedo)


def io(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Sulphur yellow with white and orange patches and dark volcanoes ringed in red."""
    patches = fbm(p, rng, 2.2, 4, detail)
    albedo = mix(IO_YELLOW, IO_WHITE, smooth(0.55, 0.7, patches))
    albedo = mix(albedo, IO_ORANGE, smooth(0.42, 0.3, patches))
    albedo = mix(albedo, (0.55, 0.45, 0.35), 0.6 * smooth(0.75, 0.95, np.abs(p[:, 2])))
    vents = unit_vectors(rng, 40)
    sizes = rng.uniform(0.015, 0.05, 40).astype(np.float32)
    closeness = np.arccos(np.clip(p @ vents.T, -1.0, 1.0)) / sizes  # (N, 40)
    nearest = closeness.min(axis=1)
    halo = smooth(4.0, 2.0, nearest) * smooth(1.0, 1.8, nearest)
    albedo = mix(albedo, IO_RED, 0.6 * halo)
    return Paint(mix(albedo, IO_VOLCANO, smooth(1.0, 0.6, nearest)))


def europa(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Icy white-beige with tan mottling criss-crossed by long brownish lines."""
    mottle = fbm(p, rng, 2.0, 4, detail)
    albedo = mix(EUROPA_ICE, EUROPA_TAN, smooth(0.5, 0.75, mottle))
    count = 30
    planes = unit_vectors(rng, count)
    anchors = unit_vectors(rng, count)
    widths = rng.uniform(0.008, 0.02, count).astype(np.float32)
    widths = np.maximum(widths, 0.6 / detail)
    reach = np.cos(rng.uniform(0.6, 1.6, count)).astype(np.float32)
    lines = np.exp(-(((p @ planes.T) / widths) ** 2)) * (p @ anchors.T > reach)
    strength = lines.max(axis=1) * 0.8
    return Paint(mix(albedo, EUROPA_LINE, strength))


def sun(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Glowing orange-yellow photosphere with granulation and sunspot groups (emissive)."""
    granules = fbm(p, rng, min(detail, 24.0), 2, detail)
    albedo = (
        np.tile(np.asarray(SUN_CORE, np.float32), (len(p), 1)) * (0.9 + 0.2 * granules)[:, None]
    )
    lat, lon = lat_lon(p)
    for _ in range(rng.integers(0, 6)):
        group_lat = math.radians(rng.uniform(8.0, 35.0)) * rng.choice([-1.0, 1.0])
        group_lon = rng.uniform(-np.pi, np.pi)
        for _ in range(rng.integers(1, 4)):
            r = rng.uniform(0.02, 0.05)
            spot = oval(
                lat, lon, group_lat + rng.normal(0, 0.03), group_lon + rng.normal(0, 0.08), r, r
            )
            albedo *= (1.0 - 0.45 * smooth(4.0, 1.0, spot) - 0.4 * smooth(1.0, 0.3, spot))[:, None]
    return Paint(albedo)


def titan(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Hazy, almost uniform orange with a faintly darker polar hood."""
    haze = fbm(p, rng, 1.5, 3, detail)
    albedo = np.tile(np.asarray(TITAN_HAZE, np.float32), (len(p), 1)) * (0.95 + 0.1 * haze)[:, None]
    hood = smooth(0.75, 0.9, p[:, 2])
    return Paint(albedo * (1.0 - 0.2 * hood)[:, None])


def ceres(p: np.ndarray, rng: np.random.Generator, detail: float) -> Paint:
    """Dark grey, cratered, with a few small very bright salt spots."""
    tone = fbm(p, rng, 2.5, 4, detail)
    albedo = np.tile(np.asarray(CERES_ROCK, np.float32), (len(p), 1)) * (0.85 + 0.3 * tone)[:, None]
    factor, slope = _craters(p, rng, detail, 70, (0.03, 0.2), depth=0.35)
    albedo *= factor[:, None]
    spots = unit_vectors(rng, 3)
    radii = np.maximum(rng.uniform(0.025, 0.05, 3), 0.8 / detail).astype(np.float32)
    salt = np.exp(-((np.arccos(np.clip(p @ spots.T, -1, 1)) / radii) ** 2)).max(axis=1)
    return Paint(mix(albedo, CERES_SALT, salt), slope)
