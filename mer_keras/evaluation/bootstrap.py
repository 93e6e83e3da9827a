"""Bootstrap intervals over test items (songs), seeded."""

from __future__ import annotations

from typing import Callable

import numpy as np


def bootstrap_interval(statistic: Callable[[np.ndarray], float], n_items: int, n_resamples: int = 1000,
                       confidence: float = 0.95, seed: int = 0) -> dict:
    """Percentile interval of ``statistic(indices)`` over resamples of item indices with replacement.

    Returns ``{"low", "high", "confidence", "resamples", "unit": "test items"}``; resamples where the
    statistic is undefined (NaN) are dropped and counted.
    """
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_resamples):
        value = statistic(rng.integers(0, n_items, n_items))
        if np.isfinite(value):
            values.append(value)
    tail = (1 - confidence) / 2 * 100
    low, high = (np.percentile(values, [tail, 100 - tail]) if values else (float("nan"), float("nan")))
    return {"low": float(low), "high": float(high), "confidence": confidence,
            "resamples": len(values), "dropped": n_resamples - len(values), "unit": "test items"}
