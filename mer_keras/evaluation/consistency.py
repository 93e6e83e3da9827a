"""What a pair of claimed figures implies on its own, before any run: bounds that hold for every prediction.

For one axis with true values y and predictions p (population moments; R² = 1 - MSE / var(y), the figure
every report here computes):

- CCC = 2 cov(p, y) / (var(p) + var(y) + (mean(p) - mean(y))²) and |CCC| <= |Pearson r|;
- R² <= r², since the best affine map of p already reaches r²;
- with K = (1 - R²) / (1 - CCC) = 1 + var(p)/var(y) + bias²/var(y) and r = CCC K / (2 u), u = sd(p) / sd(y):
  K >= 1, so R² <= CCC; and r <= 1 with u² <= K - 1 gives K >= 2 (1 - sqrt(1 - CCC²)) / CCC², hence
  R² <= 1 - (1 - CCC) K_min(CCC), reached by an unbiased prediction perfectly correlated with y but shrunk
  (p = a y). A claimed (CCC, R²) pair then fixes |r| >= CCC K / (2 sqrt(K - 1)) and CCC K / 2 <= u <= sqrt(K - 1).
  R² = CCC only for a perfect (or a constant) prediction. For a mean over two axes the bound is searched over
  uneven splits (:func:`max_mean_r2_two_axes`): the per-axis bound is not concave.
- MSE / (1 - R²) is the label variance the two figures imply; MAE <= sqrt(MSE).

The functions return numbers; which claims they are applied to is read from specs/estimates.yaml by
:mod:`mer_keras.evaluation.evidence`.
"""

from __future__ import annotations

import math

import numpy as np


def min_k(ccc: float) -> float:
    """The least K = (1 - R²) / (1 - CCC) any prediction with this CCC can have (1 at CCC = 0)."""
    c2 = ccc * ccc
    if c2 < 1e-12:
        return 1.0
    return 2.0 * (1.0 - math.sqrt(max(0.0, 1.0 - c2))) / c2


def max_r2_given_ccc(ccc: float) -> float:
    """The highest R² a prediction with this CCC can reach (one axis)."""
    return 1.0 - (1.0 - ccc) * min_k(ccc)


def r_bounds_given(ccc: float, r2: float) -> dict:
    """What a claimed (CCC, R²) pair implies for one axis: feasibility, the least |Pearson r| and the range of
    sd(prediction) / sd(labels). ``feasible`` False when R² exceeds :func:`max_r2_given_ccc`."""
    out = {"ccc": ccc, "r2": r2, "max_r2": max_r2_given_ccc(ccc), "r_from_r2": math.sqrt(max(r2, 0.0)),
           "r_from_ccc": abs(ccc)}
    if ccc >= 1.0 or r2 > out["max_r2"] + 1e-12:
        return out | {"feasible": False, "min_abs_r": None, "spread_ratio": None}
    k = (1.0 - r2) / (1.0 - ccc)
    u_max = math.sqrt(max(k - 1.0, 0.0))
    u_min = abs(ccc) * k / 2.0
    min_r = abs(ccc) * k / (2.0 * u_max) if u_max > 0 else 1.0
    return out | {"feasible": True, "min_abs_r": min(min_r, 1.0), "spread_ratio": [u_min, u_max]}


def max_mean_r2_two_axes(mean_ccc: float, points: int = 4001) -> dict:
    """The highest mean R² of two axes whose CCCs average ``mean_ccc``: the per-axis bound is not concave, so
    uneven axes can do better than two alike; searched over the splits (c1, c2) with (c1 + c2) / 2 = mean_ccc.
    Returns ``{"value", "ccc_axes"}`` (the best split)."""
    c1 = np.linspace(max(2 * mean_ccc - 1, -1), min(1, 2 * mean_ccc + 1), points)
    c2 = 2 * mean_ccc - c1
    keep = (c2 >= -1) & (c2 <= 1)
    values = [(max_r2_given_ccc(a) + max_r2_given_ccc(b)) / 2 for a, b in zip(c1[keep], c2[keep])]
    best = int(np.argmax(values))
    return {"value": float(values[best]), "ccc_axes": sorted([float(c1[keep][best]), float(c2[keep][best])])}


def implied_label_variance(mse: float, r2: float) -> float | None:
    """The label variance that an MSE and an R² on the same items imply: MSE / (1 - R²)."""
    return mse / (1.0 - r2) if r2 < 1.0 else None


def relative_gain(before: float, after: float) -> float | None:
    return after / before - 1.0 if before else None


def axis_checks(true: np.ndarray, pred: np.ndarray) -> dict:
    """The same inequalities on real predictions of one axis (a check of the metric code and of the algebra):
    R² <= CCC <= |r| and R² <= r²."""
    true, pred = np.asarray(true, float), np.asarray(pred, float)
    var_y, var_p = true.var(), pred.var()
    cov = float(np.mean((true - true.mean()) * (pred - pred.mean())))
    r = cov / math.sqrt(var_y * var_p) if var_y > 0 and var_p > 0 else 0.0
    ccc = 2 * cov / (var_y + var_p + (true.mean() - pred.mean()) ** 2) if var_y > 0 else 0.0
    r2 = 1.0 - float(np.mean((true - pred) ** 2)) / var_y if var_y > 0 else float("nan")
    tol = 1e-9
    return {"r": r, "ccc": ccc, "r2": r2, "ccc_le_abs_r": abs(ccc) <= abs(r) + tol, "r2_le_r_squared": r2 <= r * r + tol,
            "r2_le_ccc": r2 <= ccc + tol}
