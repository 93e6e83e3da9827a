"""vit_gan's model (mer_keras/models/vit_gan.py): crops cover the clip, the clip's output is the mean over its
crops, a crop is its own clip; the saved model keeps it; specs/vit_gan.yaml is specs/vit.yaml's ViT but for
the numbers scaled to crops."""

from __future__ import annotations

import copy

import keras
import numpy as np
import pytest

from mer_keras.models.vit_gan import build_vit_gan, crop_starts
from mer_keras.specs import load_spec

RNG = np.random.default_rng(0)


def tiny_spec() -> dict:
    spec = copy.deepcopy(load_spec("vit_gan"))
    spec["crop"]["frames"] = 16
    spec["model"].update(patch=[4, 8], num_layers=1, hidden_dim=8, num_heads=2, mlp_dim=8, dropout_rate=0.0,
                         head_dropout=0.0)
    return spec


def test_crop_starts_cover_the_clip():
    assert crop_starts(1292, 128) == [0, 116, 233, 349, 466, 582, 698, 815, 931, 1048, 1164]
    assert crop_starts(128, 128) == [0] and crop_starts(50, 128) == [0]
    for frames in (129, 300, 1292):
        starts = crop_starts(frames, 128)
        assert starts[-1] + 128 == frames and all(b - a <= 128 for a, b in zip(starts, starts[1:]))


def test_clip_output_is_the_mean_over_its_crops(tmp_path):
    keras.utils.set_random_seed(0)
    model = build_vit_gan(spec=tiny_spec(), features=8)
    inner = model.get_layer("vit_on_crops")
    clips = RNG.standard_normal((3, 40, 8)).astype("float32")
    starts = crop_starts(40, 16)
    crops = np.stack([clips[:, s:s + 16] for s in starts], axis=1).reshape(-1, 16, 8)
    expected = np.asarray(inner.predict(crops, verbose=0)).reshape(3, len(starts), 2).mean(axis=1)
    assert np.allclose(model.predict(clips, verbose=0), expected, atol=1e-5)
    single = clips[:, :16]
    assert np.allclose(model.predict(single, verbose=0), inner.predict(single, verbose=0), atol=1e-6)
    assert model.predict(clips[:, :5], verbose=0).shape == (3, 2)           # shorter than a crop: padded
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    assert np.allclose(loaded.predict(clips, verbose=0), model.predict(clips, verbose=0), atol=1e-6)


def test_spec_is_the_vits_but_for_crops():
    vit, vit_gan, gan = load_spec("vit")["model"], load_spec("vit_gan")["model"], load_spec("gan")
    assert load_spec("vit_gan")["crop"]["frames"] == gan["crop"]["frames"]
    differing = {key for key in set(vit) | set(vit_gan) if vit.get(key) != vit_gan.get(key)}
    assert differing == {"patch", "augmentation"}
    assert {k for k in vit["augmentation"] if vit["augmentation"][k] != vit_gan["augmentation"][k]} == {"time_width"}
    assert load_spec("vit_gan")["training"] == load_spec("vit")["training"]


@pytest.mark.parametrize("frames", [128])
def test_default_patch_divides_the_crop(frames):
    patch = load_spec("vit_gan")["model"]["patch"]
    assert frames % patch[1] == 0 and load_spec("vit_gan")["input"]["features"] % patch[0] == 0
