"""Load a trained run and predict items: what evaluate.py and predict.py share.

Opening a run's model is the one place a file from someone else becomes an object, so it happens here
only, and only after ``RunDir.verify`` has checked the run against its ``manifest.json``: Keras models
load in Keras safe mode, the classic baselines from their pickle-free files
(``mer_keras.models.baseline_io``). A run trained before that (``model.joblib``, a pickle) loads only
with ``--trust-pickle``.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np

from mer_keras.errors import RunError
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import FeatureSpec, extract_features
from mer_keras.features.normalize import FeatureScaler
from mer_keras.runs import RunDir

PICKLE_FILE = "model.joblib"
# The one line that says why (shown with --trust-pickle and in its help).
PICKLE_RISK = ("a pickle runs whatever code it carries the moment it is opened, so --trust-pickle is only for runs "
               "you trained yourself or got from someone you trust")
_trust_pickle: ContextVar[bool] = ContextVar("trust_pickle", default=False)
_warned: set[str] = set()


@contextmanager
def trusting_pickles(trust: bool = True):
    """Within this block, runs whose model is a pickle (``model.joblib``) may be opened (``--trust-pickle``)."""
    token = _trust_pickle.set(bool(trust))
    try:
        yield
    finally:
        _trust_pickle.reset(token)


def latest_run(root: Path = Path("runs")) -> Path:
    """The most recently trained run under ``root`` (by the time of its saved model)."""
    models = ([*root.glob("*/model.keras"), *root.glob("*/baseline.json"), *root.glob(f"*/{PICKLE_FILE}")]
              if root.is_dir() else [])
    models.sort(key=lambda path: path.stat().st_mtime)
    if not models:
        raise RunError(f"no trained run found under {root}/; train one (python train.py --model crnn) or pass --run DIR")
    return models[-1].parent


def _pickle_refused(pickle: Path) -> RunError:
    return RunError(f"{pickle} is a pickle, which can run any code when opened, so it is refused: train the run "
                    "again (train.py no longer writes pickles), or pass --trust-pickle if you made it yourself")


def check_run(run: RunDir, config: dict, trust_pickle: bool | None = None) -> None:
    """Refuse now what loading the model would refuse (a changed or incomplete run, an untrusted pickle),
    before any feature is computed; the loaders check again."""
    trust = _trust_pickle.get() if trust_pickle is None else trust_pickle
    if (config.get("family", "keras") == "sklearn" and not (run / "baseline.json").is_file()
            and (run / PICKLE_FILE).is_file() and not trust):
        raise _pickle_refused(run / PICKLE_FILE)
    run.verify()


def load_baseline_model(run: RunDir, trust_pickle: bool | None = None):
    """A classic-baseline run's fitted Pipeline: from its pickle-free files after checking the manifest, or
    (older runs) from ``model.joblib`` only when pickles are trusted (``trust_pickle``, else ``--trust-pickle``)."""
    from mer_keras.models.baseline_io import DESCRIPTOR, baseline_files, load_baseline, read_descriptor

    trust = _trust_pickle.get() if trust_pickle is None else trust_pickle
    if (run / DESCRIPTOR).is_file():
        run.verify(required=("config.json", DESCRIPTOR))
        run.verify(required=tuple(baseline_files(read_descriptor(run.path)["model"])))
        return load_baseline(run.path)
    pickle = run / PICKLE_FILE
    if not pickle.is_file():
        raise RunError(f"run {run.path} has no model ({DESCRIPTOR}); did training finish? (train.py --out {run.path})")
    if not trust:
        raise _pickle_refused(pickle)
    run.verify(required=("config.json", PICKLE_FILE))
    if str(pickle) not in _warned:
        _warned.add(str(pickle))
        print(f"warning: --trust-pickle: opening {pickle}; {PICKLE_RISK}", file=sys.stderr)
    import joblib

    return joblib.load(pickle)


def _linear_predictor(run: RunDir, config: dict):
    """A ridge run's prediction without scikit-learn (pickle-free runs only), after the same manifest checks."""
    from mer_keras.models.baseline_io import DESCRIPTOR, baseline_files, load_linear_predictor, read_descriptor

    if config.get("task") == "emotion" or not (run / DESCRIPTOR).is_file():
        return None
    run.verify(required=("config.json", DESCRIPTOR, *baseline_files(read_descriptor(run.path)["model"])))
    return load_linear_predictor(run.path)          # None unless ridge


def load_predictor(run: RunDir, config: dict, trust_pickle: bool | None = None):
    """A function (n, frames, features) -> (n, outputs), for the run's model family; the run is verified
    against its manifest first."""
    if config.get("family", "keras") == "sklearn":
        linear = _linear_predictor(run, config)
        if linear is not None:
            return lambda features: linear(features.reshape(len(features), -1))
        model = load_baseline_model(run, trust_pickle)
        if config.get("task") == "emotion":
            return lambda features: class_probabilities(model, features.reshape(len(features), -1))
        return lambda features: model.predict(features.reshape(len(features), -1))
    import keras

    from mer_keras.models.registry import register_custom_layers

    run.require("model.keras", "normalization.npz")
    run.verify(required=("config.json", "model.keras", "normalization.npz"))
    scaler = FeatureScaler.load(run.scaler)
    register_custom_layers()
    model = keras.models.load_model(run.model, safe_mode=True)    # safe mode: no lambda or arbitrary code
    return lambda features: model.predict(scaler.transform(features), batch_size=32, verbose=0)


def class_probabilities(model, features: np.ndarray) -> np.ndarray:
    """A fitted emotion classifier's ``predict_proba`` as (n, 6) columns in ``EMOTIONS`` order.

    The classifiers are trained on ``encode_targets(items, "emotion")``, the index of each item's
    emotion in :data:`~mer_keras.data.emotions.EMOTIONS`; ``predict_proba``'s columns follow the
    model's ``classes_`` (those indices, sorted; a class absent from training has no column and gets
    probability 0 here), so each column is put at its class's index."""
    from mer_keras.data.emotions import EMOTIONS

    probabilities = np.asarray(model.predict_proba(features), dtype=np.float64)
    classes = np.asarray(model.classes_)
    if classes.dtype.kind not in "iu" or classes.min() < 0 or classes.max() >= len(EMOTIONS):
        raise RunError(f"the classifier's classes {classes.tolist()} are not indices into the {len(EMOTIONS)} emotions "
                       f"{EMOTIONS}; the run was not trained by this train.py")
    outputs = np.zeros((len(features), len(EMOTIONS)))
    outputs[:, classes] = probabilities
    return outputs


def predict_run_items(run: RunDir, config: dict, items, cache: FeatureCache | None = None, workers=None,
                      require_any: bool = True, trust_pickle: bool | None = None):
    """Features -> the run's model -> outputs for ``items``; returns (kept items, outputs (n, k), skipped)."""
    check_run(run, config, trust_pickle)
    spec = FeatureSpec(config["feature"]["kind"], config["feature"]["params"])
    feature_set = extract_features(items, spec, cache=cache, workers=workers, desc="items", require_any=require_any)
    if not feature_set.item_ids:
        return [], np.empty((0, 2)), feature_set.skipped
    outputs = load_predictor(run, config, trust_pickle)(feature_set.features)
    keep = set(feature_set.item_ids)
    return [item for item in items if item.item_id in keep], np.asarray(outputs), feature_set.skipped
