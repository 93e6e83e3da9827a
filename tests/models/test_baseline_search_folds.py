"""The classic baselines' grid search keeps every group (song or artist) on one side of each fold (issue 26).

Groups are interleaved (item i belongs to group i % 5), so any split that ignores them, such as
a plain KFold over contiguous blocks, puts every group on both sides. The folds the search actually
used are recorded from the data it saw: feature column 0 is each item's row number, and the
Pipeline's fit (training rows) and predict (scored rows) are wrapped to read it.
"""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline

from mer_keras.models.baselines import search_baseline

N_GROUPS, PER_GROUP = 5, 4


@pytest.fixture
def problem():
    n = N_GROUPS * PER_GROUP
    rng = np.random.default_rng(0)
    features = np.column_stack([np.arange(n, dtype=float), rng.standard_normal((n, 3))])
    targets = rng.uniform(-1, 1, (n, 2))
    groups = [f"artist{i % N_GROUPS}" for i in range(n)]    # interleaved: contiguous blocks split every group
    return features, targets, groups


def _rows(features) -> frozenset:
    return frozenset(int(round(v)) for v in np.asarray(features)[:, 0])


def test_search_folds_keep_groups_apart(problem, monkeypatch):
    features, targets, groups = problem
    fitted, scored = [], []
    original_fit, original_predict = Pipeline.fit, Pipeline.predict

    def fit(self, X, y=None, **params):
        fitted.append(_rows(X))
        return original_fit(self, X, y, **params)

    def predict(self, X, **params):
        scored.append(_rows(X))
        return original_predict(self, X, **params)

    monkeypatch.setattr(Pipeline, "fit", fit)
    monkeypatch.setattr(Pipeline, "predict", predict)
    with joblib.parallel_config(backend="threading"):   # folds fitted in this process, so the wrappers see them
        search = search_baseline("ridge", features, targets, groups)

    everything = frozenset(range(len(groups)))
    assert scored, "no scored fold was recorded (is the baseline still a scikit-learn Pipeline?)"
    test_folds = set(scored)
    train_folds = {rows for rows in fitted if rows != everything}       # the final refit sees all items
    assert len(test_folds) == search.n_splits_ == min(5, N_GROUPS)
    assert train_folds == {everything - test for test in test_folds}, "each fold trains on the rest of the items"
    for test in test_folds:
        train_groups, test_groups = {groups[i] for i in everything - test}, {groups[i] for i in test}
        assert not train_groups & test_groups, f"groups {sorted(train_groups & test_groups)} on both sides of a fold"
    # every item is scored exactly once over the folds
    assert sorted(i for test in test_folds for i in test) == list(range(len(groups)))

def test_search_splitter_respects_groups(problem):
    """The splitter the fitted search holds, replayed with the groups: no group on both sides."""
    features, targets, groups = problem
    with joblib.parallel_config(backend="threading"):   # no worker processes to start: seconds, not tens
        search = search_baseline("ridge", features, targets, groups)
    splits = list(check_cv(search.cv, targets).split(features, targets, groups))
    assert len(splits) == search.n_splits_ == min(5, N_GROUPS)
    for train, test in splits:
        assert not {groups[i] for i in train} & {groups[i] for i in test}
