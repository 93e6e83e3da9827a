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
