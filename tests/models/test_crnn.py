import keras
import numpy as np
import pytest

from mer_keras.models.crnn import build_crnn
from mer_keras.specs import load_spec
from tests.models.harness import check_keras_model

SPEC = load_spec("crnn")


@pytest.fixture(scope="module")
def model():
    return build_crnn()


def test_input_is_time_by_mels(model):
    assert tuple(model.input_shape) == (None, 1292, 128)
    assert tuple(model.output_shape) == (None, 2)


def test_layers_match_spec_one_by_one(model):
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert len(layers) == len(SPEC["layers"])
    for layer, spec in zip(layers, SPEC["layers"]):
        assert isinstance(layer, getattr(keras.layers, spec["type"]))   # or a faster subclass of it
        config = layer.get_config()
        if spec["type"] == "Conv1D":
            assert config["filters"] == spec["filters"] and tuple(config["kernel_size"]) == (spec["kernel_size"],)
            assert config["activation"] == spec["activation"]
        elif spec["type"] == "MaxPooling1D":
            assert tuple(config["pool_size"]) == (spec["pool_size"],)
        elif spec["type"] == "Bidirectional":
            inner = layer.forward_layer
            assert isinstance(inner, keras.layers.LSTM) and spec["layer"] == "LSTM" and inner.units == spec["units"]
            assert inner.return_sequences == spec["return_sequences"]
        elif spec["type"] == "Dense":
            assert config["units"] == spec["units"] and config["activation"] == spec["activation"]
        elif spec["type"] == "Dropout":
            assert config["rate"] == spec["rate"]


def test_optimizer_learning_rate_and_loss(model):
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(SPEC["training"]["learning_rate"])
    assert model.loss == SPEC["training"]["loss"]


def test_parameter_count_is_far_from_claim(model):
    # The listed layers give 479,138 parameters; the note claims 5.8M.
    assert model.count_params() == 479_138
    assert SPEC["documented"]["claimed_parameters"] == 5_800_000


def test_time_steps_after_pooling(model):
    pooled = [layer for layer in model.layers if isinstance(layer, keras.layers.MaxPooling1D)]
    assert [layer.output.shape[1] for layer in pooled] == [645, 321, 159]


def test_opensmile_variant_builds():
    variant = SPEC["variants"]["opensmile"]["input"]
    model = build_crnn(variant["frames"], variant["features"])
    assert tuple(model.input_shape) == (None, 90, 260)
    assert model.predict(np.zeros((1, 90, 260), "float32"), verbose=0).shape == (1, 2)


def test_shared_model_checks(tmp_path):
    """Train step, save/load and get_config round-trips of the documented layers (on 64 frames x 16 mels)."""
    model = build_crnn(64, 16)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 64, 16)).astype("float32")
    measured = check_keras_model(model, x, rng.uniform(-1, 1, (8, 2)).astype("float32"), tmp_path)
    assert measured["outputs"].shape == (8, 2) and np.all(np.abs(measured["outputs"]) <= 1)


def test_lstm_implementations_compute_the_same_function():
    """The spec's lstm_implementation changes how the LSTM is computed, not what (same weights, same outputs)."""
    import numpy as np

    from mer_keras.models.projected_lstm import ProjectedLSTM

    small = SPEC | {"input": {"frames": 40, "features": 8}}
    keras.utils.set_random_seed(0)
    stock = build_crnn(spec=small | {"lstm_implementation": "keras"})
    fast = build_crnn(spec=small | {"lstm_implementation": "projected"})
    assert isinstance(fast.get_layer("bidirectional_6").forward_layer, ProjectedLSTM)
    assert type(stock.get_layer("bidirectional_6").forward_layer) is keras.layers.LSTM
    fast.set_weights(stock.get_weights())
    x = np.random.default_rng(0).standard_normal((3, 40, 8)).astype("float32")
    np.testing.assert_allclose(fast.predict(x, verbose=0), stock.predict(x, verbose=0), atol=1e-5)
