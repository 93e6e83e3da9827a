"""The classic baselines on disk without pickles: files that opening cannot turn into code.

A baseline is a fitted ``Pipeline([("scale", StandardScaler), ("model", ...)])`` (``build_baseline``).
It is stored as

- ``baseline.json``: what the pipeline is (the model name, its parameters, the number of features and
  outputs, the library versions) and which files hold it;
- ``baseline_scaler.npz``: the StandardScaler's ``mean_``, ``scale_``, ``var_`` and ``n_samples_seen_``;
- the model, in the format its library owns or in plain arrays:
  ``baseline_ridge.npz`` (Ridge's ``coef_`` and ``intercept_``),
  ``baseline_xgboost.json`` (XGBoost's own JSON model format, ``save_model``),
  ``baseline_svr.skops`` (the ``MultiOutputRegressor`` of one SVR per output, through ``skops.io``; it
  loads only if every type in the file is in ``SVR_TRUSTED_TYPES``),
  ``baseline_svc.skops`` (the speech SVC, through ``skops.io``; only the types in ``SVC_TRUSTED_TYPES``),
  ``baseline_logreg.npz`` (the speech LogisticRegression's ``coef_``, ``intercept_``, ``classes_``, ``n_iter_``).

Classifiers also record their ``classes`` (the indices into ``EMOTIONS`` they were trained on) in
``baseline.json``; their ``predict_proba`` columns follow that order.

``.npz`` files are read with ``allow_pickle=False``; XGBoost's JSON is parsed by XGBoost; skops builds
objects of the listed types only. ``load_baseline`` rebuilds the same Pipeline, and its predictions
equal the saved pipeline's bit for bit (tests/models/test_baseline_io.py).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from mer_keras.errors import RunError

FORMAT = "mer_keras.baseline"
FORMAT_VERSION = 1
DESCRIPTOR = "baseline.json"
SCALER_FILE = "baseline_scaler.npz"
MODEL_FILES = {"ridge": "baseline_ridge.npz", "svr": "baseline_svr.skops", "xgboost": "baseline_xgboost.json",
               "svc": "baseline_svc.skops", "logreg": "baseline_logreg.npz"}
# Every type a baseline_svr.skops / baseline_svc.skops file may hold; anything else and the file is refused
# before it is loaded.
SVR_TRUSTED_TYPES = ("sklearn.multioutput.MultiOutputRegressor", "sklearn.svm._classes.SVR")
SVC_TRUSTED_TYPES = ("sklearn.svm._classes.SVC",)
TRUSTED_TYPES = {"svr": SVR_TRUSTED_TYPES, "svc": SVC_TRUSTED_TYPES}
_SKOPS_PLAIN_TYPES = {"builtins." + name for name in ("dict", "list", "tuple", "str", "int", "float", "bool", "NoneType")} | {
    "numpy.ndarray", "numpy.float64", "numpy.float32", "numpy.int64", "numpy.int32", "numpy.bool_"}
_SKOPS_LOADERS = {"ObjectNode", "DictNode", "ListNode", "TupleNode", "JsonNode", "TypeNode", "NdArrayNode"}
_MAX_SCHEMA_BYTES = 64 * 2**20


def baseline_files(name: str) -> list[str]:
    """The files that hold baseline ``name`` (descriptor first)."""
    return [DESCRIPTOR, SCALER_FILE, MODEL_FILES[name]]


def baseline_name(pipeline) -> str:
    """``ridge``, ``svr``, ``xgboost``, ``svc`` or ``logreg``, from the fitted pipeline's model step."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.multioutput import MultiOutputRegressor
    from sklearn.svm import SVC, SVR

    model = pipeline.named_steps["model"]
    if type(model) is Ridge:
        return "ridge"
    if type(model) is SVC:
        return "svc"
    if type(model) is LogisticRegression:
        return "logreg"
    if type(model) is MultiOutputRegressor and all(type(e) is SVR for e in model.estimators_):
        return "svr"
    if type(model).__name__ == "XGBRegressor":
        return "xgboost"
    raise RunError(f"cannot store a {type(model).__name__} baseline without a pickle; supported: {sorted(MODEL_FILES)}")


def _atomic(path: Path, write) -> None:
    """``write(temporary path)``, then rename: an interrupted save never leaves half a model."""
    temp = path.with_name(f"{path.stem}.tmp{path.suffix}")    # keeps the suffix (xgboost picks its format by it)
    try:
        write(temp)
        os.replace(temp, path)
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}; choose a writable --out folder") from None


def _save_npz(path: Path, arrays: dict) -> None:
    def write(temp):
        with open(temp, "wb") as handle:
            np.savez(handle, **arrays)

    _atomic(path, write)


def _json_params(params: dict) -> dict:
    """The model's constructor parameters that JSON holds as they are (for the record and the rebuild)."""
    return {key: value for key, value in params.items()
            if value is None or isinstance(value, (bool, int, str)) or (isinstance(value, float) and np.isfinite(value))}


def save_baseline(pipeline, folder: Path) -> list[str]:
    """Write a fitted baseline Pipeline into ``folder``; returns the names of the files written."""
    import sklearn

    folder = Path(folder)
    name = baseline_name(pipeline)
    scaler, model = pipeline.named_steps["scale"], pipeline.named_steps["model"]
    if scaler.mean_ is None or scaler.scale_ is None:
        raise RunError("the baseline's StandardScaler has no mean_/scale_ (with_mean/with_std off); cannot store it")
    _save_npz(folder / SCALER_FILE, {"mean": scaler.mean_, "scale": scaler.scale_, "var": scaler.var_,
                                     "n_samples_seen": np.asarray(scaler.n_samples_seen_)})
    versions = {"scikit-learn": sklearn.__version__}
    model_file = folder / MODEL_FILES[name]
    if name == "ridge":
        _save_npz(model_file, {"coef": model.coef_, "intercept": np.asarray(model.intercept_)})
        params = _json_params(model.get_params())
    elif name == "logreg":
        _save_npz(model_file, {"coef": model.coef_, "intercept": np.asarray(model.intercept_),
                               "classes": np.asarray(model.classes_), "n_iter": np.asarray(model.n_iter_)})
        params = _json_params(model.get_params())
    elif name == "xgboost":
        import xgboost

        _atomic(model_file, lambda temp: model.save_model(str(temp)))
        params = _json_params(model.get_params())
        versions["xgboost"] = xgboost.__version__
    else:
        import skops
        import skops.io

        _atomic(model_file, lambda temp: skops.io.dump(model, temp))
        params = _json_params((model.estimator if name == "svr" else model).get_params())
        versions["skops"] = skops.__version__
    classes = getattr(model, "classes_", None)
    if classes is not None:       # a classifier: one probability per class it was trained on
        n_outputs = len(classes)
    else:
        n_outputs = int(np.atleast_2d(pipeline.predict(np.zeros((1, scaler.mean_.shape[0])))).shape[1])
    descriptor = {"format": FORMAT, "version": FORMAT_VERSION, "model": name,
                  "pipeline": ["scale: sklearn StandardScaler", f"model: {type(model).__name__}"
                               + (" of SVR" if name == "svr" else "")],
                  "files": {"scaler": SCALER_FILE, "model": MODEL_FILES[name]},
                  "n_features": int(scaler.mean_.shape[0]), "n_outputs": n_outputs, "params": params,
                  "versions": versions}
    if classes is not None:
        descriptor["classes"] = [int(c) if isinstance(c, (int, np.integer)) else str(c) for c in classes]
    _atomic(folder / DESCRIPTOR, lambda temp: temp.write_text(json.dumps(descriptor, indent=1) + "\n"))
    return baseline_files(name)


# --- loading ------------------------------------------------------------------------------------


def _damaged(path: Path, why: str) -> RunError:
    return RunError(f"{path} {why}; the run is damaged or was not written by train.py: train it again")


def _load_npz(path: Path, names: tuple[str, ...]) -> dict:
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [name for name in names if name not in data.files]
            if missing:
                raise _damaged(path, f"lacks the arrays {missing}")
            arrays = {name: data[name] for name in names}
    except FileNotFoundError:
        raise RunError(f"{path} not found; the run is incomplete: copy the whole run again or train it again") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise _damaged(path, f"is not a readable .npz of plain arrays ({exc})") from None
    for name, array in arrays.items():
        if array.dtype.kind not in "fiub":
            raise _damaged(path, f"holds {name} as {array.dtype}, not numbers")
    return arrays


def read_descriptor(folder: Path) -> dict:
    path = Path(folder) / DESCRIPTOR
    try:
        descriptor = json.loads(path.read_text())
    except FileNotFoundError:
        raise RunError(f"{path} not found; the run has no pickle-free baseline model") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _damaged(path, f"is not valid JSON ({exc})") from None
    if not isinstance(descriptor, dict) or descriptor.get("format") != FORMAT:
        raise _damaged(path, f"is not a {FORMAT} descriptor")
    if descriptor.get("version") != FORMAT_VERSION:
        raise RunError(f"{path} is format version {descriptor.get('version')}; this mer_keras reads version "
                       f"{FORMAT_VERSION}: use the mer_keras that trained the run")
    if descriptor.get("model") not in MODEL_FILES:
        raise _damaged(path, f"names the model {descriptor.get('model')!r}; known: {sorted(MODEL_FILES)}")
    if not isinstance(descriptor.get("n_features"), int) or not isinstance(descriptor.get("params", {}), dict):
        raise _damaged(path, "lacks n_features or params")
    return descriptor


def _scaler_arrays(path: Path, n_features: int) -> dict:
    """The scaler's arrays, checked against ``n_features``."""
    arrays = _load_npz(path, ("mean", "scale", "var", "n_samples_seen"))
    if any(arrays[name].shape != (n_features,) for name in ("mean", "scale", "var")):
        raise _damaged(path, f"does not hold {n_features} means and scales (baseline.json's n_features)")
    return arrays


def _ridge_arrays(path: Path, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Ridge's (coef, intercept), checked against ``n_features``."""
    arrays = _load_npz(path, ("coef", "intercept"))
    coef, intercept = arrays["coef"], arrays["intercept"]
    if coef.shape[-1] != n_features or coef.ndim > 2 or intercept.shape != coef.shape[:-1]:
        raise _damaged(path, f"holds coef {coef.shape} and intercept {intercept.shape}, which do not fit "
                             f"{n_features} features")
    return coef, intercept


def _load_scaler(path: Path, n_features: int):
    from sklearn.preprocessing import StandardScaler

    arrays = _scaler_arrays(path, n_features)
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.var_ = arrays["mean"], arrays["scale"], arrays["var"]
    seen = arrays["n_samples_seen"]
    scaler.n_samples_seen_ = seen.item() if seen.ndim == 0 else seen
    scaler.n_features_in_ = n_features
    return scaler


def _load_ridge(path: Path, descriptor: dict):
    from sklearn.linear_model import Ridge

    coef, intercept = _ridge_arrays(path, descriptor["n_features"])
    model = Ridge()
    try:
        model.set_params(**descriptor.get("params", {}))
    except (ValueError, TypeError) as exc:
        raise _damaged(path.with_name(DESCRIPTOR), f"has Ridge parameters Ridge does not take ({exc})") from None
    model.coef_, model.intercept_ = coef, intercept.item() if intercept.ndim == 0 else intercept
    model.n_features_in_ = descriptor["n_features"]
    return model


def _load_logreg(path: Path, descriptor: dict):
    from sklearn.linear_model import LogisticRegression

    arrays = _load_npz(path, ("coef", "intercept", "classes", "n_iter"))
    coef, intercept, classes = arrays["coef"], arrays["intercept"], arrays["classes"]
    rows = 1 if len(classes) == 2 else len(classes)        # a binary problem has one row of weights
    if coef.shape != (rows, descriptor["n_features"]) or intercept.shape != (rows,) or classes.ndim != 1:
        raise _damaged(path, f"holds coef {coef.shape}, intercept {intercept.shape} and {len(classes)} classes, which "
                             f"do not fit {descriptor['n_features']} features")
    if descriptor.get("classes") is not None and classes.tolist() != descriptor["classes"]:
        raise _damaged(path, f"holds classes {classes.tolist()}, baseline.json says {descriptor['classes']}")
    model = LogisticRegression()
    try:
        model.set_params(**descriptor.get("params", {}))
    except (ValueError, TypeError) as exc:
        raise _damaged(path.with_name(DESCRIPTOR), f"has parameters LogisticRegression does not take ({exc})") from None
    model.coef_, model.intercept_, model.classes_, model.n_iter_ = coef, intercept, classes, arrays["n_iter"]
    model.n_features_in_ = descriptor["n_features"]
    return model


def _load_xgboost(path: Path, descriptor: dict):
    from xgboost import XGBRegressor
    from xgboost.core import XGBoostError

    if not path.is_file():
        raise RunError(f"{path} not found; the run is incomplete: copy the whole run again or train it again")
    model = XGBRegressor()
    try:
        model.load_model(str(path))
    except (XGBoostError, ValueError, OSError) as exc:
        raise _damaged(path, f"is not an XGBoost JSON model ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    if model.n_features_in_ != descriptor["n_features"]:
        raise _damaged(path, f"expects {model.n_features_in_} features, baseline.json says {descriptor['n_features']}")
    return model


def skops_types(path: Path) -> set[str]:
    """Every type a skops file would build (``module.Class``), read from its schema without loading it."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("schema.json")
            if info.file_size > _MAX_SCHEMA_BYTES:
                raise _damaged(path, "has an oversized schema")
            schema = json.loads(archive.read(info))
    except FileNotFoundError:
        raise RunError(f"{path} not found; the run is incomplete: copy the whole run again or train it again") from None
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise _damaged(path, f"is not a skops file ({exc})") from None
    found, stack = set(), [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node or "__loader__" in node:
                found.add(f"{node.get('__module__')}.{node.get('__class__')}")
                if node.get("__loader__") not in _SKOPS_LOADERS:
                    found.add(f"loader {node.get('__loader__')}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _load_skops(path: Path, trusted: tuple[str, ...]):
    """The object in a skops file, built only if every type in it is plain data or in ``trusted``."""
    import skops.io

    untrusted = skops_types(path) - _SKOPS_PLAIN_TYPES - set(trusted)
    if untrusted:
        raise RunError(f"{path} holds types outside the trusted list ({', '.join(sorted(untrusted))}); refusing to "
                       "load it: it was not written by train.py")
    try:
        return skops.io.load(path, trusted=list(trusted))
    except Exception as exc:  # noqa: BLE001  (skops raises its own exceptions, TypeError, ValueError, ...)
        raise _damaged(path, f"could not be loaded by skops ({type(exc).__name__}: {exc})") from None


def _load_svr(path: Path, descriptor: dict):
    model = _load_skops(path, SVR_TRUSTED_TYPES)
    if type(model).__name__ != "MultiOutputRegressor" or getattr(model, "n_features_in_", None) != descriptor["n_features"]:
        raise _damaged(path, f"does not hold a MultiOutputRegressor of SVR over {descriptor['n_features']} features")
    return model


def _load_svc(path: Path, descriptor: dict):
    model = _load_skops(path, SVC_TRUSTED_TYPES)
    if type(model).__name__ != "SVC" or getattr(model, "n_features_in_", None) != descriptor["n_features"]:
        raise _damaged(path, f"does not hold an SVC over {descriptor['n_features']} features")
    if descriptor.get("classes") is not None and np.asarray(model.classes_).tolist() != descriptor["classes"]:
        raise _damaged(path, f"holds classes {np.asarray(model.classes_).tolist()}, baseline.json says {descriptor['classes']}")
    return model


def load_linear_predictor(folder: Path):
    """For a ridge run: its Pipeline's ``predict`` as numpy arithmetic, ``((x - mean) / scale) @ coef.T +
    intercept``, read from the same files and checks as :func:`load_baseline` but without importing
    scikit-learn (0.5-1 s of a cold ``predict.py``; ``tests/models/test_baseline_io.py`` pins it against the
    Pipeline). None for every other model."""
    folder = Path(folder)
    descriptor = read_descriptor(folder)
    if descriptor["model"] != "ridge":
        return None
    scaler = _scaler_arrays(folder / SCALER_FILE, descriptor["n_features"])
    coef, intercept = _ridge_arrays(folder / MODEL_FILES["ridge"], descriptor["n_features"])
    mean, scale = scaler["mean"], scaler["scale"]

    def predict(features: np.ndarray) -> np.ndarray:
        # StandardScaler.transform and Ridge.predict step for step: scaled in place in the input's float dtype
        # (float32 features stay float32, as scikit-learn keeps them), then the float64 product.
        scaled = np.array(features, dtype=np.result_type(np.asarray(features).dtype, np.float32), copy=True)
        scaled -= mean.astype(scaled.dtype)
        scaled /= scale.astype(scaled.dtype)
        return scaled @ coef.T + intercept

    return predict


def load_baseline(folder: Path):
    """The fitted Pipeline stored in ``folder`` by ``save_baseline`` (no pickle is read)."""
    from sklearn.pipeline import Pipeline

    folder = Path(folder)
    descriptor = read_descriptor(folder)
    name = descriptor["model"]
    scaler = _load_scaler(folder / SCALER_FILE, descriptor["n_features"])
    loader = {"ridge": _load_ridge, "svr": _load_svr, "xgboost": _load_xgboost, "svc": _load_svc,
              "logreg": _load_logreg}[name]
    model = loader(folder / MODEL_FILES[name], descriptor)     # file names fixed here, never read from the run
    return Pipeline([("scale", scaler), ("model", model)])
