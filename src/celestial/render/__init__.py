"""The synthetic celestial-bodies dataset, rendered so the project runs offline on a fresh clone.

Each image is a sphere on a black background, ray-traced per pixel with numpy: the pixel's surface
normal is rotated into the body's own frame, a class-typical procedural surface (3-D value-noise
fBm, bands, craters, spots) is sampled there, and the result is shaded by a random light.
Orientation, light, size, position, colour and noise are random per image, so the classifier has to
learn the surfaces rather than one picture per class.

Image i of a body depends only on (seed, body, i): its generator is
`np.random.default_rng([seed, body_index, i])`, so renders are byte-identical whatever else is
rendered alongside them.
"""

from celestial.render.bodies import ALL_BODIES, KNOWN_BODIES, NOVEL_BODIES
from celestial.render.scene import render_body
from celestial.render.writer import render_dataset

__all__ = ["ALL_BODIES", "KNOWN_BODIES", "NOVEL_BODIES", "render_body", "render_dataset"]
