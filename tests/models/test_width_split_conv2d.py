"""WidthSplitConv2D computes keras.layers.Conv2D's function and gradients from the same weights."""

import keras
import numpy as np
import pytest

from mer_keras.models.width_split_conv2d import WidthSplitConv2D
from tests.models.harness import check_layer_config


def _pair(kernel, width, max_width, filters=6, padding="valid"):
    """A stock Conv2D and a WidthSplitConv2D with the same (random) kernel and bias, built for ``width`` bands."""
    stock = keras.layers.Conv2D(filters, kernel, padding=padding, activation="relu")
    split = WidthSplitConv2D(filters, kernel, padding=padding, activation="relu", max_width=max_width)
    shape = (None, 11, width, 2)
    stock.build(shape)
    split.build(shape)
    rng = np.random.default_rng(kernel[1])
    weights = [rng.standard_normal(w.shape).astype("float32") * 0.3 for w in stock.weights]
    stock.set_weights(weights)
    split.set_weights(weights)
    return stock, split


@pytest.mark.parametrize("kernel,width,max_width", [((3, 9), 16, 4), ((7, 67), 96, 38), ((2, 5), 5, 2)])
def test_same_outputs_and_gradients_as_conv2d(kernel, width, max_width):
    stock, split = _pair(kernel, width, max_width)
    if keras.backend.backend() == "jax":
        assert split._split()                      # the sliced path runs, not the stock one
    x = np.random.default_rng(0).standard_normal((3, 11, width, 2)).astype("float32")
    expected = np.asarray(stock(x))
    assert np.abs(expected).max() > 0.5
    np.testing.assert_allclose(np.asarray(split(x)), expected, atol=1e-5, rtol=1e-5)
    if keras.backend.backend() != "jax":
        return
    probe = np.random.default_rng(1).standard_normal(expected.shape).astype("float32")
    got, want = _gradients(split, x, probe), _gradients(stock, x, probe)
    assert all(np.abs(g).max() > 0 for g in want)
    for a, b in zip(got, want):                     # d/d kernel, d/d input
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-4, rtol=1e-4)


def _gradients(layer, x, probe):
    import jax

    def loss(kernel, v):
        out, _ = layer.stateless_call([kernel, layer.bias.value], [], v)
        return (out * probe).sum()

    return jax.grad(loss, argnums=(0, 1))(layer.kernel.value, x)


def test_narrow_kernels_and_other_paddings_run_the_stock_layer():
    for kernel, padding in (((3, 4), "valid"), ((3, 9), "same")):
        stock, split = _pair(kernel, 16, 4, padding=padding)
        assert not split._split()
        x = np.random.default_rng(2).standard_normal((2, 11, 16, 2)).astype("float32")
        np.testing.assert_array_equal(np.asarray(split(x)), np.asarray(stock(x)))


def test_an_input_of_unknown_width_builds_and_runs():
    inputs = keras.Input((11, None, 2))
    model = keras.Model(inputs, WidthSplitConv2D(3, (3, 9), max_width=4)(inputs))
    x = np.random.default_rng(4).standard_normal((2, 11, 16, 2)).astype("float32")
    assert model.predict(x, verbose=0).shape == (2, 9, 8, 3)


def test_bad_max_width_is_refused():
    with pytest.raises(ValueError, match="max_width"):
        WidthSplitConv2D(4, (3, 9), max_width=0)


def test_config_round_trip_and_reload(tmp_path):
    check_layer_config(WidthSplitConv2D(4, (3, 9), max_width=4, name="split"))
    inputs = keras.Input((11, 16, 1))
    model = keras.Model(inputs, WidthSplitConv2D(4, (3, 9), max_width=4)(inputs))
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    assert reloaded.layers[-1].max_width == 4
    x = np.random.default_rng(3).standard_normal((2, 11, 16, 1)).astype("float32")
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))
