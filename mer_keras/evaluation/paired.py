"""Paired differences between two groups of runs on the same splits: one model (the treatment, e.g. a
pretrained backbone or augmented training) against others (e.g. the same layers from scratch), seed by
seed (and speaker fold by fold), with the t interval of the mean difference.

Pairs are runs with the same split (``split.seed`` and, for speaker folds, ``split.test_fold``), i.e. scored
on the same test items; runs without a partner are listed, not used. A pair in which either run collapsed
is kept but flagged, and the row says how many. Every figure comes from committed summaries (``evaluate.py``
over several runs); no test item is scored again.

``python -m mer_keras.evaluation.paired TREATMENT --against BASELINE [BASELINE ...] --label TEXT --out DIR``
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mer_keras.errors import RunError

#: The figure a task's runs are compared on by default, and how to read it from a run's metrics.json.
FIGURES = {
    "r2": lambda m: (m.get("r2") or {}).get("mean"),
    "ccc": lambda m: (m.get("ccc") or {}).get("mean"),
    "valence_r2": lambda m: (m.get("r2") or {}).get("valence"),
    "arousal_r2": lambda m: (m.get("r2") or {}).get("arousal"),
    "quadrant_accuracy": lambda m: m.get("quadrant_accuracy"),
    "accuracy": lambda m: m.get("accuracy"),
    "uar": lambda m: m.get("uar"),
    "macro_f1": lambda m: m.get("macro_f1"),
}
DEFAULT_FIGURE = {"va": "r2", "quadrant": "quadrant_accuracy", "emotion": "accuracy"}


def t_interval(values: list[float], confidence: float = 0.95) -> dict:
    """Mean, sd and the t interval of the mean of ``values`` (seeds or folds); ``low``/``high`` are None for
    one value. Returns ``{"mean", "sd", "low", "high", "n", "values"}``."""
    from scipy import stats

    values = [float(v) for v in values if v is not None and np.isfinite(v)]
    n = len(values)
    if n == 0:
        return {"mean": None, "sd": None, "low": None, "high": None, "n": 0, "values": []}
    mean = float(np.mean(values))
    if n == 1:
        return {"mean": mean, "sd": 0.0, "low": None, "high": None, "n": 1, "values": values}
    sd = float(np.std(values, ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / np.sqrt(n)
    return {"mean": mean, "sd": sd, "low": mean - half, "high": mean + half, "n": n, "values": values}


def paired_outcome(interval: dict, claimed_sign: int) -> str:
    """``holds`` / ``does not hold`` / ``inconclusive`` for a claim that the paired difference has
    ``claimed_sign`` (+1: positive, -1: negative), from its interval."""
    low, high = interval["low"], interval["high"]
    if low is None:
        return "inconclusive (one pair)"
    if claimed_sign * low > 0 and claimed_sign * high > 0:
        return "holds"
    if claimed_sign * low < 0 and claimed_sign * high < 0:
        return "does not hold"
    return "inconclusive"


def load_runs(folder: Path) -> dict:
    """A summary folder: ``{"folder", "label", "model", "protocol", "task", "dataset", "data", "evaluated_on",
    "runs": [metrics, ...]}``;
    the label is the model with its backbone (musicnn) and features, and the protocol when not documented."""
    folder = Path(folder)
    summary_path = folder / "metrics.json"
    if not summary_path.is_file():
        raise RunError(f"{summary_path} not found: pass summary folders written by evaluate.py over several runs")
    summary = json.loads(summary_path.read_text())
    names = summary.get("runs") or []
    missing = [name for name in names if not (folder / name / "metrics.json").is_file()]
    if not names or missing:
        raise RunError(f"{summary_path}: " + (f"run folder(s) {missing} missing" if missing else "not a summary over runs"))
    runs = [json.loads((folder / name / "metrics.json").read_text()) for name in names]
    return {"folder": folder, "label": folder.name, "model": summary["model"], "protocol": runs[0].get("protocol"),
            "task": runs[0]["task"], "dataset": summary.get("dataset"), "data": summary.get("data"),
            "evaluated_on": runs[0].get("evaluated_on"), "runs": runs}


def pair_key(metrics: dict) -> tuple:
    """What makes two runs comparable item for item: the split's seed and its test fold (speaker folds)."""
    split = metrics.get("split") or {}
    fold = split.get("test_fold")
    return split.get("seed"), (int(fold[0]) if fold else None)


def _collapsed(metrics: dict) -> bool:
    return bool((metrics.get("collapse") or {}).get("flagged"))


def _outcome(interval: dict, treatment: dict, baseline: dict) -> str:
    """The paired outcome; none when either group trained under the leaky protocol (issue 22)."""
    if "leaky" in (treatment.get("protocol"), baseline.get("protocol")):
        from mer_keras.evaluation.verdict import LEAKY_LABEL

        return f"no outcome: a group is {LEAKY_LABEL}"
    return paired_outcome(interval, +1)


#: Figures the paired bootstrap recomputes from ``predictions.csv``: (axes, metric).
_BOOTSTRAP_FIGURES = {"ccc": (("valence", "arousal"), "ccc"), "r2": (("valence", "arousal"), "r2"),
                      "valence_r2": (("valence",), "r2"), "arousal_r2": (("arousal",), "r2")}


def read_predictions(path: Path) -> dict[str, np.ndarray]:
    """A committed ``predictions.csv`` as columns: ``item_id`` and other text columns (quadrants, emotions) as
    strings, the numeric ones as floats."""
    import csv

    def column(key: str, values: list) -> np.ndarray:
        if key != "item_id":
            try:
                return np.asarray(values, float)
            except ValueError:
                pass
        return np.asarray(values)

    with open(path, newline="") as handle:
        columns: dict[str, list] = {}
        for row in csv.DictReader(handle):
            for key, value in row.items():
                columns.setdefault(key, []).append(value)
    return {key: column(key, values) for key, values in columns.items()}


def _predictions(folder: Path, run: str) -> dict | None:
    """``item_id -> (true_valence, true_arousal, pred_valence, pred_arousal)`` of a run's committed predictions."""
    path = Path(folder) / run / "predictions.csv"
    if not path.is_file():
        return None
    columns = read_predictions(path)
    needed = ("item_id", "true_valence", "true_arousal", "pred_valence", "pred_arousal")
    if not columns or any(k not in columns for k in needed):
        return None
    return {item: tuple(values) for item, *values in zip(*(columns[k] for k in needed))}


def paired_bootstrap(pairs: list[tuple[dict, dict]], treatment_folder: Path, baseline_folder: Path, figure: str,
                     resamples: int = 1000, seed: int = 0) -> dict | None:
    """95% bootstrap interval of the mean paired difference over test items: each resample draws every pair's
    shared test items with replacement (the same draw for both arms), recomputes ``figure`` for both from the
    committed ``predictions.csv`` and averages the differences over pairs. None when a figure is not recomputable
    (classification) or a run's predictions are missing. No test item is scored again."""
    from mer_keras.evaluation.metrics import ccc

    if figure not in _BOOTSTRAP_FIGURES or not pairs:
        return None
    axes, metric = _BOOTSTRAP_FIGURES[figure]

    from sklearn.metrics import r2_score

    score = ccc if metric == "ccc" else r2_score

    arrays = []
    for ours, theirs in pairs:
        if not ours.get("run") or not theirs.get("run"):
            return None
        a, b = _predictions(treatment_folder, ours["run"]), _predictions(baseline_folder, theirs["run"])
        if a is None or b is None:
            return None
        shared = sorted(set(a) & set(b))
        if len(shared) < 2:
            return None
        arrays.append((np.array([a[i] for i in shared]), np.array([b[i] for i in shared])))
    column = {"valence": (0, 2), "arousal": (1, 3)}
    rng = np.random.default_rng(seed)
    means = []
    for _ in range(resamples):
        diffs = []
        for a, b in arrays:
            idx = rng.integers(0, len(a), len(a))
            fig = [np.mean([score(x[idx, column[ax][0]], x[idx, column[ax][1]]) for ax in axes]) for x in (a, b)]
            diffs.append(fig[0] - fig[1])
        means.append(np.mean(diffs))
    low, high = np.nanpercentile(means, [2.5, 97.5])
    return {"low": float(low), "high": float(high), "resamples": resamples, "pairs": len(arrays),
            "items": [len(a) for a, _ in arrays]}


def paired_row(treatment: dict, baseline: dict, figure: str, bootstrap: bool = False) -> dict:
    """``figure`` of ``treatment`` minus ``baseline``, pair by pair, with its interval and the unpaired runs;
    ``bootstrap``: also the item bootstrap of :func:`paired_bootstrap` (the paired reports; None otherwise)."""
    if treatment["task"] != baseline["task"]:
        raise RunError(f"{treatment['folder']} ({treatment['task']}) and {baseline['folder']} ({baseline['task']}) "
                       "are different tasks; pair runs of one task")
    read = FIGURES[figure]
    ours = {pair_key(m): m for m in treatment["runs"]}
    theirs = {pair_key(m): m for m in baseline["runs"]}
    keys = sorted((k for k in ours if k in theirs and read(ours[k]) is not None and read(theirs[k]) is not None),
                  key=lambda k: tuple(-1 if v is None else v for v in k))
    differences = [read(ours[k]) - read(theirs[k]) for k in keys]
    interval = t_interval(differences)
    collapsed = [k for k in keys if _collapsed(ours[k]) or _collapsed(theirs[k])]
    return {"baseline": baseline["label"], "baseline_folder": str(baseline["folder"]), "figure": figure,
            "pairs": [{"seed": k[0], "test_fold": k[1], "treatment": read(ours[k]), "baseline": read(theirs[k]),
                       "difference": d, "collapsed": k in collapsed} for k, d in zip(keys, differences)],
            "difference": interval, "outcome": _outcome(interval, treatment, baseline),
            "treatment_mean": t_interval([read(ours[k]) for k in keys])["mean"],
            "baseline_mean": t_interval([read(theirs[k]) for k in keys])["mean"],
            "collapsed_pairs": len(collapsed),
            "bootstrap": paired_bootstrap([(ours[k], theirs[k]) for k in keys], treatment["folder"],
                                          baseline["folder"], figure) if bootstrap else None,
            "unpaired": sorted(m["run"] for k, m in {**ours, **theirs}.items() if k not in keys)}


def compare_paired(treatment: Path, baselines: list[Path], out: Path, label: str, command: str,
                   figure: str | None = None) -> dict:
    """Every baseline against the treatment; writes ``metrics.json`` and ``report.md`` to ``out``."""
    from mer_keras.evaluation.report import write_paired_report
    from mer_keras.runs import write_json

    group = load_runs(treatment)
    figure = figure or DEFAULT_FIGURE.get(group["task"], "r2")
    if figure not in FIGURES:
        raise RunError(f"unknown figure {figure!r}; choose from {sorted(FIGURES)}")
    rows = [paired_row(group, load_runs(folder), figure, bootstrap=True) for folder in baselines]
    result = {"treatment": group["label"], "treatment_folder": str(group["folder"]), "label": label,
              "task": group["task"], "data": group["data"], "figure": figure, "rows": rows, "command": command}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "metrics.json", result)
    write_paired_report(result, out)
    return result


def main(argv=None) -> int:
    import argparse
    import shlex
    import sys

    from mer_keras.errors import exit_status

    parser = argparse.ArgumentParser(prog="python -m mer_keras.evaluation.paired",
                                     description="Paired per-seed (per-fold) differences of one group of runs "
                                                 "against others on the same splits.")
    parser.add_argument("treatment", help="summary folder of the runs under test (e.g. a pretrained model)")
    parser.add_argument("--against", nargs="+", required=True, help="summary folders to pair it with")
    parser.add_argument("--label", default="", help="what the treatment is, for the report's title")
    parser.add_argument("--figure", choices=sorted(FIGURES), help="default: r2 (va), quadrant_accuracy, accuracy (emotion)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    command = "python -m mer_keras.evaluation.paired " + shlex.join(sys.argv[1:] if argv is None else argv)
    status = exit_status(compare_paired, Path(args.treatment), [Path(p) for p in args.against], Path(args.out),
                         args.label, command, args.figure)
    if status == 0:
        print(f"wrote {Path(args.out) / 'report.md'}", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
