"""celestial: an image classifier from a folder of images to a served, containerized model.

The modules here are the model's contract, shared by both sides and stored with the model:
imaging (bytes -> image), preprocessing (image -> input, output -> labelled result), novelty,
inference (the one prediction path) and store (the BentoML model store). `pipeline` trains,
`serving` serves, `render` makes the default data.
"""

import os
from importlib.metadata import version

__version__ = version("celestial")

# TensorFlow's C++ start-up chatter (CPU feature notes, oneDNN) hides the messages that matter.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
