"""crnn_gan's model (mer_keras/models/vit_gan.py: build_crop_model with specs/crnn_gan.yaml): the documented CRNN's
layers on 128-frame crops, a clip heard as the mean over its crops, every layer config-complete; the spec is
specs/crnn.yaml's CRNN but for the crop."""

from __future__ import annotations

import copy

import keras
import numpy as np
import pytest

from mer_keras.errors import SpecError
from mer_keras.models.crnn import build_crnn
from mer_keras.models.registry import build_model, get_row, models_on_crops, resolved_spec
from mer_keras.models.vit_gan import build_crop_model, crop_backbone, crop_starts
from mer_keras.specs import load_spec

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return build_model("crnn_gan", 128, 128, resolved_spec("crnn_gan", "mel"))


def test_builds_the_documented_crnn_on_crops(model):
    inner = model.get_layer("crnn_on_crops")
    assert tuple(inner.inputs[0].shape) == (None, 128, 128)
    assert model.count_params() == build_crnn(128, 128).count_params() == 479_138
    kinds = [layer.__class__.__name__.replace("BlockMaxPooling1D", "MaxPooling1D") for layer in inner.layers[1:]]
    assert kinds == ["Conv1D", "MaxPooling1D"] * 3 + ["Bidirectional"] * 2 + ["Dense", "Dropout", "Dense"]
    assert model.predict(RNG.standard_normal((2, 1292, 128)).astype("float32"), verbose=0).shape == (2, 2)
    row = get_row("crnn_gan")
    assert row.trainer == get_row("vit_gan").trainer and set(models_on_crops()) == {"vit_gan", "crnn_gan"}


def test_clip_output_is_the_mean_over_its_crops(model, tmp_path):
    inner = model.get_layer("crnn_on_crops")
    clips = RNG.standard_normal((3, 300, 128)).astype("float32")
    starts = crop_starts(300, 128)
    crops = np.stack([clips[:, s:s + 128] for s in starts], axis=1).reshape(-1, 128, 128)
    expected = np.asarray(inner.predict(crops, verbose=0)).reshape(3, len(starts), 2).mean(axis=1)
    assert len(starts) == 3
    assert np.allclose(model.predict(clips, verbose=0), expected, atol=1e-5)
    single = clips[:, :128]
    assert np.allclose(model.predict(single, verbose=0), inner.predict(single, verbose=0), atol=1e-6)
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    assert np.allclose(loaded.predict(clips, verbose=0), model.predict(clips, verbose=0), atol=1e-6)


def _layers(layer):
    yield layer
    for child in getattr(layer, "layers", []):
        yield from _layers(child)
    for name in ("forward_layer", "backward_layer"):       # Bidirectional's two LSTMs
        if hasattr(layer, name):
            yield getattr(layer, name)


def test_every_layer_round_trips_its_config(model):
    checked = 0
    for layer in _layers(model):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        config = layer.get_config()
        rebuilt = layer.__class__.from_config(copy.deepcopy(config))     # from_config may consume its argument
        assert rebuilt.get_config() == config, layer.name
        checked += 1
    assert checked >= 14
    assert keras.Model.from_config(model.get_config()).count_params() == model.count_params()


def test_spec_is_the_crnns_but_for_the_crop():
    crnn, crnn_gan = load_spec("crnn"), load_spec("crnn_gan")
    assert crnn_gan["layers"] == crnn["layers"] and crnn_gan["training"] == crnn["training"]
    assert crnn_gan["lstm_implementation"] == crnn["lstm_implementation"]
    assert crnn_gan["input"] == crnn["input"]
    assert crnn_gan["crop"]["frames"] == load_spec("gan")["crop"]["frames"] == load_spec("vit_gan")["crop"]["frames"]
    assert crop_backbone(crnn_gan) == "crnn" and crop_backbone(load_spec("vit_gan")) == "vit"
    assert {k: v for k, v in crnn_gan["synthetic"].items()} == load_spec("vit_gan")["synthetic"]


def test_weights_for_a_backbone_without_them_is_one_error():
    with pytest.raises(SpecError, match="--weights does not apply to model crnn_gan"):
        build_crop_model(spec=load_spec("crnn_gan"), weights="some.weights.h5")
