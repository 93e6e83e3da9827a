"""4Q quadrants (task ``quadrant``): the two tanh outputs' signs give the quadrant; quadrant accuracy,
per-axis sign accuracy and a confusion matrix, with a bootstrap interval over test songs."""

from __future__ import annotations

import numpy as np

from mer_keras.data.targets import decode_predictions, encode_targets
from mer_keras.evaluation import plots
from mer_keras.evaluation.bootstrap import bootstrap_interval
from mer_keras.evaluation.collapse import class_collapse, collapse_line
from mer_keras.evaluation.format import fmt
from mer_keras.evaluation.metrics import quadrant_metrics

CURVE_LABEL = None   # the plot's default (the loss)
NOT_APPLICABLE = {"outcome": "not applicable",
                  "why": "the study's claims (and the CRNN's 0.58-0.62 band) are about valence/arousal "
                         "regression; quadrant labels give accuracy, which the study does not claim"}


def score(kept, outputs: np.ndarray, config: dict, report_dir, n_resamples: int, proxy_label: str | None = None):
    decoded = decode_predictions(outputs, "quadrant")
    true_q = [item.labels["quadrant"] for item in kept]
    pred_q = [p["quadrant"] for p in decoded]
    metrics = quadrant_metrics(true_q, pred_q, encode_targets(kept, "quadrant"), outputs)
    hits = np.asarray(true_q) == np.asarray(pred_q)
    metrics["bootstrap"] = {"quadrant_accuracy": bootstrap_interval(lambda idx: float(hits[idx].mean()), len(kept), n_resamples)}
    metrics["chance_accuracy"] = max(true_q.count(q) for q in set(true_q)) / len(true_q)
    metrics["collapse"] = class_collapse(pred_q, metrics["confusion_matrix"]["labels"])
    metrics["verdict"] = dict(NOT_APPLICABLE)
    plots.confusion(metrics["confusion_matrix"]["rows_true_columns_predicted"], metrics["confusion_matrix"]["labels"],
                    report_dir / "confusion_matrix.png", f"{config['model']} on 4Q test songs (n={len(kept)})")
    rows = [(item.item_id, t, p["quadrant"], p["valence_output"], p["arousal_output"]) for item, t, p in zip(kept, true_q, decoded)]
    header = ["item_id", "true_quadrant", "pred_quadrant", "valence_output", "arousal_output"]
    return metrics, rows, header


def result_lines(metrics: dict) -> list[str]:
    boot = metrics["bootstrap"]["quadrant_accuracy"]
    return collapse_line(metrics.get("collapse")) + [f"- Quadrant accuracy {fmt(metrics['quadrant_accuracy'])} (95% bootstrap interval {fmt(boot['low'])}-{fmt(boot['high'])}); "
            f"majority-class rate {fmt(metrics['chance_accuracy'])}; n = {metrics['n_test']}.",
            f"- Sign accuracy: valence {fmt(metrics['sign_accuracy']['valence'])}, arousal {fmt(metrics['sign_accuracy']['arousal'])}.",
            "", "![confusion matrix](confusion_matrix.png)", ""]


def summary_keys(first: dict) -> list[tuple[str, str | None]]:
    return [("quadrant_accuracy", None), ("sign_accuracy", "valence"), ("sign_accuracy", "arousal")]


def summary_verdict(all_metrics: list[dict], summary: dict) -> dict:
    return all_metrics[0]["verdict"]


def headline(metrics: dict) -> dict:
    return {"quadrant accuracy": metrics["quadrant_accuracy"], "valence sign": metrics["sign_accuracy"]["valence"],
            "arousal sign": metrics["sign_accuracy"]["arousal"]}
