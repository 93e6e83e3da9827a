"""Collapse detection: it fires on a constant predictor and on one predicted class, not on a good model."""

from __future__ import annotations

import numpy as np

from mer_keras.evaluation.collapse import class_collapse, collapse_line, regression_collapse


def test_constant_predictor_is_flagged_and_a_good_one_is_not():
    rng = np.random.default_rng(0)
    true = rng.uniform(1, 9, (100, 2))
    nearly_constant = np.column_stack([5.0 + 0.05 * rng.standard_normal(100), true[:, 1]])
    flagged = regression_collapse(true, nearly_constant)
    assert flagged["flagged"] and "valence" in flagged["why"] and flagged["spread_ratio"]["valence"] < 0.3
    assert flagged["spread_ratio"]["arousal"] == 1.0
    good = regression_collapse(true, true + 0.5 * rng.standard_normal((100, 2)))
    assert not good["flagged"] and good["why"] == ""
    assert "Collapse flagged" in collapse_line(flagged)[0] and "No collapse" in collapse_line(good)[0]


def test_one_class_over_half_is_flagged():
    classes = ["Q1", "Q2", "Q3", "Q4"]
    assert class_collapse(["Q1"] * 6 + ["Q2", "Q3", "Q4", "Q2"], classes)["flagged"]
    assert not class_collapse(["Q1"] * 5 + ["Q2", "Q3", "Q4", "Q2", "Q3"], classes)["flagged"]   # exactly half: not over
    balanced = class_collapse(classes * 5, classes)
    assert not balanced["flagged"] and balanced["top_class_share"] == 0.25


def test_summary_flags_collapsed_runs_and_keeps_them_out_of_the_learned_mean(tmp_path):
    from mer_keras.evaluation.summary import summarise_runs
    from tests.evaluation.test_report_writer import _va_metrics

    runs = [_va_metrics(0.30, "seed0"), _va_metrics(0.02, "seed1"), _va_metrics(0.34, "seed2")]
    runs[1]["collapse"] = {"flagged": True, "why": "constant"}
    for m in runs:
        m.setdefault("collapse", {"flagged": False})
    summary = summarise_runs(runs, ["seed0", "seed1", "seed2"], tmp_path, "cmd")
    assert summary["collapsed_runs"] == ["seed1"]
    assert np.isclose(summary["r2"]["mean"]["without_collapsed"]["mean"], 0.32)
    assert "collapsed" in summary["verdict"]["caveat_collapse"]
    text = (tmp_path / "report.md").read_text()
    assert "Collapse flagged in 1 of 3 runs" in text and "[seed1](seed1/report.md) **collapsed**" in text


def test_collapse_is_recomputed_from_stored_predictions_of_old_reports(tmp_path):
    from mer_keras.evaluation.collapse import collapse_from_predictions

    va = tmp_path / "va.csv"
    rows = ["item_id,true_valence,true_arousal,pred_valence,pred_arousal"]
    rows += [f"s{i},{1 + i % 8},{2 + i % 5},{5.0 + 0.01 * (i % 3)},{2 + i % 5}" for i in range(40)]
    va.write_text("\n".join(rows) + "\n")
    flagged = collapse_from_predictions(va, "va")
    assert flagged["flagged"] and flagged["spread_ratio"]["valence"] < 0.05 and flagged["spread_ratio"]["arousal"] == 1.0
    quadrants = tmp_path / "q.csv"
    quadrants.write_text("item_id,true_quadrant,pred_quadrant\n" + "".join(f"s{i},Q{1 + i % 4},Q{1 + i % 4}\n" for i in range(8)))
    assert not collapse_from_predictions(quadrants, "quadrant")["flagged"]
    quadrants.write_text("item_id,true_quadrant,pred_quadrant\n" + "".join(f"s{i},Q{1 + i % 4},Q2\n" for i in range(8)))
    assert collapse_from_predictions(quadrants, "quadrant")["top_class"] == "Q2"
