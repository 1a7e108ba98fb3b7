"""The network: training and serving models share weights; LiteRT computes what Keras does."""

import numpy as np
import pytest

from celestial.inference import LiteModel
from celestial.pipeline.network import build_model, to_tflite
from conftest import TINY_TRAINING, project_params


@pytest.fixture(scope="module")
def networks():
    params = project_params(TINY_TRAINING)
    return build_model(
        num_classes=4, image_size=32, params=params.train, seed=0, steps_per_epoch=10
    )


def test_serving_model_shares_the_training_weights(networks) -> None:
    images = np.random.default_rng(0).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    served = networks.serving(images, training=False)
    trained = networks.training(images, training=False)
    assert np.allclose(served["probabilities"], trained, atol=1e-6)
    assert served["embedding"].shape == (5, 16)
    training_weights = {id(w) for w in networks.training.weights}
    assert all(id(w) in training_weights for w in networks.serving.weights)


def test_lite_model_computes_what_keras_computes(networks) -> None:
    lite = LiteModel(to_tflite(networks.serving))
    assert lite.input_shape == (32, 32, 3)
    for batch in (1, 7, 64):
        images = np.random.default_rng(batch).integers(0, 256, (batch, 32, 32, 3), dtype=np.uint8)
        expected = networks.serving(images, training=False)
        outputs = lite.outputs(images)
        assert set(outputs) == {"probabilities", "embedding"}
        for name in outputs:
            assert np.allclose(outputs[name], expected[name], atol=1e-5), name


def test_lite_model_rejects_the_wrong_input(networks) -> None:
    lite = LiteModel(to_tflite(networks.serving))
    with pytest.raises(ValueError, match=r"expected uint8 images of shape \(32, 32, 3\)"):
        lite.outputs(np.zeros((1, 64, 64, 3), np.uint8))
    with pytest.raises(ValueError, match="got float32"):
        lite.outputs(np.zeros((1, 32, 32, 3), np.float32))
