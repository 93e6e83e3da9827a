"""How well a Keras run fits its own training items: the training figure against the validation figure at the
selected epoch, read from ``history.csv``. A model whose training figure is no better than its validation one
underfits (more capacity, epochs or a gentler regulariser may help); a wide gap means it overfits (more data or
regularisation may help). Nothing here reads a test item.

``python -m mer_keras.evaluation.fit SUMMARY_FOLDER... --runs DIR`` records ``fit`` in the ``metrics.json`` of runs
that were scored before evaluate.py recorded it (the run folders' ``history.csv``; the test figures are untouched).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mer_keras.errors import RunError

# the first of these with a validation twin in history.csv is the figure compared (higher is better for all but loss)
FIT_FIGURES = ("accuracy", "ccc", "r2", "loss")


def fit_figures(history: dict[str, list[float]], best_epoch: int | None) -> dict | None:
    """Training against validation figure at the selected epoch.

    Parameters
    ----------
    history : dict
        ``history.csv`` as columns (``epoch``, ``accuracy``, ``val_accuracy``, ...; one value per epoch).
    best_epoch : int or None
        The selected epoch, 1-based; None: the last one.

    Returns
    -------
    dict or None
        ``{"figure", "epoch", "train", "validation", "gap", "train_max", "epochs"}`` (``gap`` = train -
        validation; for ``loss``, validation - train, so that a positive gap always means "fits training
        better"), or None when the history has no figure with a validation twin. Training figures are measured
        on augmented training batches while the epoch runs, so they understate the fit a little.
    """
    figure = next((f for f in FIT_FIGURES if history.get(f) and history.get(f"val_{f}")), None)
    if figure is None:
        return None
    train, val = np.asarray(history[figure], float), np.asarray(history[f"val_{figure}"], float)
    n = min(len(train), len(val))
    index = min(max(int(best_epoch) - 1, 0), n - 1) if best_epoch else n - 1
    sign = -1.0 if figure == "loss" else 1.0
    return {"figure": figure, "epoch": index + 1, "train": float(train[index]), "validation": float(val[index]),
            "gap": float(sign * (train[index] - val[index])),
            "train_max": float(train[:n].min() if figure == "loss" else train[:n].max()), "epochs": n}


def backfill(folders: list[Path], runs: Path) -> int:
    """Add ``fit`` to each run's ``metrics.json`` under the summary ``folders`` from ``runs/<run>/history.csv``;
    returns how many were written. A run folder that is missing is one error naming it."""
    from mer_keras.runs import RunDir, write_json

    written = 0
    for folder in map(Path, folders):
        summary = folder / "metrics.json"
        if not summary.is_file():
            raise RunError(f"{summary} not found: pass summary folders written by evaluate.py over several runs")
        for name in json.loads(summary.read_text()).get("runs") or []:
            path = folder / name / "metrics.json"
            run = Path(runs) / name
            if not (run / "config.json").is_file():
                raise RunError(f"{run}: run folder not found (pass --runs, the folder holding the run directories)")
            metrics = json.loads(path.read_text())
            config = json.loads((run / "config.json").read_text())
            fit = fit_figures(RunDir(run).read_history(), config.get("best_epoch"))
            if fit is not None and metrics.get("fit") != fit:
                metrics["fit"] = fit
                write_json(path, metrics)
                written += 1
    return written


def main(argv=None) -> int:
    import argparse
    import sys

    from mer_keras.errors import exit_status

    parser = argparse.ArgumentParser(prog="python -m mer_keras.evaluation.fit",
                                     description="Record the training fit (history.csv) of runs scored earlier.")
    parser.add_argument("folders", nargs="+", help="summary folders written by evaluate.py over several runs")
    parser.add_argument("--runs", required=True, help="the folder holding the run directories")
    args = parser.parse_args(argv)
    count = {}

    def go():
        count["n"] = backfill(args.folders, Path(args.runs))

    status = exit_status(go)
    if status == 0:
        print(f"fit recorded for {count['n']} runs", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
