import keras
import numpy as np

from mer_keras.models.attention_pooling import AttentionPooling
from mer_keras.models.registry import build_model, model_spec
from mer_keras.specs import load_spec
from tests.models.harness import check_keras_model, check_layer_config

SPEC = load_spec("attn_crnn")


def test_encoder_is_wav2vec2_shaped():
    assert SPEC["encoder"]["kernel_sizes"] == [10, 3, 3, 3, 3, 2, 2]
    assert SPEC["encoder"]["strides"] == [5, 2, 2, 2, 2, 2, 2]
    model = build_model("attn_crnn", 64000, 1, model_spec("attn_crnn"))
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv1D"]
    assert [layer.kernel_size[0] for layer in convs] == SPEC["encoder"]["kernel_sizes"]
    assert [layer.strides[0] for layer in convs] == SPEC["encoder"]["strides"]
    assert convs[-1].output.shape[1] == 199            # 4 s at 16 kHz -> 199 frames of 20 ms
    assert tuple(model.output_shape) == (None, 6)


def _train_save_reload(model, x, tmp_path):
    measured = check_keras_model(model, x, np.arange(len(x)) % 6, tmp_path)
    np.testing.assert_allclose(measured["outputs"].sum(axis=1), 1.0, rtol=1e-5)


def test_waveform_model_trains_a_step_saves_and_reloads(tmp_path):
    model = build_model("attn_crnn", 6400, 1, model_spec("attn_crnn"))
    x = 0.1 * np.random.default_rng(0).standard_normal((8, 6400, 1)).astype("float32")
    _train_save_reload(model, x, tmp_path)


def test_embeddings_model_skips_the_encoder(tmp_path):
    model = build_model("attn_crnn", 20, 32, model_spec("attn_crnn"))
    assert not [layer for layer in model.layers if type(layer).__name__ == "Conv1D"]
    x = np.random.default_rng(1).standard_normal((8, 20, 32)).astype("float32")
    _train_save_reload(model, x, tmp_path)


def test_attention_pooling_is_a_weighted_mean_and_config_complete():
    layer = AttentionPooling(8, return_weights=True, name="pool")
    x = np.random.default_rng(2).standard_normal((3, 5, 4)).astype("float32")
    pooled, weights = layer(x)
    weights = keras.ops.convert_to_numpy(weights)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(pooled), np.einsum("bt,btf->bf", weights, x), rtol=1e-5, atol=1e-6)
    clone = AttentionPooling.from_config(layer.get_config())
    assert (clone.units, clone.return_weights, clone.name) == (8, True, "pool")
    check_layer_config(layer)
    # masked frames get no weight
    mask = np.array([[True, True, False, False, False]] * 3)
    _, masked = layer(x, mask=mask)
    assert np.all(keras.ops.convert_to_numpy(masked)[:, 2:] < 1e-6)
