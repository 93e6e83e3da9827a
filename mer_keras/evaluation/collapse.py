"""Collapse detection: a model that predicts nearly a constant (or one class) has not learned, and a
claim judged against it has not been judged. Thresholds live in ``specs/estimates.yaml`` (``collapse``)."""

from __future__ import annotations

import numpy as np

from mer_keras.specs import load_spec


def thresholds() -> dict:
    return dict(load_spec("estimates").get("collapse", {"min_spread_ratio": 0.3, "max_top_class_share": 0.5}))


def regression_collapse(true: np.ndarray, pred: np.ndarray, names=("valence", "arousal")) -> dict:
    """Per-axis prediction sd against label sd; flagged when an axis's ratio is under the threshold.

    ``true``, ``pred``: (n, 2) on the same scale.
    """
    limit = thresholds()["min_spread_ratio"]
    ratios = {name: float(np.std(pred[:, k]) / np.std(true[:, k])) if np.std(true[:, k]) > 0 else float("nan")
              for k, name in enumerate(names)}
    low = [name for name, ratio in ratios.items() if ratio < limit]
    return {"flagged": bool(low), "spread_ratio": ratios, "threshold": {"min_spread_ratio": limit},
            "prediction_sd": {name: float(np.std(pred[:, k])) for k, name in enumerate(names)},
            "label_sd": {name: float(np.std(true[:, k])) for k, name in enumerate(names)},
            "why": (f"prediction spread under {limit} of the label spread for {', '.join(low)} "
                    f"({', '.join(f'{n} {ratios[n]:.2f}' for n in low)}): the model predicts nearly a constant") if low else ""}


def class_collapse(pred_labels, classes) -> dict:
    """The share of the most-predicted class; flagged when it is over the threshold."""
    limit = thresholds()["max_top_class_share"]
    pred_labels = list(pred_labels)
    counts = {name: pred_labels.count(name) for name in classes}
    top = max(counts, key=counts.get)
    share = counts[top] / len(pred_labels) if pred_labels else float("nan")
    flagged = bool(share > limit)
    return {"flagged": flagged, "top_class": top, "top_class_share": float(share), "prediction_counts": counts,
            "threshold": {"max_top_class_share": limit},
            "why": f"{share:.0%} of the predictions are {top!r} (over {limit:.0%}): the model predicts nearly one class"
                   if flagged else ""}


def collapse_line(collapse: dict | None) -> list[str]:
    """The report line: a warning when flagged, the figures otherwise."""
    if not collapse:
        return []
    if collapse["flagged"]:
        return [f"> **Collapse flagged:** {collapse['why']}. A verdict on this run says little about the architecture.", ""]
    if "spread_ratio" in collapse:
        return ["- No collapse: prediction spread / label spread " + ", ".join(
            f"{k} {v:.2f}" for k, v in collapse["spread_ratio"].items()) + f" (flag under {collapse['threshold']['min_spread_ratio']}).", ""]
    return [f"- No collapse: the most-predicted class, {collapse['top_class']}, takes {collapse['top_class_share']:.0%} of the "
            f"predictions (flag over {collapse['threshold']['max_top_class_share']:.0%}).", ""]


def collapse_from_predictions(path, task: str) -> dict | None:
    """Collapse figures recomputed from a run's stored ``predictions.csv`` (test predictions already
    made, so no item is scored again): for reports written before collapse detection existed.
    ``None`` for a task without a collapse rule or a file without the needed columns."""
    import csv

    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    if not rows:
        return None
    if task == "va" and {"true_valence", "pred_valence"} <= set(rows[0]):
        true = np.array([[float(r["true_valence"]), float(r["true_arousal"])] for r in rows])
        pred = np.array([[float(r["pred_valence"]), float(r["pred_arousal"])] for r in rows])
        return regression_collapse(true, pred)
    for column, classes in (("pred_quadrant", ("Q1", "Q2", "Q3", "Q4")), ("pred_emotion", None)):
        if column in rows[0]:
            labels = [r[column] for r in rows]
            return class_collapse(labels, classes or sorted(set(labels) | {r.get("true_emotion") for r in rows} - {None}))
    return None
