"""``--model musicnn`` (issue 19, point 3): musicnn's backbone on patches, averaged, and a regression head, with the
backbone frozen (pretrained, not trained), fine-tuned (pretrained, a tenth of the head's learning rate) or from
scratch (random, the control)."""

from __future__ import annotations

import copy
import importlib.util

import keras
import numpy as np
import pytest

from mer_keras.errors import MerError, SpecError
from mer_keras.models import musicnn as musicnn_module
from mer_keras.models import musicnn_convert
from mer_keras.models.musicnn_regressor import (
    BACKBONE_LAYER,
    LayerRateAdam,
    PatchPooling,
    backbone_weights,
    build_musicnn_regressor,
    with_layer_rates,
)
from mer_keras.specs import load_spec
from tests.models.harness import check_keras_model, check_layer_config, infer

needs_musicnn = pytest.mark.skipif(importlib.util.find_spec("musicnn") is None,
                                   reason=f"musicnn wheel not installed ({musicnn_convert.INSTALL})")
FRAMES = 400        # two 187-frame patches (and 26 frames left over)


def clips(n: int = 4, frames: int = FRAMES, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, 4, (n, frames, 96)).astype(np.float32),
            rng.uniform(-0.8, 0.8, (n, 2)).astype(np.float32))


def patch_model(frames: int = 5, bands: int = 3, units: int = 4):
    inputs = keras.Input((frames, bands))
    outputs = keras.layers.Dense(units, name="patch_dense")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, outputs, name="patch_model")


# --- the layers ------------------------------------------------------------------------------------------------

def test_patch_pooling_config_round_trips():
    layer = PatchPooling(patch_model(), patch_frames=5, patch_hop=3, crops=2, seed=7, name="pool")
    check_layer_config(layer)
    assert {k: layer.get_config()[k] for k in ("patch_frames", "patch_hop", "crops", "seed")} == \
        {"patch_frames": 5, "patch_hop": 3, "crops": 2, "seed": 7}


def test_patch_pooling_averages_every_patch_outside_training_and_crops_in_training():
    inner = patch_model()
    layer = PatchPooling(inner, patch_frames=5, patch_hop=3, crops=3, seed=1)
    x = np.random.default_rng(0).normal(size=(2, 12, 3)).astype(np.float32)     # patches at 0, 3, 6 (9 + 5 > 12)
    expected = np.mean([np.asarray(inner(x[:, s:s + 5])) for s in (0, 3, 6)], axis=0)
    np.testing.assert_allclose(np.asarray(layer(x, training=False)), expected, rtol=1e-5, atol=1e-6)
    assert layer.patch_starts(12) == [0, 3, 6]
    crops = np.asarray(layer(x, training=True))
    assert crops.shape == (2, 4) and np.all(np.isfinite(crops))
    every_crop = [np.asarray(inner(x[:, s:s + 5])) for s in range(8)]
    for row in range(2):    # a mean of 3 of the 8 possible crops of that clip: inside their range
        values = np.stack([c[row] for c in every_crop])
        assert np.all(crops[row] >= values.min(axis=0) - 1e-5) and np.all(crops[row] <= values.max(axis=0) + 1e-5)
    exact = PatchPooling(inner, patch_frames=5, crops=2)         # one possible crop: training = inference
    np.testing.assert_allclose(np.asarray(exact(x[:, :5], training=True)), np.asarray(exact(x[:, :5], training=False)),
                               rtol=1e-5)


def test_layer_rate_adam_scales_the_step_of_the_named_layers():
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(1, name="head")(keras.layers.Dense(3, name="body")(inputs))
    model = keras.Model(inputs, outputs)
    optimizer = LayerRateAdam(learning_rate=0.01, multipliers={"body": 0.1})
    model.compile(optimizer=optimizer, loss="mse")
    before = {w.path: np.array(w) for w in model.trainable_weights}
    x, y = np.ones((4, 3), np.float32), np.full((4, 1), 5.0, np.float32)
    model.train_on_batch(x, y)
    step = {path: np.abs(np.array(w) - before[path]).max() for path, w in ((w.path, w) for w in model.trainable_weights)}
    # Adam's first step is the learning rate per coordinate, whatever the gradient's size
    assert step["head/kernel"] == pytest.approx(0.01, rel=1e-3)
    assert step["body/kernel"] == pytest.approx(0.001, rel=1e-3)
    config = optimizer.get_config()
    assert config["multipliers"] == {"body": 0.1}
    assert LayerRateAdam.from_config(copy.deepcopy(config)).get_config() == config


def test_layer_rates_carry_over_to_another_optimizer():
    schedule = keras.optimizers.schedules.CosineDecay(0.0, 100, warmup_target=5e-4, warmup_steps=10)
    tuned = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=1e-4, clipnorm=1.0)
    carried = LayerRateAdam(multipliers={"dense": 0.1}).carry_over(tuned)
    assert isinstance(carried, LayerRateAdam) and carried.multipliers == {"dense": 0.1}
    assert carried.weight_decay == pytest.approx(1e-4) and carried.clipnorm == 1.0
    assert isinstance(carried._learning_rate, keras.optimizers.schedules.CosineDecay)
    assert with_layer_rates(keras.optimizers.Adam(0.002), {}).get_config()["learning_rate"] == pytest.approx(0.002)


# --- the model ---------------------------------------------------------------------------------------------------

def test_scratch_trains_saves_loads_and_round_trips(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("--backbone scratch read the checkpoint")

    monkeypatch.setattr(musicnn_module, "load_musicnn", refuse)
    monkeypatch.setattr(musicnn_convert, "read_checkpoint", refuse)
    monkeypatch.setattr(musicnn_convert, "assign_checkpoint", refuse)
    model = build_musicnn_regressor(FRAMES, 96, backbone="scratch")
    assert model.get_layer(BACKBONE_LAYER).layer.trainable
    assert not isinstance(model.optimizer, LayerRateAdam)
    x, y = clips()
    check_keras_model(model, x, y, tmp_path, batch_size=2)
    assert model.output.shape == (None, 2) and model.input.shape == (None, FRAMES, 96)


def test_inputs_other_than_musicnn_mel_and_unknown_modes_are_refused():
    with pytest.raises(SpecError, match="leave --features out"):
        build_musicnn_regressor(1292, 128, backbone="scratch")
    with pytest.raises(SpecError, match="at least 187 frames"):
        build_musicnn_regressor(100, 96, backbone="scratch")
    with pytest.raises(SpecError, match="frozen, finetune, scratch"):
        build_musicnn_regressor(FRAMES, 96, backbone="melted")


def test_default_input_is_thirty_seconds_and_default_mode_frozen(monkeypatch):
    seen = {}
    real = musicnn_module.build_musicnn

    def fake_load(weights_name, cache_dir=None):     # no checkpoint needed to check the defaults
        seen["weights"] = weights_name
        return real(weights_name)

    monkeypatch.setattr(musicnn_module, "load_musicnn", fake_load)
    model = build_musicnn_regressor()
    assert model.input.shape == (None, 1876, 96) and model.name == "musicnn_frozen"
    assert seen["weights"] == load_spec("musicnn")["model"]["weights"] == "MSD_musicnn"
    assert not model.get_layer(BACKBONE_LAYER).layer.trainable


def test_pretrained_modes_without_the_wheel_say_how_to_install(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "musicnn" else real(name, *a))
    monkeypatch.setenv("MER_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(MerError, match=r"pip install --no-deps musicnn==0\.1\.0"):
        build_musicnn_regressor(FRAMES, 96, backbone="finetune")


@needs_musicnn
def test_frozen_trains_the_head_only_with_the_checkpoints_backbone(tmp_path):
    """(The checkpoint is converted from the wheel into the test's own $MER_CACHE, tests/conftest.py.)"""
    from mer_keras.models.registry import register_custom_layers

    model = build_musicnn_regressor(FRAMES, 96, backbone="frozen")
    tagger = musicnn_module.load_musicnn("MSD_musicnn")       # converted in memory from the wheel
    start = backbone_weights(model)
    for ours, theirs in zip(start, [np.array(w) for w in tagger.weights]):
        np.testing.assert_array_equal(ours, theirs)         # the checkpoint's weights, in the same order
    head = [np.array(w) for w in model.get_layer("valence_arousal").weights]
    x, y = clips()
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    for before, after in zip(start, backbone_weights(model)):   # kernels and batch-norm statistics alike
        np.testing.assert_array_equal(before, after)
    assert any(not np.array_equal(a, np.array(b)) for a, b in zip(head, model.get_layer("valence_arousal").weights))
    trainable = {w.path.split("/")[0] for w in model.trainable_weights}
    assert trainable == {"head_dense", "valence_arousal"}

    register_custom_layers()
    model.save(tmp_path / "frozen.keras")
    again = keras.models.load_model(tmp_path / "frozen.keras", safe_mode=True)
    assert len(again.trainable_weights) == len(model.trainable_weights) == 4
    np.testing.assert_allclose(infer(again, x), infer(model, x), rtol=1e-5, atol=1e-6)


@needs_musicnn
def test_finetune_moves_the_backbone_at_a_tenth_of_the_heads_rate(tmp_path):
    from mer_keras.models.registry import register_custom_layers

    model = build_musicnn_regressor(FRAMES, 96, backbone="finetune")
    assert isinstance(model.optimizer, LayerRateAdam)
    assert set(model.optimizer.multipliers.values()) == {0.1} and "head_dense" not in model.optimizer.multipliers
    inner = model.get_layer(BACKBONE_LAYER).layer
    start = {w.path: np.array(w) for w in inner.trainable_weights}
    head = {w.path: np.array(w) for w in model.get_layer("head_dense").trainable_weights}
    x, y = clips()
    model.train_on_batch(x, y)          # one Adam step: each weight moves by about its learning rate
    backbone_step = max(np.abs(np.array(w) - start[w.path]).max() for w in inner.trainable_weights)
    head_step = max(np.abs(np.array(w) - head[w.path]).max() for w in model.get_layer("head_dense").trainable_weights)
    assert backbone_step > 0
    assert backbone_step == pytest.approx(1e-4, rel=0.05) and head_step == pytest.approx(1e-3, rel=0.05)

    register_custom_layers()            # resuming from last.keras keeps the per-layer rates
    model.save(tmp_path / "finetune.keras")
    again = keras.models.load_model(tmp_path / "finetune.keras", safe_mode=True)
    assert isinstance(again.optimizer, LayerRateAdam) and again.optimizer.multipliers == model.optimizer.multipliers
