"""ProjectedLSTM computes keras.layers.LSTM's function (outputs and gradients) with the same weights."""

import keras
import numpy as np
import pytest

from mer_keras.models.projected_lstm import ProjectedLSTM
from tests.models.harness import check_layer_config


def _pair(**kwargs):
    inputs = keras.Input((17, 5))
    stock = keras.Model(inputs, keras.layers.LSTM(6, **kwargs)(inputs))
    fast = keras.Model(inputs, ProjectedLSTM(6, **kwargs)(inputs))
    fast.set_weights(stock.get_weights())
    return stock, fast


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_same_outputs_as_keras_lstm(return_sequences, go_backwards):
    keras.utils.set_random_seed(3)
    stock, fast = _pair(return_sequences=return_sequences, go_backwards=go_backwards)
    x = np.random.default_rng(0).standard_normal((4, 17, 5)).astype("float32")
    np.testing.assert_allclose(fast.predict(x, verbose=0), stock.predict(x, verbose=0), atol=1e-5)


def test_same_gradients_as_keras_lstm():
    keras.utils.set_random_seed(4)
    stock, fast = _pair(return_sequences=False)
    for model in (stock, fast):
        model.compile(optimizer=keras.optimizers.SGD(1.0), loss="mse")
    x = np.random.default_rng(1).standard_normal((4, 17, 5)).astype("float32")
    y = np.random.default_rng(2).standard_normal((4, 6)).astype("float32")
    before = [w.copy() for w in stock.get_weights()]
    stock.train_on_batch(x, y)
    fast.train_on_batch(x, y)
    # one SGD step with lr 1: the weight change is the gradient
    for w0, a, b in zip(before, stock.get_weights(), fast.get_weights()):
        assert np.abs(a - w0).max() > 0
        np.testing.assert_allclose(b - w0, a - w0, atol=1e-5)


def test_bidirectional_config_round_trip_and_reload(tmp_path):
    inputs = keras.Input((9, 3))
    model = keras.Model(inputs, keras.layers.Bidirectional(ProjectedLSTM(4, return_sequences=True))(inputs))
    x = np.random.default_rng(0).standard_normal((2, 9, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    layer = ProjectedLSTM(4, return_sequences=True)
    check_layer_config(layer)


def test_masked_input_falls_back_to_the_stock_loop():
    inputs = keras.Input((6, 2))
    masked = keras.layers.Masking(0.0)(inputs)
    stock = keras.Model(inputs, keras.layers.LSTM(3)(masked))
    fast = keras.Model(inputs, ProjectedLSTM(3)(masked))
    fast.set_weights(stock.get_weights())
    x = np.random.default_rng(0).standard_normal((2, 6, 2)).astype("float32")
    x[:, 4:] = 0.0
    np.testing.assert_allclose(fast.predict(x, verbose=0), stock.predict(x, verbose=0), atol=1e-5)
