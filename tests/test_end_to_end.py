"""train.py -> evaluate.py -> predict.py on tiny data, through the same entry points users call."""

import csv
import json

import pytest

from mer_keras.cli import evaluate_main, predict_main, train_main
from tests.conftest import make_deam, write_audio


def _train(out, *args):
    return train_main(["--model", "crnn", "--epochs", "1", "--batch-size", "4", "--workers", "1", "--out", str(out), *args])


def test_4q_va_train_evaluate_predict(fourq_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(run, "--dataset", "4q", "--data", str(fourq_dir)) == 0
    for name in ("model.keras", "config.json", "split.json", "history.csv", "normalization.npz", "skipped.csv"):
        assert (run / name).is_file(), name
    config = json.loads((run / "config.json").read_text())
    assert config["parameters"] == 479_138 and config["claimed_parameters"] == 5_800_000
    assert config["task"] == "va" and config["command"].startswith("python train.py --model crnn")
    split = json.loads((run / "split.json").read_text())
    assert split["group_by"] == "artist"

    report = tmp_path / "report"
    assert evaluate_main([str(run), "--report-dir", str(report), "--resamples", "50"]) == 0
    metrics = json.loads((report / "metrics.json").read_text())
    assert set(metrics["r2"]) == {"valence", "arousal", "mean"}
    for key in ("ccc", "mse", "mae", "pearson_r"):
        assert key in metrics
    assert metrics["verdict"]["outcome"] in {"validated", "overestimated", "underestimated", "inconclusive"}
    assert metrics["n_test"] == len(split["test"])
    text = (report / "report.md").read_text()
    assert "proxy target: 4Q tag-derived valence/arousal, not DEAM listener ratings" in text
    assert "5.8M" in text or "5800000" in text or "5,800,000" in text
    assert "python evaluate.py" in text and "python train.py" in text
    assert (report / "predicted_vs_true.png").is_file() and (report / "learning_curves.png").is_file()
    # predicted values are on the 1-9 scale
    with open(report / "predictions.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert all(1 <= float(row["pred_valence"]) <= 9 for row in rows)

    capsys.readouterr()
    clip = write_audio(tmp_path / "mine.mp3", seconds=4.0)
    assert predict_main([str(clip), "--run", str(run), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["file"] == str(clip) and 1 <= out[0]["valence"] <= 9 and 1 <= out[0]["arousal"] <= 9


def test_quadrant_target_reports_accuracy(fourq_dir, tmp_path):
    run = tmp_path / "run"
    assert _train(run, "--data", str(fourq_dir), "--target", "quadrant") == 0
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0 <= metrics["quadrant_accuracy"] <= 1
    assert len(metrics["confusion_matrix"]["rows_true_columns_predicted"]) == 4
    assert set(metrics["sign_accuracy"]) == {"valence", "arousal"}
    assert metrics["verdict"]["outcome"] == "not applicable"


def test_resume_continues_from_last_epoch(fourq_dir, tmp_path):
    run = tmp_path / "run"
    assert _train(run, "--data", str(fourq_dir)) == 0
    assert _train(run, "--data", str(fourq_dir), "--resume", "--epochs", "2") == 0
    with open(run / "history.csv") as handle:
        epochs = [row["epoch"] for row in csv.DictReader(handle)]
    assert epochs == ["0", "1"]
    assert json.loads((run / "config.json").read_text())["epochs_run"] == 2


def test_existing_run_is_not_overwritten(fourq_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(run, "--data", str(fourq_dir)) == 0
    assert _train(run, "--data", str(fourq_dir)) == 2
    assert "--resume" in capsys.readouterr().err


def test_deam_opensmile_variant(tmp_path):
    data = make_deam(tmp_path / "data", n_songs=10, audio=False, features=True)
    (data / "features" / "5.csv").unlink()
    run = tmp_path / "run"
    assert _train(run, "--dataset", "deam", "--data", str(data), "--features", "opensmile") == 0
    config = json.loads((run / "config.json").read_text())
    assert config["input_shape"] == [90, 6] and config["feature"]["kind"] == "opensmile"
    with open(run / "skipped.csv") as handle:
        assert [row["item_id"] for row in csv.DictReader(handle)] == ["5"]
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert "proxy_label" not in metrics and metrics["dataset"] == "deam"


def test_4q_opensmile_frames_from_audio(fourq_dir, tmp_path):
    """The CRNN on openSMILE rows computed from 4Q audio: 59 rows x 260 for the 30 s window (issue 17)."""
    run = tmp_path / "run"
    assert _train(run, "--data", str(fourq_dir), "--features", "opensmile") == 0
    config = json.loads((run / "config.json").read_text())
    assert config["feature"]["kind"] == "opensmile_audio" and config["input_shape"] == [59, 260]
    assert evaluate_main([str(run), "--resamples", "20"]) == 0


def test_deam_audio_window_from_15s(tmp_path):
    data = make_deam(tmp_path / "data", n_songs=6, audio=True, features=False)
    run = tmp_path / "run"
    assert _train(run, "--dataset", "deam", "--data", str(data)) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["feature"]["params"]["offset"] == 15.0
    assert len(config["padded"]) == config["n_items"]["train"] + config["n_items"]["validation"]  # 18 s clips: 3 s left


@pytest.mark.parametrize("args, message", [
    (["--dataset", "4q", "--data", "/no/such/folder"], "not a folder"),
    (["--model", "transformer9"], "unknown model"),
])
def test_bad_requests_give_one_line_errors(args, message, capsys):
    assert train_main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_evaluate_on_non_run_folder(tmp_path, capsys):
    assert evaluate_main([str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_predict_reports_corrupt_file(fourq_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(run, "--data", str(fourq_dir)) == 0
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"\x00" * 100)
    capsys.readouterr()
    assert predict_main([str(bad), "--run", str(run)]) == 1
    assert "bad.mp3" in capsys.readouterr().out


def test_default_data_falls_back_to_4q_va(tmp_path, monkeypatch):
    from mer_keras.data.registry import resolve_data
    from tests.conftest import make_4q

    root = tmp_path / "shared"
    make_4q(root)
    make_deam(root, n_songs=3, audio=True, features=False)
    monkeypatch.setenv("MER_DATA", str(root))
    choice = resolve_data(None, None, None, None)
    assert (choice.dataset, choice.target) == ("4q", "va")
    assert "4Q-VA" in choice.message and "too few songs" in choice.message


def test_evaluate_without_arguments_uses_newest_run(fourq_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert train_main(["--model", "crnn", "--epochs", "1", "--workers", "1", "--data", str(fourq_dir)]) == 0
    assert (tmp_path / "runs" / "crnn-4q-va-mel-seed0" / "model.keras").is_file()
    capsys.readouterr()
    assert evaluate_main(["--resamples", "10"]) == 0
    assert "crnn-4q-va-mel-seed0" in capsys.readouterr().err
    assert (tmp_path / "runs" / "crnn-4q-va-mel-seed0" / "report.md").is_file()


def test_evaluate_on_another_labelled_folder_and_its_overlap_refusal(fourq_dir, tmp_path, capsys):
    """``evaluate.py RUN --data DIR``: every item of DIR is a test item; a folder sharing an item with the
    run's training or validation part is refused in one line."""
    import json

    from mer_keras.cli import evaluate_main
    from tests.conftest import make_4q

    run = tmp_path / "run"
    assert _train(run, "--data", str(fourq_dir), "--cache", str(tmp_path / "cache")) == 0
    other = make_4q(tmp_path / "other", songs=[("N1", "Zed", "Q1", "happy"), ("N2", "Yan", "Q2", "angry"),
                                               ("N3", "Xi", "Q3", "sad"), ("N4", "Wu", "Q4", "calm")])
    report = tmp_path / "external"
    assert evaluate_main([str(run), "--data", str(other), "--report-dir", str(report), "--resamples", "20",
                          "--cache", str(tmp_path / "cache")]) == 0
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["n_test"] == 4 and metrics["evaluated_on"] == str(other) and "r2" in metrics
    assert "every item of" in (report / "report.md").read_text()
    capsys.readouterr()
    assert evaluate_main([str(run), "--data", str(fourq_dir), "--report-dir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "shares" in err[0] and "training or validation part" in err[0]
