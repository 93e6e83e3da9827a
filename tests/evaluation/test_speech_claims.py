"""The speech note's claims judged from fold reports: paired intervals, cross-corpus drops, clear errors."""

import json

import numpy as np
import pytest

from mer_keras.errors import RunError
from mer_keras.evaluation import speech_claims

CLASSES = ["angry", "disgust", "fearful", "happy", "neutral", "sad"]


def _run(name, fold, accuracy, best_epoch, seconds, parameters, rss, recall, protocol="documented",
         evaluated_on=None, collapsed=False):
    metrics = {"run": name, "task": "emotion", "dataset": "ravdess", "protocol": protocol, "accuracy": accuracy,
               "uar": float(np.mean(list(recall.values()))), "macro_f1": accuracy - 0.02, "recall": recall,
               "split": {"test_fold": [fold, 5]} if evaluated_on is None else {"group_by": "external folder emodb"},
               "training": {"best_epoch": best_epoch},
               "resources": {"parameters": parameters, "peak_rss_mib": rss, "train_seconds": seconds,
                             "epochs_run": best_epoch + 8, "seconds_per_epoch": seconds / (best_epoch + 8)},
               "collapse": {"flagged": collapsed},
               "bootstrap": {"accuracy": {"low": accuracy - 0.05, "high": accuracy + 0.05}}}
    if evaluated_on:
        metrics["evaluated_on"] = evaluated_on
    return metrics


def _write_group(folder, model, runs):
    folder.mkdir(parents=True)
    for metrics in runs:
        (folder / metrics["run"]).mkdir()
        (folder / metrics["run"] / "metrics.json").write_text(json.dumps(metrics))
    (folder / "metrics.json").write_text(json.dumps({"model": model, "dataset": "ravdess", "data": "tiny RAVDESS",
                                                     "runs": [m["run"] for m in runs]}))
    return folder


def _groups(tmp_path, cnn_acc, attn_acc, cnn_cross, attn_cross):
    flat = dict.fromkeys(CLASSES, 0.5)
    strong = flat | {"happy": 0.7, "angry": 0.8, "neutral": 0.3}
    cnn = [_run(f"cnn_lstm-test{k}of5", k, a, 5, 100.0, 200_000, 2000.0, strong) for k, a in enumerate(cnn_acc)]
    attn = [_run(f"attn_crnn-test{k}of5", k, a, 12, 300.0, 100_000, 2500.0, flat) for k, a in enumerate(attn_acc)]
    folders = [_write_group(tmp_path / "cnn", "cnn_lstm", cnn), _write_group(tmp_path / "attn", "attn_crnn", attn)]
    cross = [_write_group(tmp_path / "cnn-x", "cnn_lstm", [
                 _run(m["run"], k, a, 5, 100.0, 200_000, 2000.0, strong, evaluated_on="emodb")
                 for k, (m, a) in enumerate(zip(cnn, cnn_cross))]),
             _write_group(tmp_path / "attn-x", "attn_crnn", [
                 _run(m["run"], k, a, 12, 300.0, 100_000, 2500.0, flat, evaluated_on="emodb")
                 for k, (m, a) in enumerate(zip(attn, attn_cross))])]
    return folders, cross


def test_t_interval_matches_the_formula():
    values = [0.5, 0.6, 0.55, 0.65, 0.58]
    interval = speech_claims.t_interval(values)
    half = 2.7764451 * np.std(values, ddof=1) / np.sqrt(5)       # t(0.975, 4)
    assert interval["mean"] == pytest.approx(np.mean(values))
    assert interval["low"] == pytest.approx(np.mean(values) - half, abs=1e-6)
    assert interval["high"] == pytest.approx(np.mean(values) + half, abs=1e-6)
    assert speech_claims.t_interval([0.4])["low"] is None


@pytest.mark.parametrize("low, high, sign, expected", [(0.1, 0.2, 1, "holds"), (-0.2, -0.1, 1, "does not hold"),
                                                       (-0.1, 0.2, 1, "inconclusive"), (-0.2, -0.1, -1, "holds")])
def test_paired_outcome(low, high, sign, expected):
    assert speech_claims.paired_outcome({"low": low, "high": high}, sign) == expected


def test_verdicts_follow_the_measurements(tmp_path):
    folders, cross = _groups(tmp_path, cnn_acc=[0.62, 0.60, 0.66, 0.63, 0.61], attn_acc=[0.50, 0.49, 0.55, 0.52, 0.51],
                             cnn_cross=[0.30, 0.32, 0.28, 0.31, 0.29], attn_cross=[0.40, 0.41, 0.43, 0.42, 0.40])
    result = speech_claims.judge_speech_claims(folders, cross, [], tmp_path / "out", "cmd")
    claims = {c["claim"]: c for c in result["protocols"]["documented"]["claims"]}
    outcome = {key: next(c["outcome"] for text, c in claims.items() if key in text)
               for key in ("more accurate", "fewer epochs", "recording conditions", "smaller", "less memory",
                           "trains faster", "happy and angry", "balanced")}
    assert outcome["more accurate"] == "holds"                   # +0.11 on every fold
    assert outcome["fewer epochs"] == "holds"                    # epoch 5 against 12
    assert outcome["recording conditions"] == "does not hold"    # the CNN-LSTM drops ~0.32, the CRNN ~0.10
    assert outcome["smaller"] == "does not hold"                 # 200k against 100k parameters
    assert outcome["less memory"] == "holds"                     # 500 MiB less on every fold
    assert outcome["trains faster"] == "holds"                   # 300 s against 100 s: ratio 3, inside 1.5-4
    assert outcome["happy and angry"] == "holds"
    assert outcome["balanced"] == "does not hold"                # uneven recall against flat recall
    drop = result["protocols"]["documented"]["cross"]["cnn_lstm"]["drop"]
    assert drop["mean"] == pytest.approx(np.mean([0.62 - 0.30, 0.60 - 0.32, 0.66 - 0.28, 0.63 - 0.31, 0.61 - 0.29]))
    text = (tmp_path / "out" / "report.md").read_text()
    assert "does not hold" in text and "Cross-corpus" in text and "cnn_lstm" in text


def test_a_lower_accuracy_does_not_hold(tmp_path):
    folders, cross = _groups(tmp_path, cnn_acc=[0.30, 0.31, 0.29, 0.33, 0.30], attn_acc=[0.50, 0.49, 0.55, 0.52, 0.51],
                             cnn_cross=[0.2] * 5, attn_cross=[0.2] * 5)
    result = speech_claims.judge_speech_claims(folders, [], [], tmp_path / "out", "cmd")
    claims = result["protocols"]["documented"]["claims"]
    assert next(c for c in claims if "more accurate" in c["claim"])["outcome"] == "does not hold"
    assert next(c for c in claims if c["claim"].startswith("cnn_lstm accuracy"))["outcome"] == "below claim (every fold)"
    assert speech_claims.fold_outcome(["below claim", "consistent", "below claim"]) == "mixed (2 below claim, 1 consistent)"
    assert next(c for c in claims if "recording" in c["claim"])["outcome"] == "not measured"


def test_missing_summary_is_one_clear_error(tmp_path):
    with pytest.raises(RunError, match="metrics.json not found"):
        speech_claims.load_group(tmp_path / "nowhere")
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps({"model": "cnn_lstm", "dataset": "ravdess", "runs": ["gone"]}))
    with pytest.raises(RunError, match="missing"):
        speech_claims.load_group(folder)
    assert speech_claims.main(["--in-corpus", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) != 0


def test_models_below_the_yardstick_get_a_fit_diagnosis(tmp_path):
    folders, _ = _groups(tmp_path, cnn_acc=[0.30, 0.31, 0.29, 0.33, 0.30], attn_acc=[0.40, 0.42, 0.41, 0.43, 0.40],
                         cnn_cross=[0.2] * 5, attn_cross=[0.2] * 5)
    fits = {"cnn": (0.36, 0.35), "attn": (0.80, 0.45)}          # (training, validation) accuracy at the best epoch
    for folder, (train, val) in fits.items():
        for path in (tmp_path / folder).glob("*/metrics.json"):
            data = json.loads(path.read_text())
            data["fit"] = {"figure": "accuracy", "train": train, "validation": val}
            path.write_text(json.dumps(data))
    flat = dict.fromkeys(CLASSES, 0.5)
    stick = _write_group(tmp_path / "svc", "svc", [_run(f"svc-test{k}of5", k, 0.52, 1, 10.0, 0, 900.0, flat, protocol=None)
                                                   for k in range(5)])
    result = speech_claims.judge_speech_claims(folders, [], [stick], tmp_path / "out", "cmd")
    by_model = {d["model"]: d for d in result["fit"]}
    assert by_model["cnn_lstm"]["diagnosis"] == "underfits" and by_model["attn_crnn"]["diagnosis"] == "overfits"
    assert by_model["cnn_lstm"]["train"] == pytest.approx(0.36) and by_model["cnn_lstm"]["yardstick_accuracy"] == pytest.approx(0.52)
    assert "even its training accuracy is below the yardstick" in by_model["cnn_lstm"]["sentence"]
    assert "even its training" not in by_model["attn_crnn"]["sentence"]
    text = (tmp_path / "out" / "report.md").read_text()
    assert "Why the deep models stay below the best yardstick" in text and "underfits" in text


def test_fit_figures_read_the_selected_epoch_of_the_history():
    from mer_keras.evaluation.fit import fit_figures

    history = {"epoch": [1, 2, 3], "accuracy": [0.3, 0.5, 0.7], "val_accuracy": [0.3, 0.45, 0.4],
               "loss": [2, 1, 0.5], "val_loss": [2, 1.2, 1.4]}
    fit = fit_figures(history, best_epoch=2)
    assert (fit["figure"], fit["epoch"], fit["train"], fit["validation"], fit["train_max"]) == ("accuracy", 2, 0.5, 0.45, 0.7)
    assert fit["gap"] == pytest.approx(0.05)
    loss = fit_figures({"loss": [2, 1], "val_loss": [2.5, 1.5]}, None)       # regression: the last epoch, loss
    assert loss["figure"] == "loss" and loss["epoch"] == 2 and loss["gap"] == pytest.approx(0.5)
    assert fit_figures({"loss": [1.0]}, 1) is None


def test_backfill_records_the_fit_of_runs_scored_earlier(tmp_path):
    from mer_keras.evaluation.fit import main

    folders, _ = _groups(tmp_path, cnn_acc=[0.3] * 5, attn_acc=[0.4] * 5, cnn_cross=[0.2] * 5, attn_cross=[0.2] * 5)
    runs = tmp_path / "runs"
    for k in range(5):
        run = runs / f"cnn_lstm-test{k}of5"
        run.mkdir(parents=True)
        (run / "config.json").write_text(json.dumps({"best_epoch": 2}))
        (run / "history.csv").write_text("epoch,accuracy,val_accuracy\n1,0.2,0.2\n2,0.4,0.3\n3,0.5,0.25\n")
    assert main([str(folders[0]), "--runs", str(runs)]) == 0
    metrics = json.loads((folders[0] / "cnn_lstm-test3of5" / "metrics.json").read_text())
    assert metrics["fit"]["train"] == 0.4 and metrics["fit"]["validation"] == 0.3 and metrics["accuracy"] == 0.3
    assert main([str(folders[1]), "--runs", str(runs)]) == 2          # attn runs are not under runs/: one error line


def _flag_collapsed(folder):
    """Mark every run of a summary folder as collapsed, as evaluate.py's collapse check would."""
    for path in folder.glob("*/metrics.json"):
        data = json.loads(path.read_text())
        data["collapse"] = {"flagged": True}
        path.write_text(json.dumps(data))


def test_claims_a_collapsed_model_distorts_say_so(tmp_path):
    folders, cross = _groups(tmp_path, cnn_acc=[0.2] * 5, attn_acc=[0.4] * 5, cnn_cross=[0.2] * 5, attn_cross=[0.2] * 5)
    _flag_collapsed(tmp_path / "cnn")
    claims = speech_claims.judge_speech_claims(folders, cross, [], tmp_path / "out", "cmd")["protocols"]["documented"]["claims"]
    noted = {c["claim"] for c in claims if "collapsed" in (c.get("note") or "")}
    for words in ("fewer epochs", "trains faster", "more accurate", "recording conditions"):
        assert any(words in claim for claim in noted), words
    assert not any("smaller" in claim for claim in noted)              # parameters do not depend on training


def test_a_small_drop_onto_collapsed_cross_corpus_runs_is_qualified(tmp_path):
    folders, cross = _groups(tmp_path, cnn_acc=[0.30] * 5, attn_acc=[0.55] * 5, cnn_cross=[0.17] * 5, attn_cross=[0.18] * 5)
    _flag_collapsed(tmp_path / "attn-x")
    claims = speech_claims.judge_speech_claims(folders, cross, [], tmp_path / "out", "cmd")["protocols"]["documented"]["claims"]
    claim = next(c for c in claims if "recording conditions" in c["claim"])
    assert claim["outcome"] == "holds"                          # 0.13 against 0.37: the paired figure alone
    assert "attn_crnn 5 of 5" in claim["note"] and "less was learned in-corpus" in claim["note"]
    assert claim["measured"]["cross_accuracy"]["cnn_lstm"] == pytest.approx(0.17)
