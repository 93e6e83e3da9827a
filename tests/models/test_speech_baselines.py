"""Classic yardsticks for 6-class speech emotion (issue 18): SVC and logistic regression on openSMILE's 88
eGeMAPS functionals, scaled inside each fold, grid-searched with speaker-grouped folds on balanced accuracy,
saved without pickles, scored by evaluate.py like the Keras speech models; wrong pairings refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mer_keras.cli import evaluate_main, train_main
from mer_keras.data.emotions import EMOTIONS
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import extract_features
from mer_keras.features.for_dataset import speech_feature_spec
from mer_keras.features.opensmile import egemaps_feature_names, egemaps_from_file
from mer_keras.models.baseline_io import MODEL_FILES, SVC_TRUSTED_TYPES, load_baseline, read_descriptor, save_baseline
from mer_keras.models.baselines import CLASSIFIERS, build_baseline, cv_scoring, search_baseline
from mer_keras.errors import RunError
from tests.conftest import make_4q
from tests.models.test_baseline_io import no_unpickling  # noqa: F401  (fixture)
from tests.speech_fixtures import make_emodb, make_ravdess, speech_clip


def test_egemaps_functionals_are_88_named_numbers_per_clip(tmp_path):
    clip = speech_clip(tmp_path / "clip.wav", seconds=1.5)
    row, padding = egemaps_from_file(clip)
    names = egemaps_feature_names()
    assert row.shape == (1, 88) and row.dtype == np.float32 and np.all(np.isfinite(row)) and padding == 0.0
    assert len(names) == 88 == len(set(names))
    assert names[0] == "F0semitoneFrom27.5Hz_sma3nz_amean" and names[-1] == "equivalentSoundLevel_dBp"
    spec = speech_feature_spec("egemaps", family="sklearn")
    assert spec.kind == "egemaps" and spec.params["feature_set"] == "eGeMAPSv02" and spec.params["opensmile"]
    from mer_keras.data.records import Item

    items = [Item("clip", "speaker", clip)]
    cache = FeatureCache(tmp_path / "cache")
    first = extract_features(items, spec, cache=cache, workers=1)
    assert first.features.shape == (1, 1, 88)
    np.testing.assert_array_equal(first.features[0], row)
    assert len(list((tmp_path / "cache" / "egemaps").glob("*.npz"))) == 1      # cached: one row per clip
    np.testing.assert_array_equal(extract_features(items, spec, cache=cache, workers=1).features, first.features)


def _classes(n_per_class=10, n_features=9, seed=0):
    rng = np.random.default_rng(seed)
    targets = np.repeat(np.arange(len(EMOTIONS)), n_per_class).astype(np.int32)
    features = rng.standard_normal((len(targets), n_features)) * rng.uniform(0.5, 30, n_features) + 5
    features[:, 0] += 40 * targets          # one informative, badly scaled column
    features[:, 1] -= 3 * (targets % 2)
    groups = [f"speaker{k % 5}" for k in range(len(targets))]
    return features, targets, groups


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_grids_scale_inside_and_score_balanced_accuracy(name):
    pipeline, grid = build_baseline(name)
    assert [step for step, _ in pipeline.steps] == ["scale", "model"]
    assert all(key in pipeline.get_params() for key in grid), grid
    assert pipeline.named_steps["model"].get_params()["class_weight"] == "balanced"
    assert cv_scoring("emotion") == "balanced_accuracy" and cv_scoring("va") == cv_scoring("quadrant") == "r2"
    features, targets, groups = _classes()
    search = search_baseline(name, features, targets, groups, folds=5, task="emotion")
    assert search.scoring == "balanced_accuracy" and search.n_splits_ == 5
    assert search.best_score_ > 0.3      # chance: 1/6
    assert search.best_estimator_.predict_proba(features).shape == (60, 6)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifier_round_trips_with_identical_probabilities(name, tmp_path, no_unpickling):  # noqa: F811
    features, targets, _ = _classes()
    pipeline, _ = build_baseline(name)
    pipeline.set_params(model__C=1.0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)   # SVC(probability=True), deprecated in scikit-learn 1.9
        pipeline.fit(features, targets)
    written = save_baseline(pipeline, tmp_path)
    assert written[-1] == MODEL_FILES[name] and not list(tmp_path.glob("*.tmp*"))
    descriptor = read_descriptor(tmp_path)
    assert descriptor["classes"] == list(range(6)) and descriptor["n_outputs"] == 6 and descriptor["n_features"] == 9
    loaded = load_baseline(tmp_path)
    new = _classes(n_per_class=4, seed=1)[0]
    np.testing.assert_array_equal(pipeline.predict_proba(new), loaded.predict_proba(new))
    np.testing.assert_array_equal(pipeline.predict(new), loaded.predict(new))
    np.testing.assert_array_equal(pipeline.predict_proba(features), loaded.predict_proba(features))


def test_svc_file_with_an_untrusted_type_is_refused(tmp_path):
    import skops.io
    from sklearn.linear_model import LogisticRegression

    features, targets, _ = _classes()
    pipeline, _ = build_baseline("logreg")
    save_baseline(pipeline.fit(features, targets), tmp_path)
    descriptor = read_descriptor(tmp_path)
    (tmp_path / "baseline.json").write_text(json.dumps(descriptor | {"model": "svc"}))
    skops.io.dump(LogisticRegression(max_iter=2000).fit(features / features.std(axis=0), targets), tmp_path / MODEL_FILES["svc"])
    assert "sklearn.svm._classes.SVC" in SVC_TRUSTED_TYPES
    with pytest.raises(RunError, match=r"baseline_svc.skops holds types outside the trusted list .*LogisticRegression"):
        load_baseline(tmp_path)


def test_probabilities_land_in_emotions_order_even_with_a_class_missing():
    from mer_keras.data.targets import decode_predictions
    from mer_keras.inference import class_probabilities

    features, targets, _ = _classes()
    keep = targets != 2                   # no "fearful" in training
    pipeline, _ = build_baseline("logreg")
    pipeline.fit(features[keep], targets[keep])
    outputs = class_probabilities(pipeline, features)
    assert outputs.shape == (60, 6) and np.all(outputs[:, 2] == 0)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.delete(outputs, 2, axis=1), pipeline.predict_proba(features))
    decoded = decode_predictions(outputs, "emotion")
    assert [row["emotion"] for row in decoded] == [EMOTIONS[k] for k in pipeline.predict(features)]


@pytest.mark.parametrize("model, maker", [("svc", make_emodb), ("logreg", make_ravdess)])
def test_speech_baseline_trains_and_evaluates_through_the_commands(model, maker, tmp_path):
    data = maker(tmp_path / "data")
    run = tmp_path / model
    assert train_main(["--model", model, "--data", str(data), "--test-fold", "0/2", "--seed", "0",
                       "--workers", "1", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["family"] == "sklearn" and config["task"] == "emotion" and config["feature"]["kind"] == "egemaps"
    assert config["input_shape"] == [1, 88] and config["n_features"] == 88 and config["test_fold"] == [0, 2]
    assert config["training"]["cv_scoring"] == "balanced_accuracy" and "best_cv_r2" not in config["training"]
    search = json.loads((run / "search.json").read_text())
    test_ids = set(json.loads((run / "split.json").read_text())["test"])
    assert not test_ids & set(search["search_item_ids"]) and search["grouped_by"] == "speaker"
    assert len(json.loads((run / "feature_names.json").read_text())) == 88
    assert MODEL_FILES[model] in json.loads((run / "manifest.json").read_text())["files"]
    assert not list(run.glob("*.joblib"))
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["task"] == "emotion" and metrics["n_test"] == len(test_ids)
    assert {"accuracy", "uar", "macro_f1", "confusion_matrix", "collapse"} <= set(metrics)
    assert metrics["confusion_matrix"]["labels"] == list(EMOTIONS)
    assert np.asarray(metrics["confusion_matrix"]["rows_true_columns_predicted"]).sum() == len(test_ids)
    report = (run / "report.md").read_text()
    assert "scored by balanced accuracy" in report and "Chosen:" in report
    header = (run / "predictions.csv").read_text().splitlines()[0]
    assert header.endswith(",".join(f"p_{name}" for name in EMOTIONS))


def test_speech_baseline_on_handcrafted_features(tmp_path):
    """The second yardstick: the 181 librosa descriptors over each speech clip, at the speech STFT settings."""
    data = make_ravdess(tmp_path / "data")
    run = tmp_path / "svc-handcrafted"
    assert train_main(["--model", "svc", "--data", str(data), "--features", "handcrafted", "--test-fold", "1/2",
                       "--seed", "0", "--workers", "1", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["feature"]["kind"] == "handcrafted" and config["input_shape"] == [1, 181]
    assert config["feature"]["params"]["sample_rate"] == 16000 and config["feature"]["params"]["hop_length"] == 160
    assert json.loads((run / "feature_names.json").read_text())[0] == "mfcc_1_mean"
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    assert json.loads((run / "metrics.json").read_text())["task"] == "emotion"


def test_wrong_pairings_are_one_line_each(tmp_path, capsys):
    fourq = make_4q(tmp_path / "music")
    emodb = make_emodb(tmp_path / "speech")
    cases = [
        (["--model", "ridge", "--data", str(fourq), "--features", "egemaps"], "applies to the speech datasets"),
        (["--model", "svc", "--data", str(fourq), "--features", "egemaps"], "applies to the speech datasets"),
        (["--model", "logreg", "--data", str(fourq), "--features", "handcrafted"], "does not apply to 4q"),
        (["--model", "svc", "--data", str(emodb), "--features", "mel"], "take --features egemaps"),
        (["--model", "cnn_lstm", "--data", str(emodb), "--features", "handcrafted"], "classic speech models svc and logreg"),
        (["--model", "cnn_lstm", "--data", str(emodb), "--features", "egemaps"], "classic speech models svc and logreg"),
    ]
    for k, (arguments, message) in enumerate(cases):
        assert train_main([*arguments, "--workers", "1", "--out", str(tmp_path / f"r{k}")]) == 2, arguments
        err = capsys.readouterr().err.strip().splitlines()
        errors = [line for line in err if line.startswith("error:")]
        assert len(errors) == 1 and message in errors[0], err


def test_every_baseline_file_is_sealed_in_the_run_manifest():
    from mer_keras.runs import RUN_FILES

    assert set(MODEL_FILES.values()) <= set(RUN_FILES)
