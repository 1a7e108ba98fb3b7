"""The bodies the renderer knows, and how each one is drawn (surface, pose, optics)."""

from dataclasses import dataclass

from celestial.errors import UserError
from celestial.render import surfaces
from celestial.render.orientation import Orientation, any_orientation, facing, pole_up
from celestial.render.palette import (
    EARTH_AIR,
    MARS_AIR,
    SATURN_RINGS,
    SUN_GLOW,
    TITAN_UPPER_HAZE,
    URANUS_RINGS,
    Rgb,
)
from celestial.render.surfaces import Surface

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


@dataclass(frozen=True)
class Look:
    """How one body is drawn: its surface plus its shape, optics and pose."""

    surface: Surface
    orient: Orientation = any_orientation
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


LOOKS: dict[str, Look] = {
    "Earth": Look(
        surfaces.earth, softness=0.08, rim=(EARTH_AIR, 0.6), halo=(EARTH_AIR, 0.03, 0.25)
    ),
    "Jupiter": Look(surfaces.jupiter, pole_up(25, 12), softness=0.08, limb=0.35),
    "Mars": Look(surfaces.mars, softness=0.04, limb=0.1, rim=(MARS_AIR, 0.15)),
    "Mercury": Look(surfaces.mercury, flat=0.6),
    "Moon": Look(surfaces.moon, facing(8), flat=0.6),  # tidally locked: libration only
    "Neptune": Look(surfaces.neptune, pole_up(30, 15), softness=0.1, limb=0.45),
    "Pluto": Look(surfaces.pluto, facing(45), softness=0.03, flat=0.3),
    "Saturn": Look(
        surfaces.saturn,
        pole_up(30, 15, min_tilt=10),
        extent=(0.8, 0.98),
        span=SATURN_RINGS[-1][1],
        softness=0.08,
        limb=0.3,
        rings=SATURN_RINGS,
    ),
    "Uranus": Look(
        surfaces.uranus,
        pole_up(75, 20),
        softness=0.1,
        limb=0.5,
        rings=URANUS_RINGS,
        ring_chance=0.4,
    ),
    "Venus": Look(
        surfaces.venus, pole_up(20, 20), softness=0.25, limb=0.2, rim=((1.0, 0.95, 0.8), 0.2)
    ),
    "Io": Look(surfaces.io, flat=0.3),
    "Europa": Look(surfaces.europa, flat=0.3),
    "Sun": Look(surfaces.sun, pole_up(10, 10), limb=0.0, halo=(SUN_GLOW, 0.1, 0.45), emissive=True),
    "Titan": Look(surfaces.titan, softness=0.3, limb=0.3, halo=(TITAN_UPPER_HAZE, 0.04, 0.35)),
    "Ceres": Look(surfaces.ceres, flat=0.5),
}


def look_of(body: str) -> Look:
    """The look of a named body, or a UserError listing the valid names."""
    try:
        return LOOKS[body]
    except KeyError:
        raise UserError(f"unknown body {body!r}; choose from: {', '.join(ALL_BODIES)}") from None
