"""Paired differences: runs paired by split (seed, test fold), intervals, collapsed pairs and unpaired runs listed."""

import json

import pytest

from mer_keras.errors import RunError
from mer_keras.evaluation.paired import compare_paired, main, t_interval


def _summary(folder, task, runs):
    """A summary folder as evaluate.py writes it: metrics.json naming runs, one sub-folder per run."""
    folder.mkdir(parents=True)
    names = []
    for name, seed, fold, value, collapsed in runs:
        metrics = {"run": name, "task": task, "split": {"seed": seed, **({"test_fold": [fold, 5]} if fold is not None else {})},
                   "collapse": {"flagged": collapsed}, "protocol": None}
        metrics.update({"r2": {"mean": value, "valence": value, "arousal": value}} if task == "va" else {"accuracy": value})
        (folder / name).mkdir()
        (folder / name / "metrics.json").write_text(json.dumps(metrics))
        names.append(name)
    (folder / "metrics.json").write_text(json.dumps({"model": folder.name.split("-")[0], "runs": names, "data": "tiny"}))
    return folder


def test_pairs_by_seed_with_interval_unpaired_and_collapsed(tmp_path):
    treated = _summary(tmp_path / "pre-va", "va", [("p0", 0, None, 0.5, False), ("p1", 1, None, 0.6, False),
                                                    ("p2", 2, None, 0.4, False), ("p9", 9, None, 0.9, False)])
    scratch = _summary(tmp_path / "scr-va", "va", [("s2", 2, None, 0.1, True), ("s0", 0, None, 0.2, False),
                                                    ("s1", 1, None, 0.2, False)])
    result = compare_paired(treated, [scratch], tmp_path / "out", "pretrained", "cmd")
    row = result["rows"][0]
    assert [p["seed"] for p in row["pairs"]] == [0, 1, 2]
    assert [round(p["difference"], 6) for p in row["pairs"]] == [0.3, 0.4, 0.3]
    expected = t_interval([0.3, 0.4, 0.3])
    assert all(row["difference"][key] == pytest.approx(expected[key]) for key in ("mean", "sd", "low", "high", "n"))
    assert row["difference"]["low"] > 0 and row["outcome"] == "holds"
    assert row["collapsed_pairs"] == 1 and row["unpaired"] == ["p9"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| scr-va | 3 |" in report and "0.300*" in report and "p9" in report


def test_speaker_folds_pair_by_fold_and_a_lower_treatment_does_not_hold(tmp_path):
    a = _summary(tmp_path / "a-emo", "emotion", [(f"a{k}", 0, k, 0.30 + 0.01 * k, False) for k in range(3)])
    b = _summary(tmp_path / "b-emo", "emotion", [(f"b{k}", 0, k, 0.50 + 0.02 * k, False) for k in (2, 0, 1)])
    row = compare_paired(a, [b], tmp_path / "out", "", "cmd")["rows"][0]
    assert [p["test_fold"] for p in row["pairs"]] == [0, 1, 2] and row["outcome"] == "does not hold"


def test_one_pair_has_no_interval(tmp_path):
    a = _summary(tmp_path / "a-va", "va", [("a0", 0, None, 0.5, False)])
    b = _summary(tmp_path / "b-va", "va", [("b0", 0, None, 0.4, False)])
    row = compare_paired(a, [b], tmp_path / "out", "", "cmd")["rows"][0]
    assert row["difference"]["low"] is None and row["outcome"].startswith("inconclusive")


def test_different_tasks_and_missing_folders_are_one_line_errors(tmp_path, capsys):
    a = _summary(tmp_path / "a-va", "va", [("a0", 0, None, 0.5, False)])
    b = _summary(tmp_path / "b-emo", "emotion", [("b0", 0, 0, 0.4, False)])
    with pytest.raises(RunError, match="different tasks"):
        compare_paired(a, [b], tmp_path / "out", "", "cmd")
    assert main([str(a), "--against", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def _with_predictions(folder, noise: float):
    """Add predictions.csv to every run of ``folder``: 40 shared test items, predictions = truth + noise."""
    import numpy as np

    for k, run in enumerate(sorted(p for p in folder.iterdir() if p.is_dir())):
        rng = np.random.default_rng(k)
        true = rng.uniform(2, 8, (40, 2))
        pred = true + rng.normal(0, noise, true.shape)
        lines = ["item_id,true_valence,true_arousal,pred_valence,pred_arousal"]
        lines += [f"S{i},{t[0]},{t[1]},{p[0]},{p[1]}" for i, (t, p) in enumerate(zip(true, pred))]
        (run / "predictions.csv").write_text("\n".join(lines) + "\n")


def test_paired_bootstrap_over_test_items_from_the_committed_predictions(tmp_path):
    good = _summary(tmp_path / "good-va", "va", [("g0", 0, None, 0.8, False), ("g1", 1, None, 0.8, False)])
    poor = _summary(tmp_path / "poor-va", "va", [("q0", 0, None, 0.2, False), ("q1", 1, None, 0.2, False)])
    _with_predictions(good, noise=0.3)
    _with_predictions(poor, noise=2.0)
    row = compare_paired(good, [poor], tmp_path / "out", "better", "cmd", figure="r2")["rows"][0]
    boot = row["bootstrap"]
    assert boot["pairs"] == 2 and boot["items"] == [40, 40] and boot["resamples"] == 1000
    assert 0 < boot["low"] < boot["high"]                       # far better predictions: the whole interval above 0
    assert "95% bootstrap interval of the mean paired difference" in (tmp_path / "out" / "report.md").read_text()
    same = compare_paired(good, [good], tmp_path / "same", "itself", "cmd", figure="r2")["rows"][0]["bootstrap"]
    assert same["low"] == pytest.approx(0) and same["high"] == pytest.approx(0)
    (poor / "q1" / "predictions.csv").unlink()                  # a run without predictions: no bootstrap, no guess
    assert compare_paired(good, [poor], tmp_path / "out2", "better", "cmd", figure="r2")["rows"][0]["bootstrap"] is None
    speech = _summary(tmp_path / "a-em", "emotion", [("a0", 0, 0, 0.5, False)])
    other = _summary(tmp_path / "b-em", "emotion", [("b0", 0, 0, 0.4, False)])
    assert compare_paired(speech, [other], tmp_path / "out3", "x", "cmd")["rows"][0]["bootstrap"] is None
