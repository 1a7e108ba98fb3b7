"""Colours of the rendered bodies and the radii of their rings (linear-ish RGB in [0, 1])."""

Rgb = tuple[float, float, float]

# Palettes (linear-ish RGB in [0, 1]). Where a small image leaves little but colour to tell two
# bodies apart (Mercury and the Moon, Pluto and Venus), their tints follow the real photos of the
# celestial-bodies dataset (mean red/blue and green/blue over the lit pixels): Mercury grey, the
# Moon barely warm, Pluto pale, Venus strongly yellow.
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
MERCURY_ROCK: Rgb = (0.53, 0.53, 0.53)
MOON_HIGHLAND: Rgb = (0.66, 0.65, 0.63)
MOON_MARE: Rgb = (0.33, 0.33, 0.34)
ICE_GIANT_MIDDLE: Rgb = (0.42, 0.64, 0.86)
"""Uranus and Neptune are each jittered towards this shared colour, so colour alone is ambiguous."""
NEPTUNE_BLUE: Rgb = (0.20, 0.36, 0.84)
NEPTUNE_SPOT: Rgb = (0.08, 0.14, 0.42)
URANUS_CYAN: Rgb = (0.64, 0.86, 0.89)
PLUTO_PLAIN: Rgb = (0.64, 0.59, 0.56)
PLUTO_HEART: Rgb = (0.92, 0.91, 0.88)
PLUTO_DARK: Rgb = (0.28, 0.23, 0.21)
SATURN_RAMP: tuple[Rgb, ...] = ((0.78, 0.64, 0.42), (0.90, 0.80, 0.58), (0.95, 0.89, 0.70))
SATURN_POLE: Rgb = (0.62, 0.64, 0.60)
VENUS_RAMP: tuple[Rgb, ...] = ((0.80, 0.66, 0.45), (0.92, 0.77, 0.52), (0.97, 0.84, 0.60))
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
