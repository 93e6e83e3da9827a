"""What the ViT and the AST share: spec resolution and presets, encoder sizes, the valence/arousal head,
and the wrap / load weights / compile step. Loading ``--weights`` is :mod:`mer_keras.models.weight_transfer`.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from mer_keras.errors import SpecError
from mer_keras.specs import load_spec

# ----------------------------------------------------------------------------------------------
# specs


def resolve(name: str, spec: dict | None, frames: int | None, features: int | None):
    """Fill in the defaults: ``specs/<name>.yaml`` and its ``input`` shape.

    Returns
    -------
    (spec, frames, features)
    """
    spec = spec or load_spec(name)
    return spec, int(frames or spec["input"]["frames"]), int(features or spec["input"]["features"])


def encoder_arguments(config: dict) -> dict:
    """The transformer sizes and options that keras-hub's ``ViTBackbone`` and ``ViTEncoder`` both take."""
    return {"num_layers": config["num_layers"], "num_heads": config["num_heads"], "hidden_dim": config["hidden_dim"],
            "mlp_dim": config["mlp_dim"], "dropout_rate": config.get("dropout_rate", 0.0),
            "attention_dropout": config.get("attention_dropout", 0.0),
            "layer_norm_epsilon": config.get("layer_norm_epsilon", 1e-6),
            "use_mha_bias": config.get("use_mha_bias", True), "use_mlp_bias": config.get("use_mlp_bias", True)}


def finish_model(inputs, outputs, spec: dict, weights, target):
    """Wrap a transformer regressor, load ``--weights`` into it (``target(model)`` names the variables)
    and compile it from the spec's ``training`` section."""
    import keras

    from mer_keras.models.compile import compile_from_spec
    from mer_keras.models.weight_transfer import load_pretrained

    model = keras.Model(inputs, outputs, name=spec.get("name"))
    if weights:
        load_pretrained(model, weights, target(model))
    compile_from_spec(model, spec["training"])
    return model


def with_preset(spec: dict, preset: str) -> dict:
    """A copy of ``spec`` whose ``model`` is updated with ``presets[preset]`` (e.g. the paper sizes)."""
    presets = spec.get("presets", {})
    if preset not in presets:
        raise SpecError(f"unknown preset {preset!r} for {spec.get('name')}; available: {sorted(presets)}")
    spec = copy.deepcopy(spec)
    spec["model"].update({k: v for k, v in presets[preset].items() if k not in ("input", "note")})
    if "input" in presets[preset]:
        spec["input"].update(presets[preset]["input"])
    return spec


def model_config(spec: dict, weights: str | Path | None) -> dict:
    """The spec's ``model`` section, with the transformer sizes of a ``--weights`` preset when given."""
    config = copy.deepcopy(spec["model"])
    from mer_keras.models.weight_transfer import (
        SIZE_KEYS,
        preset_dir,
        read_preset_config,
    )

    preset = preset_dir(weights) if weights else None
    if preset is not None:
        sizes = read_preset_config(preset)
        config.update({key: sizes[key] for key in SIZE_KEYS if key in sizes})
    return config


def pair(value) -> tuple[int, int]:
    """``16`` or ``[16, 34]`` -> ``(16, 16)`` / ``(16, 34)``."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    first, second = value
    return int(first), int(second)


# ----------------------------------------------------------------------------------------------
# head


def va_head(tokens, keep: int, layer_norm: bool = False, dropout: float = 0.0):
    """Mean of the first ``keep`` tokens -> [LayerNorm] -> [Dropout] -> Dense(2, tanh).

    Parameters
    ----------
    tokens : KerasTensor, shape (batch, n_tokens, hidden)
    keep : int
        Leading tokens to pool: 1 for the ViT's [CLS], 2 for the AST's [CLS] and distillation.

    Returns
    -------
    KerasTensor, shape (batch, 2): (valence, arousal) in [-1, 1].
    """
    import keras

    x = keras.layers.Cropping1D((0, tokens.shape[1] - keep), name="leading_tokens")(tokens)
    x = keras.layers.GlobalAveragePooling1D(name="token_mean")(x)
    if layer_norm:
        x = keras.layers.LayerNormalization(epsilon=1e-6, name="head_norm")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    return keras.layers.Dense(2, activation="tanh", name="valence_arousal")(x)


