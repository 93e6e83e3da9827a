"""The classic models in Pipelines, with their search grids from ``specs/baselines.yaml``.

Music (tasks va / quadrant): Ridge, SVR and XGBoost regress (valence, arousal). Speech (task emotion):
an RBF SVC and a logistic regression classify the six emotions (class-balanced weights, class
probabilities from ``predict_proba``).
"""

from __future__ import annotations

import warnings

from mer_keras.errors import DataError, SpecError
from mer_keras.specs import load_spec

BASELINES = ("ridge", "svr", "xgboost")          # regressors of (valence, arousal)
CLASSIFIERS = ("svc", "logreg")                  # six-class speech emotion


def build_baseline(name: str, seed: int = 0):
    """Return ``(pipeline, param_grid)`` for ``name``; grid keys are prefixed for the pipeline.

    The regressors (:data:`BASELINES`) map a (n_items, n_features) matrix to (n_items, 2) outputs
    (valence, arousal); the classifiers (:data:`CLASSIFIERS`) to class indices, with
    ``predict_proba`` giving (n_items, n_classes). Standardisation is fitted inside the pipeline (so
    inside each CV fold).
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
    elif name == "svc":
        from sklearn.svm import SVC

        model, prefix = SVC(kernel=spec.get("kernel", "rbf"), random_state=seed, **spec.get("fixed", {})), "model__"
    elif name == "logreg":
        from sklearn.linear_model import LogisticRegression

        model, prefix = LogisticRegression(random_state=seed, **spec.get("fixed", {})), "model__"
    else:
        raise SpecError(f"unknown baseline {name!r}; choose from {BASELINES + CLASSIFIERS}")
    pipeline = Pipeline([("scale", StandardScaler()), ("model", model)])
    grid = {prefix + key: list(values) for key, values in spec["search"].items()}
    return pipeline, grid


#: How reports and logs name each cross-validation score (``cv_scoring``).
SCORING_LABELS = {"r2": "mean R²", "balanced_accuracy": "balanced accuracy (unweighted average recall)"}


def cv_scoring(task: str | None = None) -> str:
    """The grid search's score for ``task`` (``specs/baselines.yaml`` ``cv``): ``r2`` for the music tasks,
    ``balanced_accuracy`` (unweighted average recall) for speech emotion."""
    cv = load_spec("baselines")["cv"]
    return cv.get("scoring_by_task", {}).get(task, cv["scoring"])


def search_baseline(name: str, features, targets, groups, seed: int = 0, folds: int | None = None,
                    task: str | None = None):
    """Grid search with group folds (no song/artist/speaker on both sides of a fold) on training items only.

    Parameters
    ----------
    features : np.ndarray, shape (n_items, n_features)
    targets : np.ndarray, shape (n_items, 2), columns (valence, arousal); or (n_items,) class indices
        (task ``emotion``)
    groups : sequence of str, the split groups of the items (songs, artists or speakers)
    task : the run's task; picks the score (:func:`cv_scoring`). ``None``: ``emotion`` for the
        classifiers, the music score otherwise.

    Returns
    -------
    The fitted ``GridSearchCV`` (``best_estimator_`` refitted on all given items).
    """
    from sklearn.model_selection import GridSearchCV, GroupKFold

    cv = load_spec("baselines")["cv"]
    if task is None:
        task = "emotion" if name in CLASSIFIERS else None
    pipeline, grid = build_baseline(name, seed)
    n_folds = min(folds or cv["folds"], len(set(groups)))
    if n_folds < 2:
        raise DataError(f"the {name} grid search needs at least 2 groups in the training items, found {len(set(groups))}")
    search = GridSearchCV(pipeline, grid, scoring=cv_scoring(task), cv=GroupKFold(n_splits=n_folds),
                          n_jobs=cv.get("n_jobs", 1), refit=True, error_score="raise")
    with warnings.catch_warnings():
        # SVC(probability=True) is deprecated from scikit-learn 1.9 (removed in 1.11) in favour of
        # CalibratedClassifierCV(SVC(), ensemble=False); it still fits the same Platt scaling, pinned 1.9.1 here
        warnings.filterwarnings("ignore", message=".*`probability` parameter was deprecated", category=FutureWarning)
        return search.fit(features, targets, groups=list(groups))
