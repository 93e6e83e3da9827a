import copy

import keras
import keras_hub
import numpy as np
import pytest

from mer_keras.errors import MerError
from mer_keras.models.ast import PrependTokens, ast_patch_grid, build_ast, patch_grid, pretrained_target
from mer_keras.specs import load_spec
from tests.models.harness import check_keras_model, check_layer_config
from tests.models.transformer_helpers import infer
from tests.models.transformer_helpers import tiny_spec as shared_tiny_spec

TINY = {"patch": [16, 16], "stride": [10, 10], "time_pool": 1, "num_layers": 1, "hidden_dim": 16, "num_heads": 2,
        "mlp_dim": 32, "dropout_rate": 0.0, "head_dropout": 0.0,
        "augmentation": {"time_masks": 1, "time_width": 8, "freq_masks": 1, "freq_width": 4}}
RNG = np.random.default_rng(0)


X = RNG.standard_normal((4, 64, 16)).astype("float32")
Y = RNG.uniform(-1, 1, (4, 2)).astype("float32")


def tiny_spec(**model):
    return shared_tiny_spec("ast", TINY, **model)


@pytest.fixture(scope="module")
def model():
    return build_ast(spec=tiny_spec())


def test_patch_grid_matches_paper():
    assert ast_patch_grid(128, 1024, 16, 10) == (12, 101, 1212)
    for features, frames in ((128, 1292), (16, 64), (260, 90)):
        n_freq, n_time, n = ast_patch_grid(features, frames, (16, 16), (10, 10))
        assert (n_freq, n_time) == ((features - 16) // 10 + 1, (frames - 16) // 10 + 1) and n == n_freq * n_time


def test_builds_and_token_count(model):
    assert tuple(model.input_shape) == (None, 64, 16) and tuple(model.output_shape) == (None, 2)
    n_freq, n_time, n = ast_patch_grid(16, 64, 16, 10)
    assert patch_grid(model) == (n_freq, n_time) == (1, 5)
    assert model.get_layer("encoder").output.shape[1] == n + 2
    assert isinstance(model.optimizer, keras.optimizers.Adam) and model.loss == "mse"


def test_paper_preset_token_count():
    spec = load_spec("ast")
    paper = spec["presets"]["ast_paper"]
    assert (paper["patch"], paper["stride"], paper["num_layers"], paper["hidden_dim"]) == ([16, 16], [10, 10], 12, 768)
    small = copy.deepcopy(spec)
    small["model"].update({k: paper[k] for k in ("patch", "stride", "time_pool")},
                          num_layers=1, hidden_dim=16, num_heads=2, mlp_dim=16)
    built = build_ast(1024, 128, spec=small)
    assert built.get_layer("encoder").output.shape[1] == 1212 + 2


def test_shared_model_checks(tmp_path, model):
    measured = check_keras_model(model, X, Y, tmp_path)
    assert np.all(np.abs(measured["outputs"]) <= 1)


def test_prepend_tokens_config_round_trip():
    layer = PrependTokens(3, name="t")
    out = layer(np.zeros((2, 5, 4), "float32"))
    assert tuple(out.shape) == (2, 8, 4)
    np.testing.assert_array_equal(np.asarray(out)[:, :3], np.broadcast_to(np.asarray(layer.tokens), (2, 3, 4)))
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(clone, PrependTokens)
    check_layer_config(layer)


@pytest.mark.parametrize("frames,features,pool", [(90, 260, 1), (10, 8, 1), (64, 16, 2)])
def test_non_divisible_and_small_shapes(frames, features, pool):
    model = build_ast(frames, features, spec=tiny_spec(time_pool=pool))
    height, width = max(features, 16), max(frames // pool, 16)
    assert patch_grid(model) == ast_patch_grid(height, width, 16, 10)[:2] and tuple(model.output_shape) == (None, 2)
    if frames == 10:   # smaller than one patch on both axes: zero-padded; run it once (eager calls are slow)
        assert infer(model, np.ones((1, frames, features), "float32")).shape == (1, 2)


def test_weights_from_keras_hub_preset(tmp_path):
    source = keras_hub.models.ViTBackbone(image_shape=(32, 48, 3), patch_size=16, num_layers=1, num_heads=2,
                                          hidden_dim=16, mlp_dim=32)
    source.save_to_preset(str(tmp_path / "preset"))
    model = build_ast(96, 32, spec=tiny_spec(), weights=str(tmp_path / "preset"))   # grid 2 x 9 vs 2 x 3
    target = pretrained_target(model)
    embedding = source.get_layer("vit_patching_and_embedding")
    kernel = np.asarray(embedding.patch_embedding.kernel)
    np.testing.assert_allclose(np.asarray(target["kernel"]), kernel.sum(axis=2, keepdims=True), rtol=1e-6)
    positions = np.asarray(embedding.position_embedding.embeddings)       # (1 + 2 * 3, 16)
    adapted = np.asarray(target["positions"])
    assert target["grid"] == (2, 9) and adapted.shape == (2 + 18, 16)
    np.testing.assert_allclose(adapted[0], positions[0])
    np.testing.assert_allclose(adapted[1], positions[0])                   # distillation starts as [CLS]
    grid = adapted[2:].reshape(2, 9, 16)
    np.testing.assert_allclose(grid[:, 4], positions[1:].reshape(2, 3, 16)[:, 1], rtol=1e-5, atol=1e-6)  # centre
    tokens = np.asarray(target["tokens"][0])
    np.testing.assert_allclose(tokens[:, 1], np.asarray(embedding.class_token)[:, 0])
    for a, b in zip(model.get_layer("encoder").get_weights(), source.get_layer("vit_encoder").get_weights()):
        np.testing.assert_array_equal(a, b)


def test_missing_weights_path(tmp_path):
    with pytest.raises(MerError, match=r"absent\.weights\.h5"):
        build_ast(spec=tiny_spec(), weights=str(tmp_path / "absent.weights.h5"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(MerError, match="no config.json"):
        build_ast(spec=tiny_spec(), weights=str(tmp_path / "empty"))
