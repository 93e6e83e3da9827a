import keras
import keras_hub
import numpy as np
import pytest

from mer_keras.errors import MerError
from mer_keras.models.vit import build_vit, patch_grid, pretrained_target
from mer_keras.specs import load_spec
from tests.models.harness import check_keras_model
from tests.models.transformer_helpers import infer
from tests.models.transformer_helpers import tiny_spec as shared_tiny_spec

TINY = {"patch": [8, 16], "num_layers": 1, "hidden_dim": 16, "num_heads": 2, "mlp_dim": 32, "dropout_rate": 0.0,
        "head_dropout": 0.0, "augmentation": {"time_masks": 1, "time_width": 8, "freq_masks": 1, "freq_width": 4}}
RNG = np.random.default_rng(0)


X = RNG.standard_normal((4, 64, 16)).astype("float32")
Y = RNG.uniform(-1, 1, (4, 2)).astype("float32")


def tiny_spec(**model):
    return shared_tiny_spec("vit", TINY, **model)


@pytest.fixture(scope="module")
def model():
    return build_vit(spec=tiny_spec())


def test_builds_from_config(model):
    assert tuple(model.input_shape) == (None, 64, 16) and tuple(model.output_shape) == (None, 2)
    backbone = model.get_layer("vit_backbone")
    assert isinstance(backbone, keras_hub.models.ViTBackbone)
    assert tuple(backbone.image_shape) == (16, 64, 1) and tuple(backbone.patch_size) == (8, 16)
    assert patch_grid(model) == (2, 4)
    assert isinstance(model.optimizer, keras.optimizers.Adam) and model.loss == "mse"


def test_default_spec_shapes():
    spec = load_spec("vit")
    assert (spec["input"]["frames"], spec["input"]["features"]) == (1292, 128)
    assert spec["presets"]["vit_base_16"]["hidden_dim"] == 768 and spec["presets"]["vit_base_16"]["num_layers"] == 12


def test_shared_model_checks(tmp_path, model):
    measured = check_keras_model(model, X, Y, tmp_path)
    assert np.all(np.abs(measured["outputs"]) <= 1)


@pytest.mark.parametrize("frames,features,image", [(90, 260, (256, 96, 1)), (50, 13, (16, 48, 1))])
def test_non_divisible_shapes(frames, features, image):
    model = build_vit(frames, features, spec=tiny_spec(patch=[16, 16]))
    assert tuple(model.get_layer("vit_backbone").image_shape) == image and tuple(model.output_shape) == (None, 2)
    if frames == 50:   # 13 mels padded to 16, 50 frames cropped to 48: run it once (eager calls are slow)
        assert infer(model, np.ones((1, frames, features), "float32")).shape == (1, 2)


def _tiny_preset(folder):
    """A 3-channel keras-hub ViT preset with a different grid: 32 x 32 x 3 image, 8 x 8 patches -> 4 x 4."""
    backbone = keras_hub.models.ViTBackbone(image_shape=(32, 32, 3), patch_size=8, num_layers=1, num_heads=2,
                                            hidden_dim=16, mlp_dim=24)
    backbone.save_to_preset(str(folder))
    return backbone


def test_weights_from_keras_hub_preset(tmp_path):
    source = _tiny_preset(tmp_path / "preset")
    model = build_vit(spec=tiny_spec(), weights=str(tmp_path / "preset"))
    assert model.get_layer("vit_backbone").mlp_dim == 24   # sizes taken from the preset
    target = pretrained_target(model)
    embedding = source.get_layer("vit_patching_and_embedding")
    kernel = np.asarray(embedding.patch_embedding.kernel)          # (8, 8, 3, 16)
    adapted = np.asarray(target["kernel"])                        # (8, 16, 1, 16): summed, resized
    assert adapted.shape == (8, 16, 1, 16)
    summed = kernel.sum(axis=2)
    np.testing.assert_allclose(adapted.sum(axis=(0, 1, 2)), summed.sum(axis=(0, 1)), rtol=1e-4, atol=1e-5)
    positions = np.asarray(embedding.position_embedding.embeddings)   # (1 + 16, 16)
    assert tuple(target["positions"].shape) == (1 + 2 * 4, 16)
    np.testing.assert_allclose(np.asarray(target["positions"])[0], positions[0])    # [CLS] row kept
    np.testing.assert_allclose(np.asarray(target["tokens"][0]), np.asarray(embedding.class_token))
    for a, b in zip(model.get_layer("vit_backbone").get_layer("vit_encoder").get_weights(),
                    source.get_layer("vit_encoder").get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_same_grid_kernel_is_exact_sum(tmp_path):
    backbone = keras_hub.models.ViTBackbone(image_shape=(16, 32, 3), patch_size=(8, 16), num_layers=1, num_heads=2,
                                            hidden_dim=16, mlp_dim=32)
    backbone.save_to_preset(str(tmp_path / "p"))
    model = build_vit(spec=tiny_spec(), weights=str(tmp_path / "p" / "model.weights.h5"))
    kernel = np.asarray(backbone.get_layer("vit_patching_and_embedding").patch_embedding.kernel)
    np.testing.assert_allclose(np.asarray(pretrained_target(model)["kernel"]), kernel.sum(axis=2, keepdims=True),
                               rtol=1e-6)


def test_weights_h5_of_same_model(tmp_path, model):
    model.save_weights(tmp_path / "m.weights.h5")
    other = build_vit(spec=tiny_spec(), weights=str(tmp_path / "m.weights.h5"))
    np.testing.assert_array_equal(infer(model, X), infer(other, X))


def test_missing_or_bad_weights_path(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(MerError, match="nowhere.*no such file"):
        build_vit(spec=tiny_spec(), weights=str(missing))
    bad = tmp_path / "junk.weights.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(MerError, match="junk.weights.h5"):
        build_vit(spec=tiny_spec(), weights=str(bad))
