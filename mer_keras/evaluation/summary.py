"""A summary over several runs of one model (seeds): mean, sd and range of each headline figure, and the
verdict over runs; written as ``metrics.json`` and ``report.md``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mer_keras.evaluation.report import write_summary_report
from mer_keras.evaluation.tasks import task_module
from mer_keras.runs import write_json


def summarise_runs(all_metrics: list[dict], names: list[str], report_dir: Path, command: str) -> dict:
    """Mean, sd and range over runs (seeds) of each headline figure; verdict on the mean over runs."""
    first = all_metrics[0]
    task = task_module(first["task"])
    summary = {"model": first["model"], "dataset": first["dataset"], "task": first["task"], "data": first["data"],
               "runs": names, "n_runs": len(names), "parameters": first["parameters"],
               "claimed_parameters": first.get("claimed_parameters"), "command": {"evaluate": command,
               "train": [m["command"]["train"] for m in all_metrics]}, "per_run": {}}
    if first.get("proxy_label"):
        summary["proxy_label"] = first["proxy_label"]
    keys = task.summary_keys(first)
    for name, dim in keys:
        values = [m[name][dim] if dim else m[name] for m in all_metrics]
        entry = {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                 "min": float(np.min(values)), "max": float(np.max(values)), "values": values}
        summary.setdefault(name, {})[dim or "value"] = entry
    if "chance_accuracy" in first:
        summary["chance_accuracy"] = float(np.mean([m["chance_accuracy"] for m in all_metrics]))
    for name, m in zip(names, all_metrics):
        summary["per_run"][name] = {"verdict": m["verdict"]["outcome"], "bootstrap": m["bootstrap"],
                                    "best_epoch": m["training"].get("best_epoch"), "train_seconds": m["training"].get("train_seconds")}
    summary["verdict"] = task.summary_verdict(all_metrics, summary)
    report_dir = Path(report_dir)
    write_json(report_dir / "metrics.json", summary)
    write_summary_report(summary, keys, report_dir)
    return summary
