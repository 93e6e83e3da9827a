import numpy as np
import pytest

from mer_keras.evaluation.bootstrap import bootstrap_interval
from mer_keras.evaluation.metrics import ccc, quadrant_metrics, regression_metrics
from mer_keras.evaluation.verdict import band_rule, band_verdict, interval_note


def test_ccc_known_values():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert ccc(x, x) == pytest.approx(1.0)
    assert ccc(x, x + 1) == pytest.approx(2 * 1.25 / (1.25 + 1.25 + 1))   # a shift costs concordance
    assert ccc(x, 5 - x) == pytest.approx(-1.0)   # same mean, reversed order


def test_regression_metrics_named_dimensions():
    true = np.array([[1.0, 9.0], [5.0, 5.0], [9.0, 1.0], [3.0, 4.0]])
    pred = true.copy()
    pred[:, 1] = pred[:, 1].mean()
    metrics = regression_metrics(true, pred)
    assert metrics["r2"]["valence"] == pytest.approx(1.0)
    assert metrics["r2"]["arousal"] == pytest.approx(0.0)
    assert metrics["r2"]["mean"] == pytest.approx(0.5)
    assert set(metrics) == {"r2", "ccc", "mse", "mae", "pearson_r"}


@pytest.mark.parametrize("r2, outcome", [(0.60, "validated"), (0.58, "validated"), (0.62, "validated"),
                                         (0.549, "overestimated"), (0.10, "overestimated"),
                                         (0.651, "underestimated"), (0.56, "inconclusive"),
                                         (0.64, "inconclusive"), (float("nan"), "inconclusive")])
def test_band_rule_from_spec(r2, outcome):
    assert band_verdict(r2) == outcome


def test_band_rule_values_come_from_estimates_yaml():
    rule = band_rule()
    assert rule["band"] == [0.58, 0.62] and rule["overestimated_below"] == 0.55 and rule["underestimated_above"] == 0.65


def test_interval_note():
    assert "below" in interval_note({"low": 0.1, "high": 0.3, "confidence": 0.95})
    assert "overlaps" in interval_note({"low": 0.5, "high": 0.6, "confidence": 0.95})


def test_bootstrap_interval_brackets_the_mean():
    values = np.random.default_rng(0).normal(2.0, 1.0, 400)
    interval = bootstrap_interval(lambda idx: float(values[idx].mean()), values.size, 500)
    assert interval["low"] < values.mean() < interval["high"]
    assert interval["high"] - interval["low"] < 0.4


def test_quadrant_metrics():
    true_q, pred_q = ["Q1", "Q2", "Q3", "Q4"], ["Q1", "Q2", "Q4", "Q4"]
    signs_true = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], float)
    signs_pred = np.array([[1, 1], [-1, 1], [1, -1], [1, -1]], float)
    metrics = quadrant_metrics(true_q, pred_q, signs_true, signs_pred)
    assert metrics["quadrant_accuracy"] == 0.75
    assert metrics["sign_accuracy"] == {"valence": 0.75, "arousal": 1.0}
    assert metrics["confusion_matrix"]["rows_true_columns_predicted"][2] == [0, 0, 0, 1]


def test_leaderboard_reads_single_and_summary_reports(tmp_path):
    import json

    from mer_keras.evaluation.leaderboard import leaderboard

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "metrics.json").write_text(json.dumps({
        "model": "ridge", "task": "va", "dataset": "deam", "r2": {"mean": 0.5}, "ccc": {"mean": 0.6},
        "mse": {"mean": 1.2}, "mae": {"mean": 0.9}, "verdict": {"outcome": "consistent"}}))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "metrics.json").write_text(json.dumps({
        "model": "crnn", "task": "quadrant", "n_runs": 3, "quadrant_accuracy": {"value": {"mean": 0.5, "sd": 0.1}},
        "sign_accuracy": {"valence": {"mean": 0.7, "sd": 0.05}, "arousal": {"mean": 0.8, "sd": 0.02}}}))
    table = leaderboard(tmp_path)
    assert "| 0.500 | 0.600 | 1.200 | 0.900 | consistent |" in table
    assert "| 3 | 0.500 ± 0.100 | 0.700 ± 0.050 | 0.800 ± 0.020 |" in table


def _measured(metric, mean, low, high):
    return {metric: {"mean": mean}, "bootstrap": {f"{metric}_mean": {"low": low, "high": high}}}


@pytest.mark.parametrize("low, high, outcome", [(0.30, 0.45, "below claim"), (0.50, 0.70, "consistent"), (0.62, 0.80, "above claim")])
def test_claim_verdict_on_r2_claim(low, high, outcome):
    from mer_keras.evaluation.verdict import claim_verdict

    verdict = claim_verdict("ast", _measured("r2", (low + high) / 2, low, high))
    assert verdict["metric"] == "r2" and verdict["claimed"] == 0.605 and verdict["outcome"] == outcome


def test_claim_verdict_falls_back_to_ccc_and_flags_pretraining():
    from mer_keras.evaluation.verdict import claim_verdict

    verdict = claim_verdict("vit", _measured("ccc", 0.3, 0.2, 0.4), weights="random initialisation")
    assert verdict["metric"] == "ccc" and verdict["claimed"] == 0.68 and verdict["outcome"] == "below claim"
    assert "pretrained on ImageNet" in verdict["caveat_pretrained"]
    assert "caveat_pretrained" not in claim_verdict("vit", _measured("ccc", 0.7, 0.6, 0.8), weights="/w/vit.weights.h5")
    assert claim_verdict("crnn_unknown", {})["outcome"] == "not applicable"
