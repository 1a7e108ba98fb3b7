"""Procedural noise on the sphere, and the small colour and geometry helpers the surfaces use."""

import math
from collections.abc import Sequence

import numpy as np

from celestial.render.palette import Rgb

_HASH_X, _HASH_Y, _HASH_Z = np.uint32(0x8DA6B343), np.uint32(0xD8163841), np.uint32(0xCB1AB31F)
_HASH_MIX = np.uint32(0x5BD1E995)
_FBM_SCALE = 1.4  # spreads fBm to a standard deviation of about 0.15 around 0.5


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


def fbm(
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


def smooth(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """Smoothstep from 0 at edge0 to 1 at edge1 (edges may be in either order)."""
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def mix(a: np.ndarray | Rgb, b: np.ndarray | Rgb, t: np.ndarray) -> np.ndarray:
    """Blend colours a -> b by weight t (N,), giving (N, 3)."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return a + (b - a) * t[:, None]


def ramp(t: np.ndarray, colours: Sequence[Rgb]) -> np.ndarray:
    """Map t in [0, 1] (N,) onto evenly spaced colour stops, giving (N, 3)."""
    stops = np.linspace(0.0, 1.0, len(colours))
    table = np.asarray(colours, np.float32)
    return np.stack([np.interp(t, stops, table[:, c]) for c in range(3)], axis=1).astype(np.float32)


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    """n directions uniform on the sphere (n, 3)."""
    v = rng.normal(size=(n, 3))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def lat_lon(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (radians) of body-frame points; the pole is the body's +z axis."""
    return np.arcsin(np.clip(p[:, 2], -1.0, 1.0)), np.arctan2(p[:, 1], p[:, 0])


def oval(
    lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float, half_lon: float, half_lat: float
) -> np.ndarray:
    """Squared elliptical distance from a spot centred at (lat0, lon0): < 1 inside the spot."""
    dlon = (lon - lon0 + np.pi) % (2 * np.pi) - np.pi
    return (dlon * math.cos(lat0) / half_lon) ** 2 + ((lat - lat0) / half_lat) ** 2


def direction(lat: float, lon: float) -> np.ndarray:
    """Body-frame unit vector at latitude/longitude (radians)."""
    return np.array(
        [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)], np.float32
    )
