"""MultiLengthConv2D equals three 'same' Conv2D layers side by side, in outputs and gradients."""

import keras
import numpy as np
import pytest

from mer_keras.models.multi_length_conv2d import MultiLengthConv2D
from tests.models.harness import check_layer_config

LENGTHS = (8, 5, 2)       # even and odd lengths: 'same' pads them differently


def _layers(lengths=LENGTHS, filters=3, channels=2):
    """The merged layer and the stock Conv2D per length, with the same random kernels and biases."""
    merged = MultiLengthConv2D(filters, lengths, activation="relu")
    merged.build((None, 13, 4, channels))
    stock = []
    rng = np.random.default_rng(0)
    for index, length in enumerate(lengths):
        conv = keras.layers.Conv2D(filters, (length, 1), padding="same", activation="relu")
        conv.build((None, 13, 4, channels))
        weights = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in conv.weights]
        conv.set_weights(weights)
        merged.kernels[index].assign(weights[0])
        merged.biases[index].assign(weights[1])
        stock.append(conv)
    return merged, stock


def test_same_outputs_as_the_separate_convolutions():
    merged, stock = _layers()
    x = np.random.default_rng(1).standard_normal((3, 13, 4, 2)).astype("float32")
    expected = np.concatenate([np.asarray(conv(x)) for conv in stock], axis=-1)
    assert expected.shape == (3, 13, 4, 9) and np.abs(expected).max() > 0.5
    np.testing.assert_allclose(np.asarray(merged(x)), expected, atol=1e-6, rtol=1e-6)
    assert merged.compute_output_shape((None, 13, 4, 2)) == (None, 13, 4, 9)


def test_gradients_reach_each_kernel_as_in_the_separate_convolutions():
    if keras.backend.backend() != "jax":
        pytest.skip("gradients taken with jax.grad")
    import jax

    merged, stock = _layers()
    x = np.random.default_rng(2).standard_normal((2, 13, 4, 2)).astype("float32")
    probe = np.random.default_rng(3).standard_normal((2, 13, 4, 9)).astype("float32")

    def merged_loss(variables):
        out, _ = merged.stateless_call(variables, [], x)
        return (out * probe).sum()

    got = jax.grad(merged_loss)([v.value for v in merged.trainable_variables])
    for index, conv in enumerate(stock):
        part = probe[..., 3 * index:3 * index + 3]

        def stock_loss(variables, conv=conv, part=part):
            out, _ = conv.stateless_call(variables, [], x)
            return (out * part).sum()

        want = jax.grad(stock_loss)([v.value for v in conv.trainable_variables])
        assert np.abs(np.asarray(want[0])).max() > 0
        by_name = dict(zip([v.name for v in merged.trainable_variables], got))
        length = LENGTHS[index]
        np.testing.assert_allclose(np.asarray(by_name[f"kernel_{length}"]), np.asarray(want[0]), atol=1e-5, rtol=1e-5)
        np.testing.assert_allclose(np.asarray(by_name[f"bias_{length}"]), np.asarray(want[1]), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("filters,lengths", [(0, (3,)), (2, ()), (2, (3, 3)), (2, (0, 2))])
def test_bad_arguments_are_refused(filters, lengths):
    with pytest.raises(ValueError, match="MultiLengthConv2D"):
        MultiLengthConv2D(filters, lengths)


def test_config_round_trip_and_reload(tmp_path):
    check_layer_config(MultiLengthConv2D(3, LENGTHS, activation="relu", name="temporal"))
    inputs = keras.Input((13, 4, 1))
    model = keras.Model(inputs, MultiLengthConv2D(3, LENGTHS, activation="relu")(inputs))
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    assert reloaded.layers[-1].lengths == LENGTHS
    x = np.random.default_rng(4).standard_normal((2, 13, 4, 1)).astype("float32")
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))
