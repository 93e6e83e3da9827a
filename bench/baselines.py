"""Training time of Ridge, SVR and XGBoost (grid search + refit, as train.py runs them) on a DEAM-sized feature set.

DEAM's openSMILE features are not available here, so the matrix has DEAM's shape (1,033 songs x 520 summary
features: 260 openSMILE columns x mean/std) filled with random numbers; fit time depends on the shape, not the values
(tree depth and SVR support vectors do depend on the data somewhat: treat the figures as an estimate).
"""

from __future__ import annotations

import argparse
import time

import numpy as np



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--songs", type=int, default=1033)
    parser.add_argument("--features", type=int, default=520)
    args = parser.parse_args()
    from mer_keras.models.baselines import BASELINES, build_baseline, search_baseline

    rng = np.random.default_rng(0)
    features = rng.standard_normal((args.songs, args.features)).astype(np.float32)
    targets = np.tanh(features[:, :2] @ rng.standard_normal((2, 2)) * 0.3 + 0.1 * rng.standard_normal((args.songs, 2)))
    groups = [str(k) for k in range(args.songs)]
    print(f"data: random matrix of DEAM's shape, {args.songs} songs x {args.features} features (see docstring)")
    for name in BASELINES:
        pipeline, grid = build_baseline(name)
        candidates = int(np.prod([len(v) for v in grid.values()]))
        start = time.perf_counter()
        search = search_baseline(name, features, targets, groups)
        total = time.perf_counter() - start
        best = search.best_estimator_
        start = time.perf_counter()
        best.fit(features, targets)
        refit = time.perf_counter() - start
        print(f"{name:8s} grid {candidates:2d} candidates x 5 folds + refit: {total:6.1f} s; one fit of the chosen model: {refit:5.2f} s")


if __name__ == "__main__":
    main()
