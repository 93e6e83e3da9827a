"""Valence/arousal regression (task ``va``): R², CCC, MSE, MAE and Pearson r per dimension on the 1-9
scale, bootstrap intervals over test items, and the claim or band verdict."""

from __future__ import annotations

import numpy as np

from mer_keras.data.targets import OUTPUTS, decode_predictions
from mer_keras.evaluation import plots
from mer_keras.evaluation.bootstrap import bootstrap_interval
from mer_keras.evaluation.collapse import collapse_line, regression_collapse
from mer_keras.evaluation.format import fmt
from mer_keras.evaluation.metrics import ccc, mean_r2, regression_metrics
from mer_keras.evaluation.verdict import (band_record, band_rule, band_rule_for, claim_verdict, compare_claims,
                                          interval_note, summary_claim_verdict)

METRIC_NAMES = ("r2", "ccc", "mse", "mae", "pearson_r")
CURVE_LABEL = None   # the plot's default (the loss)


def score(kept, outputs: np.ndarray, config: dict, report_dir, n_resamples: int, proxy_label: str | None = None):
    true = np.array([[item.labels[d] for d in OUTPUTS] for item in kept])
    pred = np.array([[p[d] for d in OUTPUTS] for p in decode_predictions(outputs, "va")])
    metrics = regression_metrics(true, pred)
    metrics["scale"] = "1-9"
    metrics["collapse"] = regression_collapse(true, pred)
    n = len(kept)
    metrics["bootstrap"] = {
        "r2_mean": bootstrap_interval(lambda idx: mean_r2(true[idx], pred[idx]), n, n_resamples),
        "ccc_mean": bootstrap_interval(lambda idx: float(np.mean([ccc(true[idx, k], pred[idx, k]) for k in range(2)])),
                                       n, n_resamples),
        "mse_mean": bootstrap_interval(lambda idx: float(np.mean((true[idx] - pred[idx]) ** 2)), n, n_resamples),
        "mae_mean": bootstrap_interval(lambda idx: float(np.mean(np.abs(true[idx] - pred[idx]))), n, n_resamples),
    }
    rule_name = band_rule_for(config["model"])
    if rule_name:
        metrics["verdict"] = band_record(rule_name, metrics["r2"]["mean"],
                                         interval_note(metrics["bootstrap"]["r2_mean"], band_rule(rule_name)), proxy_label)
    else:
        metrics["verdict"] = claim_verdict(config["model"], metrics, config.get("weights"))
        if proxy_label:
            metrics["verdict"]["caveat"] = proxy_label
    metrics["claims"] = compare_claims(config["model"], metrics)
    plots.predicted_vs_true(true, pred, report_dir / "predicted_vs_true.png",
                            f"{config['model']} on {config['dataset_name']} test songs (n={n})")
    rows = [(item.item_id, *t, *p) for item, t, p in zip(kept, true, pred)]
    header = ["item_id", "true_valence", "true_arousal", "pred_valence", "pred_arousal"]
    return metrics, rows, header


def result_lines(metrics: dict) -> list[str]:
    lines = collapse_line(metrics.get("collapse")) + [f"Scale {metrics['scale']}, n = {metrics['n_test']} test items.", "",
             "| metric | valence | arousal | mean |", "|---|---|---|---|"]
    for name in METRIC_NAMES:
        lines.append(f"| {name} | {fmt(metrics[name]['valence'])} | {fmt(metrics[name]['arousal'])} | {fmt(metrics[name]['mean'])} |")
    for name, interval in metrics["bootstrap"].items():
        lines.append(f"\n95% bootstrap interval of {name} (resampling test items, {interval['resamples']} resamples): "
                     f"{fmt(interval['low'])} to {fmt(interval['high'])}.")
    return lines + ["", "![predicted vs true](predicted_vs_true.png)", ""]


def summary_keys(first: dict) -> list[tuple[str, str | None]]:
    return [(name, dim) for name in METRIC_NAMES for dim in ("valence", "arousal", "mean")]


def summary_verdict(all_metrics: list[dict], summary: dict) -> dict:
    first = all_metrics[0]
    if "band" in first["verdict"]:
        r2 = summary["r2"]["mean"]
        per_seed = [summary["per_run"][name]["verdict"] for name in summary["runs"]]
        return band_record(first["verdict"]["rule"], r2["mean"],
                           f"over {summary['n_runs']} seeds the mean R² ranges {fmt(r2['min'])}-{fmt(r2['max'])} "
                           f"(sd {fmt(r2['sd'])}); per-seed verdicts {per_seed}", first.get("proxy_label"))
    if first["verdict"].get("claimed") is not None:
        verdict = summary_claim_verdict(all_metrics, summary[first["verdict"]["metric"]]["mean"]["mean"])
        if first.get("proxy_label"):
            verdict["caveat"] = first["proxy_label"]
        return verdict
    return first["verdict"]


def headline(metrics: dict) -> dict:
    """The figures a side-by-side table shows for one run."""
    return {"mean R²": metrics["r2"]["mean"], "mean CCC": metrics["ccc"]["mean"],
            "valence R²": metrics["r2"]["valence"], "arousal R²": metrics["r2"]["arousal"]}
