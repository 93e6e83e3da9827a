"""Speech emotion (task ``emotion``): accuracy, macro-F1, per-class recall, confusion matrix, bootstrap
intervals over test clips, and the verdict against the design note's accuracy claims."""

from __future__ import annotations

import numpy as np

from mer_keras.data.emotions import EMOTIONS
from mer_keras.data.targets import decode_predictions
from mer_keras.evaluation import plots
from mer_keras.evaluation.bootstrap import bootstrap_interval
from mer_keras.evaluation.collapse import class_collapse, collapse_line
from mer_keras.evaluation.format import fmt
from mer_keras.evaluation.metrics import classification_metrics, macro_f1
from mer_keras.evaluation.verdict import accuracy_verdict, judge, summary_claim_verdict  # noqa: F401  (judge re-exported)

CURVE_LABEL = "cross-entropy"
DATA_CAVEAT = {
    "ravdess": "measured on RAVDESS speech (speaker-independent test actors), not on the design note's own data; "
               "the note's figures are for 6-class speech emotion on data it does not share",
    "cremad": "measured on CREMA-D; the design note does not say which data its figures come from",
}


def emotion_verdict(model: str, measured: float, interval: dict, dataset: str) -> dict:
    """The measured accuracy's 95% bootstrap interval against the note's claim for ``model`` on ``dataset``."""
    return accuracy_verdict(model, measured, interval, DATA_CAVEAT.get(dataset, f"measured on {dataset}"))


def score(kept, outputs: np.ndarray, config: dict, report_dir, n_resamples: int, proxy_label: str | None = None):
    decoded = decode_predictions(outputs, "emotion")
    true = np.asarray([item.labels["emotion"] for item in kept])
    pred = np.asarray([row["emotion"] for row in decoded])
    metrics = classification_metrics(list(true), list(pred), list(EMOTIONS))
    metrics["recall"] = {name: metrics["per_class"][name]["recall"] for name in EMOTIONS}
    hits = true == pred
    metrics["bootstrap"] = {
        "accuracy": bootstrap_interval(lambda idx: float(hits[idx].mean()), len(kept), n_resamples),
        "macro_f1": bootstrap_interval(lambda idx: macro_f1(true[idx], pred[idx]), len(kept), n_resamples),
    }
    counts = {name: int(np.sum(true == name)) for name in EMOTIONS}
    metrics["chance_accuracy"] = max(counts.values()) / len(true)
    metrics["collapse"] = class_collapse(list(pred), list(EMOTIONS))
    metrics["verdict"] = emotion_verdict(config["model"], metrics["accuracy"], metrics["bootstrap"]["accuracy"],
                                         config["data"]["dataset"])
    plots.confusion(metrics["confusion_matrix"]["rows_true_columns_predicted"], list(EMOTIONS),
                    report_dir / "confusion_matrix.png",
                    f"{config['model']} on {config['dataset_name']} test clips (n={len(kept)})")
    rows = [(item.item_id, item.group, t, p["emotion"], *[f"{p['probabilities'][name]:.4f}" for name in EMOTIONS])
            for item, t, p in zip(kept, true, decoded)]
    header = ["item_id", "speaker", "true_emotion", "pred_emotion", *[f"p_{name}" for name in EMOTIONS]]
    return metrics, rows, header


def result_lines(metrics: dict) -> list[str]:
    acc, f1 = metrics["bootstrap"]["accuracy"], metrics["bootstrap"]["macro_f1"]
    lines = collapse_line(metrics.get("collapse")) + [f"- Accuracy {fmt(metrics['accuracy'])} (95% bootstrap interval {fmt(acc['low'])}-{fmt(acc['high'])}, "
             f"{acc['resamples']} resamples of the test clips); majority-class rate {fmt(metrics['chance_accuracy'])}; "
             f"n = {metrics['n_test']}.",
             f"- Macro-F1 {fmt(metrics['macro_f1'])} (95% interval {fmt(f1['low'])}-{fmt(f1['high'])}).", "",
             "| class | recall | precision | F1 | test clips |", "|---|---|---|---|---|"]
    for name, row in metrics["per_class"].items():
        lines.append(f"| {name} | {fmt(row['recall'])} | {fmt(row['precision'])} | {fmt(row['f1'])} | {row['support']} |")
    lines += ["", "![confusion matrix](confusion_matrix.png)", ""]
    resources = metrics.get("resources", {})
    if resources:
        lines += [f"- Resources: {fmt(resources.get('parameters'))} parameters; peak training memory "
                  f"{fmt(resources.get('peak_rss_mib'), 0)} MiB (process peak RSS); training time "
                  f"{fmt(resources.get('train_seconds'), 0)} s over {resources.get('epochs_run')} epochs "
                  f"({fmt(resources.get('seconds_per_epoch'), 1)} s per epoch).", ""]
    return lines


def summary_keys(first: dict) -> list[tuple[str, str | None]]:
    return [("accuracy", None), ("macro_f1", None)] + [("recall", name) for name in first["recall"]]


def summary_verdict(all_metrics: list[dict], summary: dict) -> dict:
    return summary_claim_verdict(all_metrics, summary["accuracy"]["value"]["mean"])


def headline(metrics: dict) -> dict:
    return {"accuracy": metrics["accuracy"], "macro-F1": metrics["macro_f1"]}
