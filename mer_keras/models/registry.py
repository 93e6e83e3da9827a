"""Model names on the command line -> family, spec and builder."""

from __future__ import annotations

from mer_keras.errors import MerError
from mer_keras.specs import load_spec

KERAS_MODELS = ("crnn",)
SKLEARN_MODELS = ("ridge", "svr", "xgboost")
PLANNED = ("vit", "ast", "cnn_lstm", "attn_crnn", "vit_gan")
DEFAULT_FEATURES = {"keras": "mel", "sklearn": "handcrafted"}


def model_family(name: str) -> str:
    """``"keras"`` (trained by the shared fit loop) or ``"sklearn"`` (grid-searched Pipelines)."""
    if name in KERAS_MODELS:
        return "keras"
    if name in SKLEARN_MODELS:
        return "sklearn"
    planned = " (planned, not built yet)" if name in PLANNED else ""
    raise MerError(f"unknown model {name!r}{planned}; available: {sorted(KERAS_MODELS + SKLEARN_MODELS)}")


def model_spec(name: str) -> dict:
    """The model's spec: ``specs/<name>.yaml`` for Keras models, its entry in ``specs/baselines.yaml`` otherwise."""
    if model_family(name) == "sklearn":
        baselines = load_spec("baselines")
        return {"name": name, **baselines["models"][name], "cv": baselines["cv"]}
    return load_spec(name)


def build_model(name: str, frames: int, features: int, spec: dict | None = None):
    """Build and compile Keras model ``name`` for inputs of shape (frames, features)."""
    spec = spec or model_spec(name)
    if name == "crnn":
        from mer_keras.models.crnn import build_crnn

        return build_crnn(frames, features, spec)
    raise MerError(f"no Keras builder for {name!r}")
