"""Model names on the command line -> builders and their specs."""

from __future__ import annotations

from mer_keras.errors import MerError
from mer_keras.specs import load_spec

KERAS_MODELS = {"crnn"}
PLANNED = {"ridge", "svr", "xgboost", "vit", "ast", "cnn_lstm", "attn_crnn", "vit_gan"}


def model_spec(name: str) -> dict:
    if name not in KERAS_MODELS:
        planned = " (planned, not built yet)" if name in PLANNED else ""
        raise MerError(f"unknown model {name!r}{planned}; available: {sorted(KERAS_MODELS)}")
    return load_spec(name)


def build_model(name: str, frames: int, features: int, spec: dict | None = None):
    """Build and compile model ``name`` for inputs of shape (frames, features)."""
    spec = spec or model_spec(name)
    if name == "crnn":
        from mer_keras.models.crnn import build_crnn

        return build_crnn(frames, features, spec)
    raise MerError(f"no builder for {name!r}")
