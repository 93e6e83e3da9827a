"""Vision Transformer regressor on log-mel spectrograms (keras-hub ``ViTBackbone``), from ``specs/vit.yaml``.

Input ``(batch, frames, features)`` as for the CRNN. Inside: SpecAugment (training only) ->
image ``(features, frames, 1)`` -> each side cropped or zero-padded to the nearest multiple of
the patch (``spec_augment.fit_to_patches``) -> ``keras_hub.models.ViTBackbone`` (non-overlapping
patches, [CLS] token, learned positions, pre-norm encoder) -> [CLS] output -> Dense(2, tanh).
"""

from __future__ import annotations

from mer_keras.models.spec_augment import fit_to_patches, spectrogram_image
from mer_keras.models.transformer_common import (
    encoder_arguments,
    finish_model,
    model_config,
    pair,
    resolve,
    va_head,
)

BACKBONE = "vit_backbone"


def build_vit(frames: int | None = None, features: int | None = None, spec: dict | None = None,
              weights: str | None = None):
    """Build and compile the ViT regressor.

    Parameters
    ----------
    frames, features : int, optional
        Input shape (time steps, features); default the spec's 1,292 x 128 log-mel.
    spec : dict, optional
        A parsed ``specs/vit.yaml`` (default: the file).
    weights : str, optional
        ``--weights``: a keras-hub ViT preset folder or a ``.weights.h5`` (see ``pretrained``).

    Returns
    -------
    keras.Model mapping (batch, frames, features) -> (batch, 2) in [-1, 1]: (valence, arousal).
    """
    import keras
    import keras_hub

    spec, frames, features = resolve("vit", spec, frames, features)
    config = model_config(spec, weights)
    patch = pair(config["patch"])
    inputs = keras.Input((frames, features), name="frames")
    image = fit_to_patches(spectrogram_image(inputs, config.get("augmentation")), patch)
    backbone = keras_hub.models.ViTBackbone(image_shape=tuple(image.shape[1:]), patch_size=patch,
                                            **encoder_arguments(config), name=BACKBONE)
    outputs = va_head(backbone(image), keep=1, dropout=config.get("head_dropout", 0.0))
    return finish_model(inputs, outputs, spec, weights, pretrained_target)


def patch_grid(model) -> tuple[int, int]:
    """(n_freq, n_time) patches of a built ViT regressor."""
    embedding = model.get_layer(BACKBONE).get_layer("vit_patching_and_embedding")
    return tuple(int(s) // int(p) for s, p in zip(embedding.image_size, embedding.patch_size))


def pretrained_target(model) -> dict:
    """The variables ``pretrained.load_pretrained`` writes into a ViT regressor."""
    backbone = model.get_layer(BACKBONE)
    embedding = backbone.get_layer("vit_patching_and_embedding")
    return {"kernel": embedding.patch_embedding.kernel, "bias": embedding.patch_embedding.bias,
            "tokens": [embedding.class_token], "positions": embedding.position_embedding.embeddings,
            "prefix": 1, "grid": patch_grid(model), "encoder": backbone.get_layer("vit_encoder")}
