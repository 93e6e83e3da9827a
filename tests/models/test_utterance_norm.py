"""UtteranceStandardization: each clip standardised over its own frames; config-complete; saved with a model."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from mer_keras.models.utterance_norm import UtteranceStandardization, with_utterance_norm  # noqa: E402
from mer_keras.training.protocols import ablate, training_plan  # noqa: E402

SPEC_TRAINING = {"optimizer": "adam", "learning_rate": 1e-3, "loss": "sparse_categorical_crossentropy",
                 "epochs": 3, "batch_size": 4, "early_stopping": {"patience": 2}}


def test_each_clip_and_feature_has_zero_mean_and_unit_spread_over_time():
    rng = np.random.default_rng(0)
    clips = (rng.normal(size=(3, 50, 4)) * [1, 5, 0.1, 2] + [10, -3, 0, 40]).astype("float32")
    clips[1] += 25.0                                           # a louder clip: its offset is removed
    out = keras.ops.convert_to_numpy(UtteranceStandardization(epsilon=0.0)(clips))
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=1), 1.0, atol=1e-3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(UtteranceStandardization(epsilon=0.0)(clips[1:2] - 25.0)),
                               out[1:2], atol=1e-4)


def test_a_constant_feature_maps_to_zero_not_nan():
    out = keras.ops.convert_to_numpy(UtteranceStandardization()(np.ones((1, 10, 2), "float32")))
    assert np.all(out == 0.0)


def test_config_round_trip_and_saved_model(tmp_path):
    layer = UtteranceStandardization(epsilon=0.01, scale=False, name="u")
    again = UtteranceStandardization.from_config(layer.get_config())
    assert (again.epsilon, again.scale, again.name) == (0.01, False, "u")
    inner = keras.Sequential([keras.Input((20, 3)), keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2)])
    model = with_utterance_norm(inner)
    x = np.random.default_rng(1).normal(size=(2, 20, 3)).astype("float32") * 4 + 7
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert loaded.get_layer("utterance_norm").scale is True


def test_the_protocol_switches_it_per_model_and_the_ablation_turns_it_off():
    assert training_plan("documented", "cnn_lstm", "emotion", SPEC_TRAINING)["utterance_norm"] is False
    assert training_plan("tuned", "crnn", "va", SPEC_TRAINING)["utterance_norm"] is False
    assert ablate({"utterance_norm": True}, ["utterance_norm"])["utterance_norm"] is False
    assert ablate({"utterance_norm": True}, ["mixup"])["utterance_norm"] is True


def test_batchnorm_momentum_reaches_nested_layers_and_is_saved(tmp_path):
    from mer_keras.errors import SpecError
    from mer_keras.models.batchnorm import batchnorm_layers, set_batchnorm_momentum

    inner = keras.Sequential([keras.Input((20, 3)), keras.layers.BatchNormalization(), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    model = with_utterance_norm(inner)
    assert set_batchnorm_momentum(model, 0.9) == 1
    assert [layer.momentum for layer in batchnorm_layers(model)] == [0.9]
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert [layer.momentum for layer in batchnorm_layers(loaded)] == [0.9]
    with pytest.raises(SpecError, match="must be in"):
        set_batchnorm_momentum(model, 1.0)
    plan = training_plan("tuned", "crnn", "va", SPEC_TRAINING)
    assert plan["batchnorm_momentum"] is None
    assert ablate({"batchnorm_momentum": 0.9}, ["batchnorm_momentum"])["batchnorm_momentum"] is None


def test_the_training_step_uses_the_momentum_set_after_build():
    from mer_keras.models.batchnorm import batchnorm_layers, set_batchnorm_momentum

    model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    set_batchnorm_momentum(model, 0.0)             # after compile, before the first step is traced
    x = np.random.default_rng(2).normal(loc=5.0, size=(16, 3)).astype("float32")
    model.train_on_batch(x, np.zeros((16, 1), "float32"))
    moving_mean = keras.ops.convert_to_numpy(batchnorm_layers(model)[0].moving_mean)
    np.testing.assert_allclose(moving_mean, x.mean(axis=0), rtol=1e-5)
