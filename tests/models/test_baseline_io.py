"""Classic baselines saved without pickles (mer_keras.models.baseline_io, issue 25): each model loads back
bit-identically, no pickle is read on the way, and files that are not what train.py writes are refused."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from mer_keras.errors import RunError
from mer_keras.models.baseline_io import DESCRIPTOR, MODEL_FILES, SCALER_FILE, baseline_files, load_baseline, save_baseline
from mer_keras.models.baselines import build_baseline

# small but real settings from each grid (specs/baselines.yaml), so a fit takes well under a second
SETTINGS = {"ridge": {"model__alpha": 10.0},
            "svr": {"model__estimator__C": 1.0, "model__estimator__gamma": "scale", "model__estimator__epsilon": 0.05},
            "xgboost": {"model__n_estimators": 30, "model__max_depth": 3, "model__learning_rate": 0.1}}


def _data(n=48, n_features=12, seed=0):
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n, n_features)) * rng.uniform(0.5, 20, n_features) + rng.uniform(-5, 5, n_features)
    targets = np.tanh(np.c_[features[:, 0] / 10 - features[:, 1] / 20, features[:, 2] * features[:, 3] / 50])
    return features, targets + 0.05 * rng.standard_normal(targets.shape)


def _fitted(name):
    pipeline, _ = build_baseline(name, seed=0)
    features, targets = _data()
    return pipeline.set_params(**SETTINGS[name]).fit(features, targets)


@pytest.fixture
def no_unpickling(monkeypatch):
    """Any attempt to unpickle while this fixture is active fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a pickle was read")

    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)      # no worker process may inherit the patched pickle module
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    yield
    monkeypatch.undo()
    get_reusable_executor().shutdown(wait=True)


@pytest.mark.parametrize("name", ["ridge", "svr", "xgboost"])
def test_saved_baseline_predicts_bit_identically(name, tmp_path, no_unpickling):
    pipeline = _fitted(name)
    new_features, _ = _data(n=20, seed=1)
    before = pipeline.predict(new_features)
    written = save_baseline(pipeline, tmp_path)
    assert written == [DESCRIPTOR, SCALER_FILE, MODEL_FILES[name]] == baseline_files(name)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(written), "a temporary file was left behind"

    loaded = load_baseline(tmp_path)
    after = loaded.predict(new_features)
    assert after.shape == (20, 2) and after.dtype == before.dtype
    np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(pipeline.predict(_data()[0]), loaded.predict(_data()[0]))
    descriptor = json.loads((tmp_path / DESCRIPTOR).read_text())
    assert descriptor["model"] == name and descriptor["n_features"] == 12 and descriptor["n_outputs"] == 2


def test_xgboost_gain_importances_survive(tmp_path):
    pipeline = _fitted("xgboost")
    save_baseline(pipeline, tmp_path)
    assert (tmp_path / MODEL_FILES["xgboost"]).read_text().lstrip().startswith("{"), "XGBoost's own JSON format"
    np.testing.assert_array_equal(pipeline.named_steps["model"].feature_importances_,
                                  load_baseline(tmp_path).named_steps["model"].feature_importances_)


def test_svr_file_with_an_untrusted_type_is_refused_before_loading(tmp_path):
    import skops.io
    from sklearn.linear_model import Ridge

    save_baseline(_fitted("svr"), tmp_path)
    skops.io.dump(Ridge().fit(*_data()), tmp_path / MODEL_FILES["svr"])    # a type outside the trusted list
    with pytest.raises(RunError, match=r"baseline_svr.skops holds types outside the trusted list .*Ridge"):
        load_baseline(tmp_path)


def test_npz_holding_a_pickled_object_is_refused(tmp_path):
    save_baseline(_fitted("ridge"), tmp_path)
    with open(tmp_path / MODEL_FILES["ridge"], "wb") as handle:
        np.savez(handle, coef=np.array([{"not": "numbers"}], dtype=object), intercept=np.zeros(2))
    with pytest.raises(RunError, match="baseline_ridge.npz is not a readable .npz of plain arrays"):
        load_baseline(tmp_path)


def test_damaged_or_foreign_files_are_one_clear_error(tmp_path):
    save_baseline(_fitted("xgboost"), tmp_path)
    (tmp_path / MODEL_FILES["xgboost"]).write_text("{not json")
    with pytest.raises(RunError, match="baseline_xgboost.json is not an XGBoost JSON model"):
        load_baseline(tmp_path)
    descriptor = json.loads((tmp_path / DESCRIPTOR).read_text())
    (tmp_path / DESCRIPTOR).write_text(json.dumps(descriptor | {"model": "../../etc/passwd"}))
    with pytest.raises(RunError, match="names the model"):
        load_baseline(tmp_path)
    (tmp_path / SCALER_FILE).unlink()
    (tmp_path / DESCRIPTOR).write_text(json.dumps(descriptor))
    with pytest.raises(RunError, match="baseline_scaler.npz not found"):
        load_baseline(tmp_path)


def test_unsupported_model_is_refused_rather_than_pickled(tmp_path):
    from sklearn.dummy import DummyRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = Pipeline([("scale", StandardScaler()), ("model", DummyRegressor())]).fit(*_data())
    with pytest.raises(RunError, match="cannot store a DummyRegressor baseline without a pickle"):
        save_baseline(pipeline, tmp_path)


def test_linear_predictor_matches_the_ridge_pipeline_without_sklearn(tmp_path):
    """predict.py's sklearn-free path for ridge runs gives the Pipeline's predictions bit for bit."""
    from mer_keras.models.baseline_io import load_linear_predictor

    pipeline = _fitted("ridge")
    save_baseline(pipeline, tmp_path)
    predict = load_linear_predictor(tmp_path)
    for features in (_data(n=20, seed=2)[0], _data(n=20, seed=3)[0].astype(np.float32)):
        expected = pipeline.predict(features)
        assert np.abs(expected).max() > 0.1
        np.testing.assert_array_equal(predict(features), expected)
    (tmp_path / "svr").mkdir()
    save_baseline(_fitted("svr"), tmp_path / "svr")
    assert load_linear_predictor(tmp_path / "svr") is None          # only ridge has this path
    (tmp_path / MODEL_FILES["ridge"]).write_bytes(b"not an npz")
    with pytest.raises(RunError, match=MODEL_FILES["ridge"]):
        load_linear_predictor(tmp_path)
