"""celestial: an image classifier from a folder of images to a served, containerized model."""

import os
from importlib.metadata import version

__version__ = version("celestial")

# TensorFlow's C++ start-up chatter (CPU feature notes, oneDNN) hides the messages that matter.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
