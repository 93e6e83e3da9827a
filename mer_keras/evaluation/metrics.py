"""Regression and classification metrics, per named dimension (never bare columns)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, mean_absolute_error, mean_squared_error, r2_score

DIMENSIONS = ("valence", "arousal")


def ccc(true: np.ndarray, pred: np.ndarray) -> float:
    """Lin's concordance correlation coefficient."""
    true, pred = np.asarray(true, float), np.asarray(pred, float)
    covariance = np.mean((true - true.mean()) * (pred - pred.mean()))
    denominator = true.var() + pred.var() + (true.mean() - pred.mean()) ** 2
    return float(2 * covariance / denominator) if denominator > 0 else float("nan")


def pearson(true: np.ndarray, pred: np.ndarray) -> float:
    true, pred = np.asarray(true, float), np.asarray(pred, float)
    if true.std() == 0 or pred.std() == 0:
        return float("nan")
    return float(np.corrcoef(true, pred)[0, 1])


REGRESSION = {
    "r2": lambda t, p: float(r2_score(t, p)),
    "ccc": ccc,
    "mse": lambda t, p: float(mean_squared_error(t, p)),
    "mae": lambda t, p: float(mean_absolute_error(t, p)),
    "pearson_r": pearson,
}


def regression_metrics(true: np.ndarray, pred: np.ndarray) -> dict:
    """``{"r2": {"valence", "arousal", "mean"}, "ccc": ..., "mse": ..., "mae": ..., "pearson_r": ...}``.

    ``true`` and ``pred``: shape (n_items, 2), columns (valence, arousal), on the rating scale.
    """
    out = {}
    for name, function in REGRESSION.items():
        values = {dim: function(true[:, k], pred[:, k]) for k, dim in enumerate(DIMENSIONS)}
        values["mean"] = float(np.mean([values[dim] for dim in DIMENSIONS]))
        out[name] = values
    return out


def mean_r2(true: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean([r2_score(true[:, k], pred[:, k]) for k in range(true.shape[1])]))


QUADRANT_LABELS = ["Q1", "Q2", "Q3", "Q4"]


def quadrant_metrics(true_quadrants: list[str], pred_quadrants: list[str],
                     true_signs: np.ndarray, pred_signs: np.ndarray) -> dict:
    """Quadrant accuracy, per-axis sign accuracy and the 4x4 confusion matrix (rows: true)."""
    true_quadrants, pred_quadrants = np.asarray(true_quadrants), np.asarray(pred_quadrants)
    return {
        "quadrant_accuracy": float(np.mean(true_quadrants == pred_quadrants)),
        "sign_accuracy": {dim: float(np.mean(np.sign(true_signs[:, k]) == np.sign(pred_signs[:, k])))
                          for k, dim in enumerate(DIMENSIONS)},
        "confusion_matrix": {"labels": QUADRANT_LABELS,
                             "rows_true_columns_predicted": confusion_matrix(
                                 true_quadrants, pred_quadrants, labels=QUADRANT_LABELS).tolist()},
    }


def classification_metrics(true_labels: list[str], pred_labels: list[str], classes: list[str]) -> dict:
    """Accuracy, macro-F1, per-class recall / precision / F1 / support, and the confusion matrix (rows: true).

    A class absent from the test items has recall NaN (reported, left out of nothing: macro-F1
    averages over the classes present in either the true or the predicted labels, as scikit-learn does
    with ``labels`` restricted to those).
    """
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    true_labels, pred_labels = np.asarray(true_labels), np.asarray(pred_labels)
    present = [c for c in classes if c in set(true_labels) | set(pred_labels)]
    precision, recall, f1, support = precision_recall_fscore_support(
        true_labels, pred_labels, labels=list(classes), zero_division=0)
    recall = [float(r) if s else float("nan") for r, s in zip(recall, support)]
    return {
        "accuracy": float(np.mean(true_labels == pred_labels)),
        "macro_f1": float(f1_score(true_labels, pred_labels, labels=present, average="macro", zero_division=0)),
        "per_class": {c: {"recall": r, "precision": float(p), "f1": float(f), "support": int(s)}
                      for c, r, p, f, s in zip(classes, recall, precision, f1, support)},
        "confusion_matrix": {"labels": list(classes),
                             "rows_true_columns_predicted": confusion_matrix(
                                 true_labels, pred_labels, labels=list(classes)).tolist()},
    }


def macro_f1(true_labels: np.ndarray, pred_labels: np.ndarray) -> float:
    """Macro-F1 over the classes present in either array (for bootstrap resamples)."""
    from sklearn.metrics import f1_score

    labels = sorted(set(true_labels) | set(pred_labels))
    return float(f1_score(true_labels, pred_labels, labels=labels, average="macro", zero_division=0))
