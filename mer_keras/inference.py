"""Load a trained run and predict items: what evaluate.py and predict.py share."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mer_keras.errors import RunError
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import FeatureSpec, extract_features
from mer_keras.features.normalize import FeatureScaler
from mer_keras.runs import RunDir


def latest_run(root: Path = Path("runs")) -> Path:
    """The most recently trained run under ``root`` (by the time of its saved model)."""
    models = [*root.glob("*/model.keras"), *root.glob("*/model.joblib")] if root.is_dir() else []
    models.sort(key=lambda path: path.stat().st_mtime)
    if not models:
        raise RunError(f"no trained run found under {root}/; train one (python train.py --model crnn) or pass --run DIR")
    return models[-1].parent


def load_predictor(run: RunDir, config: dict):
    """A function (n, frames, features) -> (n, outputs), for the run's model family."""
    if config.get("family", "keras") == "sklearn":
        import joblib

        run.require("model.joblib")
        model = joblib.load(run / "model.joblib")
        return lambda features: model.predict(features.reshape(len(features), -1))
    import keras

    from mer_keras.models.registry import register_custom_layers

    run.require("model.keras", "normalization.npz")
    scaler = FeatureScaler.load(run.scaler)
    register_custom_layers()
    model = keras.models.load_model(run.model)
    return lambda features: model.predict(scaler.transform(features), batch_size=32, verbose=0)


def predict_run_items(run: RunDir, config: dict, items, cache: FeatureCache | None = None, workers=None,
                      require_any: bool = True):
    """Features -> the run's model -> outputs for ``items``; returns (kept items, outputs (n, k), skipped)."""
    spec = FeatureSpec(config["feature"]["kind"], config["feature"]["params"])
    feature_set = extract_features(items, spec, cache=cache, workers=workers, desc="items", require_any=require_any)
    if not feature_set.item_ids:
        return [], np.empty((0, 2)), feature_set.skipped
    outputs = load_predictor(run, config)(feature_set.features)
    keep = set(feature_set.item_ids)
    return [item for item in items if item.item_id in keep], np.asarray(outputs), feature_set.skipped
