"""Ridge, SVR and XGBoost: estimators in Pipelines, with their search grids from ``specs/baselines.yaml``."""

from __future__ import annotations

from mer_keras.errors import SpecError
from mer_keras.specs import load_spec

BASELINES = ("ridge", "svr", "xgboost")


def build_baseline(name: str, seed: int = 0):
    """Return ``(pipeline, param_grid)`` for ``name``; grid keys are prefixed for the pipeline.

    Every pipeline maps a (n_items, n_features) matrix to (n_items, 2) outputs
    (valence, arousal), with standardisation fitted inside the pipeline (so inside each CV fold).
    """
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    spec = load_spec("baselines")["models"][name]
    if name == "ridge":
        from sklearn.linear_model import Ridge

        model, prefix = Ridge(), "model__"
    elif name == "svr":
        from sklearn.multioutput import MultiOutputRegressor
        from sklearn.svm import SVR

        model, prefix = MultiOutputRegressor(SVR(kernel=spec.get("kernel", "rbf"))), "model__estimator__"
    elif name == "xgboost":
        from xgboost import XGBRegressor

        model, prefix = XGBRegressor(random_state=seed, **spec.get("fixed", {})), "model__"
    else:
        raise SpecError(f"unknown baseline {name!r}; choose from {BASELINES}")
    pipeline = Pipeline([("scale", StandardScaler()), ("model", model)])
    grid = {prefix + key: list(values) for key, values in spec["search"].items()}
    return pipeline, grid


def search_baseline(name: str, features, targets, groups, seed: int = 0, folds: int | None = None):
    """Grid search with group folds (no song/artist on both sides of a fold) on training items only.

    Parameters
    ----------
    features : np.ndarray, shape (n_items, n_features)
    targets : np.ndarray, shape (n_items, 2), columns (valence, arousal)
    groups : sequence of str, the split groups of the items (songs or artists)

    Returns
    -------
    The fitted ``GridSearchCV`` (``best_estimator_`` refitted on all given items).
    """
    from sklearn.model_selection import GridSearchCV, GroupKFold

    cv = load_spec("baselines")["cv"]
    pipeline, grid = build_baseline(name, seed)
    n_folds = min(folds or cv["folds"], len(set(groups)))
    search = GridSearchCV(pipeline, grid, scoring=cv["scoring"], cv=GroupKFold(n_splits=n_folds),
                          n_jobs=cv.get("n_jobs", 1), refit=True, error_score="raise")
    return search.fit(features, targets, groups=list(groups))
