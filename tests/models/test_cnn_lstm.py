import keras
import numpy as np
import pytest

from mer_keras.models.registry import build_model, model_spec
from mer_keras.errors import MerError
from mer_keras.specs import load_spec

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
    y = np.arange(8) % 6
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and "accuracy" in history.history
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), probabilities, rtol=1e-5, atol=1e-6)


def test_waveform_input_is_refused():
    with pytest.raises(MerError, match="spectrogram"):
        build_model("cnn_lstm", 64000, 1, model_spec("cnn_lstm"))
