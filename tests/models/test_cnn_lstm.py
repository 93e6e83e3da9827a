import numpy as np
import pytest

from mer_keras.models.registry import build_model, model_spec
from mer_keras.errors import MerError
from mer_keras.specs import load_spec
from tests.models.harness import check_keras_model

SPEC = load_spec("cnn_lstm")


def test_default_input_is_the_speech_logmel():
    features = load_spec("features")["speech"]["logmel"]
    assert (SPEC["input"]["frames"], SPEC["input"]["features"]) == (features["frames"], features["n_mels"])
    assert 1 + int(features["duration"] * features["sample_rate"]) // features["hop_length"] == features["frames"]


def test_builds_trains_a_step_saves_and_reloads(tmp_path):
    model = build_model("cnn_lstm", 41, 16, model_spec("cnn_lstm"))
    assert tuple(model.output_shape) == (None, 6)
    assert model.loss == "sparse_categorical_crossentropy"
    assert [type(layer).__name__ for layer in model.layers].count("Conv2D") == len(SPEC["conv_blocks"])
    assert any(type(layer).__name__ == "LSTM" for layer in model.layers)
    x = np.random.default_rng(0).standard_normal((8, 41, 16)).astype("float32")
    measured = check_keras_model(model, x, np.arange(8) % 6, tmp_path)
    np.testing.assert_allclose(measured["outputs"].sum(axis=1), 1.0, rtol=1e-5)
    assert "accuracy" in measured["logged"]


def test_waveform_input_is_refused():
    with pytest.raises(MerError, match="spectrogram"):
        build_model("cnn_lstm", 64000, 1, model_spec("cnn_lstm"))
