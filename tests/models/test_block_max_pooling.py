"""BlockMaxPooling1D computes keras.layers.MaxPooling1D's function and gradient (ties included)."""

import keras
import numpy as np
import pytest

from mer_keras.models.block_max_pooling import BlockMaxPooling1D
from tests.models.harness import check_layer_config


def _grad(layer, x, weights):
    """d/dx of sum(weights * layer(x)), through the backend's autodiff."""
    if keras.backend.backend() != "jax":
        pytest.skip("the fast path is JAX-only; other backends run the stock layer")
    import jax

    return np.asarray(jax.grad(lambda v: (layer(v) * weights).sum())(x))


@pytest.mark.parametrize("steps,pool", [(11, 2), (12, 3), (9, 4)])
def test_same_values_and_gradients_as_keras_max_pooling(steps, pool):
    rng = np.random.default_rng(steps)
    x = rng.standard_normal((3, steps, 5)).astype("float32")
    x[:, 1] = x[:, 0]          # ties inside windows: the gradient goes to the first maximum
    x[0, :] = 0.0              # whole windows of equal values (as after a ReLU)
    stock, fast = keras.layers.MaxPooling1D(pool), BlockMaxPooling1D(pool)
    np.testing.assert_array_equal(np.asarray(fast(x)), np.asarray(stock(x)))
    weights = rng.standard_normal(np.asarray(stock(x)).shape).astype("float32")
    expected = _grad(stock, x, weights)
    assert np.abs(expected).sum() > 0
    np.testing.assert_array_equal(_grad(fast, x, weights), expected)


def test_overlapping_windows_fall_back_to_the_stock_layer():
    x = np.random.default_rng(0).standard_normal((2, 10, 3)).astype("float32")
    fast = BlockMaxPooling1D(3, strides=1)
    assert not fast._fast()
    np.testing.assert_array_equal(np.asarray(fast(x)), np.asarray(keras.layers.MaxPooling1D(3, strides=1)(x)))


def test_config_round_trip_and_reload(tmp_path):
    check_layer_config(BlockMaxPooling1D(2, name="pool"))
    inputs = keras.Input((8, 2))
    model = keras.Model(inputs, BlockMaxPooling1D(2)(inputs))
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(1).standard_normal((2, 8, 2)).astype("float32")
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))
