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
    "emodb": "measured on EmoDB (German acted speech, 10 speakers), not on the design note's own data",
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
    present = [name for name in EMOTIONS if metrics["per_class"][name]["support"]]
    metrics["uar"] = float(np.mean([metrics["recall"][name] for name in present]))    # unweighted average recall
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
             f"- Macro-F1 {fmt(metrics['macro_f1'])} (95% interval {fmt(f1['low'])}-{fmt(f1['high'])})"
             + (f"; unweighted average recall {fmt(metrics['uar'])}." if "uar" in metrics else "."), "",
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
    return ([("accuracy", None)] + ([("uar", None)] if "uar" in first else []) + [("macro_f1", None)]
            + [("recall", name) for name in first["recall"]])


def pooled(all_metrics: list[dict]) -> dict | None:
    """Cross-validation: when the runs' test parts are the folds of one partition (``split.test_fold``),
    the figures of their summed confusion matrix (every item scored once, by its own fold's model)."""
    folds = [tuple(m["split"].get("test_fold") or ()) for m in all_metrics]
    if not all(folds) or len({f[1] for f in folds}) != 1 or len(set(folds)) != len(folds):
        return None
    labels = all_metrics[0]["confusion_matrix"]["labels"]
    matrix = np.sum([np.asarray(m["confusion_matrix"]["rows_true_columns_predicted"]) for m in all_metrics], axis=0)
    support, predicted, hits = matrix.sum(axis=1), matrix.sum(axis=0), np.diag(matrix)
    recall = np.divide(hits, support, out=np.zeros(len(labels)), where=support > 0)
    precision = np.divide(hits, predicted, out=np.zeros(len(labels)), where=predicted > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(len(labels)), where=precision + recall > 0)
    present = support > 0
    return {"folds": sorted(f[0] for f in folds), "n_folds": folds[0][1], "n_items": int(matrix.sum()),
            "accuracy": float(hits.sum() / matrix.sum()), "uar": float(recall[present].mean()),
            "macro_f1": float(f1[present].mean()),
            "recall": {name: float(r) for name, r in zip(labels, recall)},
            "confusion_matrix": {"labels": labels, "rows_true_columns_predicted": matrix.astype(int).tolist()}}


def pooled_lines(pooled_figures: dict) -> list[str]:
    p = pooled_figures
    complete = len(p["folds"]) == p["n_folds"]
    lines = [f"Pooled over folds {', '.join(str(k) for k in p['folds'])} of {p['n_folds']} (each item scored once, by "
             f"the model that did not see its speaker{'; every item of the dataset' if complete else '; not every fold ran'}): "
             f"n = {p['n_items']}, accuracy {fmt(p['accuracy'])}, unweighted average recall {fmt(p['uar'])}, "
             f"macro-F1 {fmt(p['macro_f1'])}.", "",
             "| pooled confusion (rows true, columns predicted) | " + " | ".join(p["confusion_matrix"]["labels"]) + " |",
             "|---|" + "---|" * len(p["confusion_matrix"]["labels"])]
    for name, row in zip(p["confusion_matrix"]["labels"], p["confusion_matrix"]["rows_true_columns_predicted"]):
        lines.append(f"| {name} | " + " | ".join(str(v) for v in row) + " |")
    return lines


def summary_verdict(all_metrics: list[dict], summary: dict) -> dict:
    return summary_claim_verdict(all_metrics, summary["accuracy"]["value"]["mean"])


def headline(metrics: dict) -> dict:
    return {"accuracy": metrics["accuracy"], "macro-F1": metrics["macro_f1"]}
