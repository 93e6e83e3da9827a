"""Speech emotion on tiny data: train.py -> evaluate.py (one run, and the side-by-side) -> predict.py."""

import csv
import json

import numpy as np
import pytest

from mer_keras.cli import evaluate_main, predict_main, train_main
from mer_keras.data.emotions import EMOTIONS
from tests.speech_fixtures import make_cremad, make_ravdess, speech_clip


def _train(model, data, out, *args):
    return train_main(["--model", model, "--data", str(data), "--epochs", "1", "--batch-size", "4", "--workers", "1",
                       "--out", str(out), *args])


@pytest.fixture
def ravdess_dir(tmp_path):
    return make_ravdess(tmp_path / "data")


def test_cnn_lstm_and_attn_crnn_side_by_side(ravdess_dir, tmp_path, capsys):
    runs = {model: tmp_path / f"run-{model}" for model in ("cnn_lstm", "attn_crnn")}
    for model, run in runs.items():
        assert _train(model, ravdess_dir, run) == 0
        config = json.loads((run / "config.json").read_text())
        assert config["task"] == "emotion" and config["peak_rss_mib"] > 0 and config["train_seconds"] >= 0
        split = json.loads((run / "split.json").read_text())
        assert split["group_by"] == "speaker" and split["seed"] == 0
        sides = [{item_id.split("-")[-1] for item_id in split[part]} for part in ("train", "validation", "test")]
        assert not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])   # actor field of the name
        with open(run / "skipped.csv") as handle:
            assert [row["item_id"] for row in csv.DictReader(handle)] == ["Actor_01/notes take 2.wav"]
    assert json.loads((runs["cnn_lstm"] / "config.json").read_text())["feature"]["kind"] == "logmel"
    assert json.loads((runs["cnn_lstm"] / "config.json").read_text())["input_shape"] == [401, 64]
    assert json.loads((runs["attn_crnn"] / "config.json").read_text())["input_shape"] == [64000, 1]

    report = tmp_path / "report"
    assert evaluate_main([str(runs["cnn_lstm"]), "--report-dir", str(report), "--resamples", "30"]) == 0
    metrics = json.loads((report / "metrics.json").read_text())
    assert 0 <= metrics["accuracy"] <= 1 and 0 <= metrics["macro_f1"] <= 1
    assert set(metrics["recall"]) == set(EMOTIONS)
    assert len(metrics["confusion_matrix"]["rows_true_columns_predicted"]) == 6
    assert {"accuracy", "macro_f1"} <= set(metrics["bootstrap"])
    history = (runs["cnn_lstm"] / "history.csv").read_text().splitlines()
    assert metrics["fit"]["figure"] == "accuracy" and metrics["fit"]["epochs"] == len(history) - 1
    assert 0 <= metrics["fit"]["train"] <= 1 and 0 <= metrics["fit"]["validation"] <= 1
    verdict = metrics["verdict"]
    assert verdict["claimed"] == [0.60, 0.65] and verdict["outcome"] in {"below claim", "above claim", "consistent"}
    assert "RAVDESS" in verdict["caveat"]
    text = (report / "report.md").read_text()
    assert "Macro-F1" in text and "RAVDESS" in text and "python train.py" in text
    assert (report / "confusion_matrix.png").is_file()

    side = tmp_path / "side"
    assert evaluate_main([str(runs["cnn_lstm"]), str(runs["attn_crnn"]), "--report-dir", str(side), "--resamples", "20"]) == 0
    comparison = json.loads((side / "metrics.json").read_text())
    assert set(comparison["models"]) == {"cnn_lstm", "attn_crnn"}
    assert comparison["models"]["attn_crnn"]["accuracy_claim"]["claimed"] == 0.53
    assert {row["figure"] for row in comparison["efficiency_claims"]} >= {"parameters", "peak_rss_mib", "train_seconds"}
    text = (side / "report.md").read_text()
    assert "Efficiency claims" in text and "training time" in text
    assert (side / "comparison.png").is_file() and (side / "attn_crnn" / "run-attn_crnn" / "report.md").is_file()

    capsys.readouterr()
    clip = speech_clip(tmp_path / "new speech.wav", seconds=2.0)
    assert predict_main([str(clip), "--run", str(runs["attn_crnn"]), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["emotion"] in EMOTIONS and np.isclose(sum(row["probabilities"].values()), 1.0, atol=1e-4)
    assert predict_main([str(clip), "--run", str(runs["cnn_lstm"])]) == 0
    captured = capsys.readouterr()
    assert captured.out.split("\t")[1] in EMOTIONS and "warning" not in captured.err

    music = speech_clip(tmp_path / "a song.wav", seconds=20.0)        # far longer than an utterance
    assert predict_main([str(music), "--run", str(runs["cnn_lstm"]), "--json"]) == 0
    captured = capsys.readouterr()
    row = json.loads(captured.out)[0]
    assert "20.0 s long" in row["warning"] and row["emotion"] in EMOTIONS
    assert captured.err.count("warning:") == 1 and "a song.wav" in captured.err


def test_cremad_trains_and_seeds_summarise(tmp_path):
    data = make_cremad(tmp_path / "data")
    runs = [tmp_path / f"run{seed}" for seed in (0, 1)]
    for seed, run in enumerate(runs):
        assert _train("cnn_lstm", data, run, "--dataset", "cremad", "--seed", str(seed)) == 0
    summary_dir = tmp_path / "summary"
    assert evaluate_main([*map(str, runs), "--report-dir", str(summary_dir), "--resamples", "20"]) == 0
    summary = json.loads((summary_dir / "metrics.json").read_text())
    assert summary["n_runs"] == 2 and set(summary["accuracy"]["value"]) >= {"mean", "sd"}
    assert summary["verdict"]["claimed"] == [0.60, 0.65]


def test_embeddings_mode_reads_npy_and_lists_missing(ravdess_dir, tmp_path):
    from mer_keras.data.ravdess import load_ravdess

    folder = tmp_path / "emb"
    folder.mkdir()
    rng = np.random.default_rng(0)
    items = load_ravdess(ravdess_dir).items
    for item in items[1:]:                          # the first clip has none: a listed skip
        np.save(folder / f"{item.item_id}.npy", rng.standard_normal((150, 12)).astype("float32"))
    run = tmp_path / "run"
    assert _train("attn_crnn", ravdess_dir, run, "--embeddings", str(folder)) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["feature"]["kind"] == "embeddings" and config["input_shape"] == [200, 12]
    with open(run / "skipped.csv") as handle:
        reasons = {row["item_id"]: row["reason"] for row in csv.DictReader(handle)}
    split = json.loads((run / "split.json").read_text())
    if items[0].item_id in split["train"] + split["validation"]:
        assert "no embeddings file" in reasons[items[0].item_id]
    assert evaluate_main([str(run), "--resamples", "10"]) == 0


@pytest.mark.parametrize("args, message", [
    (["--model", "crnn"], "does not apply to ravdess"),
    (["--model", "cnn_lstm", "--target", "va"], "emotion"),
    (["--model", "attn_crnn", "--embeddings", "/no/such/dir"], "/no/such/dir is not a folder"),
    (["--model", "cnn_lstm", "--features", "handcrafted"], "classic speech models svc and logreg"),
])
def test_bad_speech_requests_are_one_line_errors(ravdess_dir, tmp_path, args, message, capsys):
    assert train_main(["--data", str(ravdess_dir), "--out", str(tmp_path / "r"), "--workers", "1", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_music_models_refuse_nothing_new(tmp_path, capsys):
    from tests.conftest import make_4q

    data = make_4q(tmp_path / "data")
    assert train_main(["--model", "cnn_lstm", "--data", str(data), "--out", str(tmp_path / "r")]) == 2
    assert "does not apply to 4q" in capsys.readouterr().err
