"""Model names on the command line -> family, spec and builder."""

from __future__ import annotations

import importlib
import inspect

from mer_keras.errors import MerError
from mer_keras.specs import load_spec

# Keras models: name -> "module:function". Each builder takes (frames, features, spec, **options)
# and returns a compiled keras.Model whose input is (batch, frames, features).
KERAS_BUILDERS = {
    "crnn": "mer_keras.models.crnn:build_crnn",
    "cnn_lstm": "mer_keras.models.cnn_lstm:build_cnn_lstm",
    "attn_crnn": "mer_keras.models.attn_crnn:build_attn_crnn",
    "vit": "mer_keras.models.vit:build_vit",
    "ast": "mer_keras.models.ast:build_ast",
}
KERAS_MODELS = tuple(KERAS_BUILDERS)
SKLEARN_MODELS = ("ridge", "svr", "xgboost")
PLANNED = ("vit_gan",)
DEFAULT_FEATURES = {"keras": "mel", "sklearn": "handcrafted"}
# Speech-emotion models (task "emotion": RAVDESS, CREMA-D): softmax over six classes.
SPEECH_MODELS = ("cnn_lstm", "attn_crnn")
# Modules defining custom layers; imported before keras.models.load_model so saved models reload.
CUSTOM_LAYER_MODULES = ("mer_keras.models.attention_pooling", "mer_keras.models.projected_lstm",
                        "mer_keras.models.spec_augment", "mer_keras.models.ast")


def default_features(name: str, family: str, embeddings: str | None = None) -> str:
    """The features a model reads when ``--features`` is not given: the attention CRNN reads the raw
    waveform (or precomputed wav2vec2 embeddings with ``--embeddings``); the others as their family."""
    if name == "attn_crnn":
        return "embeddings" if embeddings else "waveform"
    return DEFAULT_FEATURES[family]


def register_custom_layers() -> None:
    """Import the modules whose layers saved models refer to (``keras.saving`` registration)."""
    for module in CUSTOM_LAYER_MODULES:
        importlib.import_module(module)


def model_family(name: str) -> str:
    """``"keras"`` (trained by the shared fit loop) or ``"sklearn"`` (grid-searched Pipelines)."""
    if name in KERAS_BUILDERS:
        return "keras"
    if name in SKLEARN_MODELS:
        return "sklearn"
    planned = " (planned, not built yet)" if name in PLANNED else ""
    raise MerError(f"unknown model {name!r}{planned}; available: {sorted(KERAS_BUILDERS) + sorted(SKLEARN_MODELS)}")


def model_spec(name: str) -> dict:
    """The model's spec: ``specs/<name>.yaml`` for Keras models, its entry in ``specs/baselines.yaml`` otherwise."""
    if model_family(name) == "sklearn":
        baselines = load_spec("baselines")
        return {"name": name, **baselines["models"][name], "cv": baselines["cv"]}
    return load_spec(name)


def build_model(name: str, frames: int, features: int, spec: dict | None = None, **options):
    """Build and compile Keras model ``name`` for inputs of shape (frames, features).

    ``options`` go to the builder as keyword arguments (e.g. ``weights=PATH`` for the transformers).
    """
    if name not in KERAS_BUILDERS:
        raise MerError(f"no Keras builder for {name!r}")
    spec = spec or model_spec(name)
    module_name, function_name = KERAS_BUILDERS[name].split(":")
    builder = getattr(importlib.import_module(module_name), function_name)
    accepted = inspect.signature(builder).parameters
    unknown = [key for key in options if key not in accepted]
    if unknown:
        raise MerError(f"--{unknown[0].replace('_', '-')} does not apply to model {name!r}")
    return builder(frames, features, spec, **options)
