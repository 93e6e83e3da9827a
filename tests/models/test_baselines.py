import numpy as np
import pytest

from mer_keras.models.baselines import BASELINES, build_baseline, search_baseline


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n, 8)) * [1, 10, 100, 1, 1, 1, 1, 1]
    targets = np.tanh(np.stack([features[:, 0] * 0.5, features[:, 1] * 0.05], axis=1)) + 0.05 * rng.standard_normal((n, 2))
    groups = [f"g{k // 2}" for k in range(n)]
    return features, targets, groups


@pytest.mark.parametrize("name", BASELINES)
def test_pipeline_scales_inside_and_grid_matches_params(name):
    pipeline, grid = build_baseline(name)
    assert pipeline.steps[0][0] == "scale"
    valid = pipeline.get_params()
    assert all(key in valid for key in grid), grid


@pytest.mark.parametrize("name", BASELINES)
def test_search_fits_two_outputs_and_learns(name):
    features, targets, groups = _data()
    search = search_baseline(name, features, targets, groups, folds=3)
    prediction = search.best_estimator_.predict(features)
    assert prediction.shape == (60, 2)
    assert search.best_score_ > 0.2


def test_folds_never_split_a_group():
    from sklearn.model_selection import GroupKFold

    features, targets, groups = _data()
    for train, test in GroupKFold(n_splits=3).split(features, targets, groups):
        assert not {groups[i] for i in train} & {groups[i] for i in test}
