"""Audio Spectrogram Transformer (Gong, Chung & Glass, Interspeech 2021) regressor, from ``specs/ast.yaml``.

Input ``(batch, frames, features)`` as for the CRNN. Inside: SpecAugment (training only) ->
image ``(features, frames, 1)`` -> optional average pooling over time (``time_pool``) -> overlapping
16 x 16 patches (stride 10 x 10 in the paper) embedded linearly by one Conv2D -> [CLS] and
distillation tokens prepended -> learned positional embeddings added -> pre-norm transformer
encoder (keras-hub's ViT encoder blocks, the same block the paper's DeiT initialisation uses) ->
mean of the [CLS] and distillation outputs -> LayerNorm -> Dense(2, tanh).
"""

from __future__ import annotations

import keras

from mer_keras.models.prepend_tokens import PrependTokens  # noqa: F401  (re-exported)
from mer_keras.models.spec_augment import pad_to_at_least, spectrogram_image
from mer_keras.models.transformer_common import (
    encoder_arguments,
    finish_model,
    model_config,
    pair,
    resolve,
    va_head,
)

PREFIX_TOKENS = 2   # [CLS] and distillation


def ast_patch_grid(features: int, frames: int, patch=16, stride=10) -> tuple[int, int, int]:
    """Patches of an AST over a ``features x frames`` spectrogram (the paper's formula).

    ``n = floor((dim - patch) / stride) + 1`` per axis: 128 mels x 1,024 frames with 16 x 16
    patches at stride 10 -> 12 x 101 = 1,212 patches.

    Parameters
    ----------
    features, frames : int
        Image height (mel bins) and width (time frames).
    patch, stride : int or (int, int)
        (frequency, time) patch size and stride.

    Returns
    -------
    (n_freq, n_time, n_patches)
    """
    (patch_f, patch_t), (stride_f, stride_t) = pair(patch), pair(stride)
    n_freq = (max(features, patch_f) - patch_f) // stride_f + 1
    n_time = (max(frames, patch_t) - patch_t) // stride_t + 1
    return n_freq, n_time, n_freq * n_time


def _encoder(config: dict):
    """keras-hub's ViT encoder: dropout, ``num_layers`` pre-norm blocks (MHA + GELU MLP), final LayerNorm."""
    from keras_hub.src.models.vit.vit_layers import ViTEncoder

    return ViTEncoder(**encoder_arguments(config), name="encoder")


def build_ast(frames: int | None = None, features: int | None = None, spec: dict | None = None,
              weights: str | None = None):
    """Build and compile the AST regressor.

    Parameters
    ----------
    frames, features : int, optional
        Input shape (time steps, features); default the spec's 1,292 x 128 log-mel.
    spec : dict, optional
        A parsed ``specs/ast.yaml`` (default: the file).
    weights : str, optional
        ``--weights``: a keras-hub ViT preset folder or a ``.weights.h5`` (see ``pretrained``).

    Returns
    -------
    keras.Model mapping (batch, frames, features) -> (batch, 2) in [-1, 1]: (valence, arousal).
    """
    import keras_hub

    spec, frames, features = resolve("ast", spec, frames, features)
    config = model_config(spec, weights)
    patch, stride, pool = pair(config["patch"]), pair(config["stride"]), int(config.get("time_pool", 1))
    hidden = config["hidden_dim"]
    inputs = keras.Input((frames, features), name="frames")
    image = spectrogram_image(inputs, config.get("augmentation"))
    if pool > 1:
        image = keras.layers.AveragePooling2D((1, pool), name="time_pool")(image)
    image = pad_to_at_least(image, patch)
    n_freq, n_time, n_patches = ast_patch_grid(image.shape[1], image.shape[2], patch, stride)
    x = keras.layers.Conv2D(hidden, patch, strides=stride, padding="valid", name="patch_embedding")(image)
    x = keras.layers.Reshape((n_patches, hidden), name="patch_tokens")(x)   # frequency-major, as in the paper
    x = PrependTokens(PREFIX_TOKENS, name="tokens")(x)
    positions = keras_hub.layers.PositionEmbedding(n_patches + PREFIX_TOKENS, initializer="truncated_normal",
                                                   name="position_embedding")(x)
    x = keras.layers.Add(name="add_positions")([x, positions])
    x = _encoder(config)(x)
    outputs = va_head(x, keep=PREFIX_TOKENS, layer_norm=True, dropout=config.get("head_dropout", 0.0))
    return finish_model(inputs, outputs, spec, weights, pretrained_target)


def patch_grid(model) -> tuple[int, int]:
    """(n_freq, n_time) patches of a built AST regressor."""
    shape = model.get_layer("patch_embedding").output.shape
    return int(shape[1]), int(shape[2])


def pretrained_target(model) -> dict:
    """The variables ``pretrained.load_pretrained`` writes into an AST regressor."""
    conv = model.get_layer("patch_embedding")
    return {"kernel": conv.kernel, "bias": conv.bias, "tokens": [model.get_layer("tokens").tokens],
            "positions": model.get_layer("position_embedding").position_embeddings, "prefix": PREFIX_TOKENS,
            "grid": patch_grid(model), "encoder": model.get_layer("encoder")}
