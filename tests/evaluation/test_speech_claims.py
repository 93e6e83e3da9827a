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
