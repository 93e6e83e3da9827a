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
