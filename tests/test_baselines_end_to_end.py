"""Ridge / SVR / XGBoost through train.py and evaluate.py on tiny data."""

import json

import pytest

from mer_keras.cli import evaluate_main, predict_main, train_main
from tests.conftest import make_4q, make_deam, write_audio

SONGS = [(f"T{k}", f"Artist{k // 2}", f"Q{k % 4 + 1}", ["happy; excited", "angry", "sad; gloomy", "calm"][k % 4])
         for k in range(16)]


@pytest.fixture
def bigger_4q(tmp_path):
    return make_4q(tmp_path / "data", songs=SONGS, seconds=2.0)


@pytest.mark.parametrize("model", ["ridge", "svr", "xgboost"])
def test_train_evaluate_with_handcrafted_features(model, bigger_4q, tmp_path):
    run = tmp_path / model
    assert train_main(["--model", model, "--data", str(bigger_4q), "--workers", "1", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["feature"]["kind"] == "handcrafted" and config["n_features"] == 181
    search = json.loads((run / "search.json").read_text())
    split = json.loads((run / "split.json").read_text())
    # the hyperparameter search saw the training songs, all of them, and no test song
    assert not set(search["search_item_ids"]) & set(split["test"])
    assert sorted(search["search_item_ids"]) == sorted(split["train"] + split["validation"])
    assert search["best_params"] and search["grouped_by"] == "artist"

    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["r2"]) == {"valence", "arousal", "mean"}
    assert metrics["verdict"]["metric"] == "r2" and metrics["verdict"]["claimed"] == {"ridge": 0.497, "svr": 0.533, "xgboost": 0.540}[model]
    assert metrics["verdict"]["outcome"] in {"consistent", "below claim", "above claim"}
    report = (run / "report.md").read_text()
    assert "Chosen:" in report and "proxy target" in report
    if model == "xgboost":
        assert len(metrics["feature_importance_top20"]) == 20
        assert (run / "feature_importance.png").is_file()


def test_baseline_predicts_new_file(bigger_4q, tmp_path, capsys):
    run = tmp_path / "ridge"
    assert train_main(["--model", "ridge", "--data", str(bigger_4q), "--workers", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    assert predict_main([str(write_audio(tmp_path / "x.wav", seconds=2.0)), "--run", str(run), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert "valence" in row and "arousal" in row


def test_quadrant_baseline(bigger_4q, tmp_path):
    run = tmp_path / "q"
    assert train_main(["--model", "ridge", "--data", str(bigger_4q), "--target", "quadrant", "--workers", "1", "--out", str(run)]) == 0
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    assert 0 <= json.loads((run / "metrics.json").read_text())["quadrant_accuracy"] <= 1


def test_deam_opensmile_summary(tmp_path):
    data = make_deam(tmp_path / "data", n_songs=14, audio=False, features=True)
    run = tmp_path / "x"
    assert train_main(["--model", "xgboost", "--dataset", "deam", "--data", str(data), "--features", "opensmile",
                       "--workers", "1", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["feature"]["kind"] == "opensmile_summary" and config["n_features"] == 12
    names = json.loads((run / "feature_names.json").read_text())
    assert names[0] == "F0_sma_amean_mean" and names[6] == "F0_sma_amean_std"
    assert evaluate_main([str(run), "--resamples", "20"]) == 0


def test_4q_opensmile_computed_from_audio(bigger_4q, tmp_path):
    """--features opensmile on 4Q: DEAM's layout computed from the audio, summarised per clip (issue 17)."""
    run = tmp_path / "ridge-os"
    assert train_main(["--model", "ridge", "--data", str(bigger_4q), "--features", "opensmile",
                       "--workers", "1", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["feature"]["kind"] == "opensmile_audio_summary" and config["n_features"] == 520
    assert config["feature"]["params"]["frames"] == 59 and config["input_shape"] == [1, 520]
    assert len(config["padded"]) == config["n_items"]["train"] + config["n_items"]["validation"]  # 2 s clips
    names = json.loads((run / "feature_names.json").read_text())
    assert names[0] == "F0final_sma_stddev_mean" and names[260] == "F0final_sma_stddev_std" and len(names) == 520
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["r2"]) == {"valence", "arousal", "mean"} and metrics["n_test"] > 0


def test_baselines_refuse_log_mel_sequences(bigger_4q, tmp_path, capsys):
    assert train_main(["--model", "ridge", "--data", str(bigger_4q), "--features", "mel", "--out", str(tmp_path / "r")]) == 2
    assert "handcrafted or opensmile" in capsys.readouterr().err


def test_summary_over_seeds_for_a_baseline(bigger_4q, tmp_path):
    runs = []
    for seed in ("0", "1"):
        runs.append(str(tmp_path / f"ridge-s{seed}"))
        assert train_main(["--model", "ridge", "--data", str(bigger_4q), "--seed", seed, "--workers", "1", "--out", runs[-1]]) == 0
    assert evaluate_main([*runs, "--report-dir", str(tmp_path / "summary"), "--resamples", "20"]) == 0
    summary = json.loads((tmp_path / "summary" / "metrics.json").read_text())
    assert summary["n_runs"] == 2 and summary["verdict"]["claimed"] == 0.497
    assert summary["r2"]["mean"]["values"] == [
        json.loads((tmp_path / "summary" / name / "metrics.json").read_text())["r2"]["mean"] for name in ("ridge-s0", "ridge-s1")]
