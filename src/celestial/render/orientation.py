"""How a body is posed: rotations from its own frame to the camera's."""

import math
from collections.abc import Callable

import numpy as np

Orientation = Callable[[np.random.Generator], np.ndarray]
"""generator -> 3x3 rotation taking body coordinates to camera coordinates."""


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


def any_orientation(rng: np.random.Generator) -> np.ndarray:
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


def pole_up(max_tilt: float, roll_sd: float, min_tilt: float = 0.0) -> Orientation:
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


def facing(spread: float) -> Orientation:
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
