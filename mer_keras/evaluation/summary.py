"""A summary over several runs of one model (seeds): mean, sd and range of each headline figure, and the
verdict over runs; written as ``metrics.json`` and ``report.md``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from mer_keras.evaluation.report import write_summary_report
from mer_keras.evaluation.tasks import task_module
from mer_keras.runs import write_json


def _spread(values: list[float]) -> dict:
    return {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
            "min": float(np.min(values)), "max": float(np.max(values)), "values": values}


HEADLINE = {"va": ("r2", "mean", "mean R²"), "quadrant": ("quadrant_accuracy", "value", "quadrant accuracy"),
            "emotion": ("accuracy", "value", "accuracy")}


def _seeds_of(summary: dict) -> list:
    if summary.get("seeds") is not None:
        return list(summary["seeds"])
    found = [re.search(r"seed(\d+)$", name) for name in summary.get("runs", [])]
    return [int(match.group(1)) for match in found if match]


def _split_keys(summary: dict) -> list:
    """One key per run: (split seed, test fold or None), so that fold runs pair fold by fold. Runs scored on
    an external folder (cross-corpus) have no test fold of their own: the fold they were trained without is
    read from their name (``-testKofN``, as train.py names fold runs)."""
    seeds = _seeds_of(summary)
    folds = summary.get("test_folds")
    if not folds:
        found = [re.search(r"test(\d+)of(\d+)", name) for name in summary.get("runs", [])]
        folds = ([[int(m.group(1)), int(m.group(2))] for m in found] if found and all(found) and len(found) == len(seeds)
                 else [None] * len(seeds))
    return [(seed, tuple(fold) if fold else None) for seed, fold in zip(seeds, folds)]


#: Features from a pretrained network: a classic head on them is transfer learning, not a classic yardstick.
PRETRAINED_FEATURES = ("musicnn", "embeddings")


def features_of_command(train_command: str | None) -> str | None:
    """The ``--features`` value of a recorded train command (None when absent: the model's default)."""
    import shlex

    try:
        words = shlex.split(train_command or "")
    except ValueError:
        return None
    return words[words.index("--features") + 1] if "--features" in words[:-1] else None


def _features_of(folder: Path, summary: dict) -> str | None:
    """The ``--features`` of a summary's runs: recorded in the summary (``features``), or, for a summary
    written before it was, read from its first run's train command."""
    if "features" in summary:
        return summary["features"]
    runs = summary.get("runs") or []
    try:
        metrics = json.loads((folder / runs[0] / "metrics.json").read_text()) if runs else {}
        return features_of_command((metrics.get("command") or {}).get("train"))
    except (OSError, ValueError, AttributeError):
        return None


def find_yardstick(root: Path, summary: dict, all_metrics: list[dict]) -> dict | None:
    """The best classic model (family sklearn in the registry) among the summaries under ``root`` with the
    same data (the same corpus scored, so a cross-corpus summary never pairs with an in-corpus one), task and
    splits (split seed and test fold), by the task's headline figure over the splits both share."""
    from mer_keras.models.registry import MODELS

    name, dim, label = HEADLINE[summary["task"]]
    mine = dict(zip(_split_keys(summary), summary[name][dim]["values"]))
    best = None
    for path in sorted(root.glob("*/metrics.json")):
        try:
            other = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        row = MODELS.get(other.get("model"))
        if (row is None or row.family != "sklearn" or other.get("dataset") != summary["dataset"]
                or other.get("task") != summary["task"] or name not in other or "per_run" not in other
                or (summary.get("data") and other.get("data") and other["data"] != summary["data"])):
            continue
        if _features_of(path.parent, other) in PRETRAINED_FEATURES:
            continue
        theirs = dict(zip(_split_keys(other), other[name][dim]["values"]))
        shared = sorted(set(mine) & set(theirs))
        if not shared:
            continue
        values = [theirs[seed] for seed in shared]
        candidate = {"model": other["model"], "figure": label, "mean": float(np.mean(values)),
                     "sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0, "n_runs": len(values),
                     "seeds": sorted({seed for seed, _ in shared}), "splits": len(shared), "this_mean": float(np.mean([mine[seed] for seed in shared])),
                     "report": str(Path("..") / path.parent.name / "report.md"), "features": other.get("features")}
        if best is None or candidate["mean"] > best["mean"]:
            best = candidate
    return best


def summarise_runs(all_metrics: list[dict], names: list[str], report_dir: Path, command: str,
                   yardstick_root: Path | None = None) -> dict:
    """Mean, sd and range over runs (seeds) of each headline figure; verdict on the mean over runs.

    ``yardstick_root``: a folder of committed summaries (``reports/``) in which to look for the best
    classic model on the same splits, named in the report."""
    first = all_metrics[0]
    task = task_module(first["task"])
    summary = {"model": first["model"], "dataset": first["dataset"], "task": first["task"], "data": first["data"],
               "runs": names, "n_runs": len(names), "parameters": first["parameters"],
               "claimed_parameters": first.get("claimed_parameters"), "command": {"evaluate": command,
               "train": [m["command"]["train"] for m in all_metrics]}, "per_run": {},
               "features": features_of_command((first.get("command") or {}).get("train"))}
    if first.get("proxy_label"):
        summary["proxy_label"] = first["proxy_label"]
    if first.get("backbone"):
        summary["backbone"] = first["backbone"]
    if first.get("label_corruption"):
        summary["label_corruption"] = first["label_corruption"]
    if first.get("synthetic_only"):
        summary["synthetic_only"] = True
    keys = task.summary_keys(first)
    collapsed = [name for name, m in zip(names, all_metrics) if (m.get("collapse") or {}).get("flagged")]
    summary["collapsed_runs"] = collapsed
    for name, dim in keys:
        values = [m[name][dim] if dim else m[name] for m in all_metrics]
        entry = _spread(values)
        if collapsed and len(collapsed) < len(names):
            learned = [v for run, v in zip(names, values) if run not in collapsed]
            entry["without_collapsed"] = _spread(learned)
        summary.setdefault(name, {})[dim or "value"] = entry
    if "chance_accuracy" in first:
        summary["chance_accuracy"] = float(np.mean([m["chance_accuracy"] for m in all_metrics]))
    for name, m in zip(names, all_metrics):
        summary["per_run"][name] = {"verdict": m["verdict"]["outcome"], "bootstrap": m["bootstrap"],
                                    "collapsed": name in collapsed, "protocol": m.get("protocol"),
                                    "best_epoch": m["training"].get("best_epoch"), "train_seconds": m["training"].get("train_seconds")}
    summary["verdict"] = task.summary_verdict(all_metrics, summary)
    if collapsed:
        summary["verdict"] = dict(summary["verdict"])
        summary["verdict"]["caveat_collapse"] = (f"{len(collapsed)} of {len(names)} runs collapsed ({', '.join(collapsed)}): "
                                                 "their predictions are nearly constant, so they say little about the architecture")
    pooled = getattr(task, "pooled", None)
    if pooled is not None and (figures := pooled(all_metrics)) is not None:
        summary["pooled"] = figures
    summary["protocol"] = first.get("protocol")
    summary["seeds"] = [m["split"]["seed"] for m in all_metrics]
    if all(m["split"].get("test_fold") for m in all_metrics):
        summary["test_folds"] = [m["split"]["test_fold"] for m in all_metrics]
        summary["group_by"] = first["split"].get("group_by")
    if yardstick_root is not None:
        summary["yardstick"] = find_yardstick(Path(yardstick_root), summary, all_metrics)
    report_dir = Path(report_dir)
    write_json(report_dir / "metrics.json", summary)
    write_summary_report(summary, keys, report_dir)
    return summary


def resummarise(report_dir: Path, command: str) -> dict:
    """Summarise again from the per-run ``metrics.json`` in the sub-folders of ``report_dir`` (e.g. after
    one more seed was scored into it); no test item is scored again."""
    from mer_keras.errors import RunError

    report_dir = Path(report_dir)
    paths = sorted(path for path in report_dir.glob("*/metrics.json"))
    if not paths:
        raise RunError(f"{report_dir} has no run sub-folders with metrics.json")
    all_metrics = [json.loads(path.read_text()) for path in paths]
    for path, metrics in zip(paths, all_metrics):
        predictions = path.parent / "predictions.csv"
        if "collapse" not in metrics and predictions.is_file():      # a report older than collapse detection
            from mer_keras.evaluation.collapse import collapse_from_predictions

            collapse = collapse_from_predictions(predictions, metrics.get("task", ""))
            if collapse is not None:
                metrics["collapse"] = collapse | {"source": "recomputed from predictions.csv at re-summary"}
                write_json(path, metrics)
    previous = report_dir / "metrics.json"
    if previous.is_file():      # keep the command that scored the runs, then the re-summary
        earlier = json.loads(previous.read_text()).get("command") or ""
        if isinstance(earlier, dict):
            earlier = earlier.get("evaluate") or ""
        earlier = [line for line in str(earlier).splitlines() if line.strip() and line.strip() != command]
        command = "\n".join(earlier + [command])
    return summarise_runs(all_metrics, [path.parent.name for path in paths], report_dir, command,
                          yardstick_root=report_dir.parent)


if __name__ == "__main__":
    import sys

    from mer_keras.errors import exit_status

    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m mer_keras.evaluation.summary REPORT_DIR  (re-summarise its run sub-folders)")
    sys.exit(exit_status(lambda: resummarise(Path(sys.argv[1]), "python -m mer_keras.evaluation.summary " + sys.argv[1])))
