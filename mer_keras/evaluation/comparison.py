"""Several models side by side (each a list of per-seed metrics): accuracy, macro-F1, parameters, peak
training memory and training time, against the documents' claims in ``specs/estimates.yaml``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mer_keras.data.emotions import EMOTIONS
from mer_keras.evaluation import plots
from mer_keras.evaluation.report import write_comparison_report
from mer_keras.evaluation.verdict import accuracy_claim, judge
from mer_keras.runs import write_json
from mer_keras.specs import load_spec

RESOURCE_KEYS = ("parameters", "peak_rss_mib", "train_seconds", "seconds_per_epoch", "epochs_run")


def _mean_sd(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None]
    if not values:
        return float("nan"), float("nan")
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _model_row(model: str, runs: list[dict], time_claims: dict) -> dict:
    res = [m.get("resources", {}) for m in runs]
    row = {"runs": [m["run"] for m in runs], "n_runs": len(runs), "dataset": runs[0]["dataset"],
           "train_commands": [m["command"]["train"] for m in runs], "task": runs[0]["task"], "data": runs[0]["data"]}
    from mer_keras.evaluation.tasks import task_module

    headlines = [task_module(m["task"]).headline(m) for m in runs]
    row["headline"] = {figure: dict(zip(("mean", "sd"), _mean_sd([h[figure] for h in headlines])),
                                    values=[h[figure] for h in headlines]) for figure in headlines[0]}
    row["collapsed_runs"] = [m["run"] for m in runs if (m.get("collapse") or {}).get("flagged")]
    row["protocol"] = runs[0].get("protocol")
    values = {"accuracy": [m.get("accuracy") for m in runs], "macro_f1": [m.get("macro_f1") for m in runs]}
    values |= {key: [r.get(key) for r in res] for key in RESOURCE_KEYS}
    for key, column in values.items():
        mean, sd = _mean_sd(column)
        row[key] = {"mean": mean, "sd": sd, "values": column}
    if runs[0]["task"] == "emotion":
        row["accuracy_intervals"] = [[m["bootstrap"]["accuracy"]["low"], m["bootstrap"]["accuracy"]["high"]] for m in runs]
        row["recall"] = {name: _mean_sd([m["recall"][name] for m in runs])[0] for name in EMOTIONS}
        claim = accuracy_claim(model)
        if claim:
            row["accuracy_claim"] = {"claimed": claim.get("band") or claim["value"], "where": claim.get("where"),
                                     "per_run_outcomes": [m["verdict"]["outcome"] for m in runs],
                                     "mean_outcome": judge(claim, row["accuracy"]["mean"], row["accuracy"]["mean"])}
    if model in time_claims:
        claim = time_claims[model]
        hours = claim.get("hours") or [claim["minutes"] / 60] * 2
        row["training_time_claim"] = {"claimed_hours": hours, "measured_hours": row["train_seconds"]["mean"] / 3600,
                                      "where": claim.get("where"), "hardware": claim.get("hardware", "not stated"),
                                      "measured_on": runs[0].get("versions", {}).get("machine", "?")}
    return row


def _efficiency(rows: dict, claims: list[dict], small: str, big: str) -> list[dict]:
    """The note's efficiency claims ("smaller", "less memory", "faster") of ``small`` against ``big``."""
    out = []
    figure_of = {"smaller": "parameters", "memory": "peak_rss_mib", "faster": "train_seconds"}
    for claim in claims:
        key = next((figure for word, figure in figure_of.items() if word in claim["claim"]), None)
        if key is None:
            continue
        a, b = rows[small][key]["mean"], rows[big][key]["mean"]
        out.append({"claim": claim["claim"], "where": claim.get("where"), "figure": key, small: a, big: b,
                    "ratio_attn_over_cnn": b / a if a else None, "outcome": "holds" if a < b else "does not hold"})
    a, b = rows[small]["seconds_per_epoch"]["mean"], rows[big]["seconds_per_epoch"]["mean"]
    out.append({"claim": "(per epoch) CNN-LSTM trains faster", "where": "derived: training time / epochs",
                "figure": "seconds_per_epoch", small: a, big: b, "ratio_attn_over_cnn": b / a if a else None,
                "outcome": "holds" if a < b else "does not hold"})
    return out


def compare_models(groups: dict[str, list[dict]], report_dir: Path, command: str) -> dict:
    """Rows per model, the efficiency claims when both models of the speech note's pair are present
    (``speech_efficiency_pair`` in estimates.yaml), ``metrics.json``, a plot and ``report.md``."""
    estimates = load_spec("estimates")
    rows = {model: _model_row(model, runs, estimates.get("training_time_claims", {})) for model, runs in groups.items()}
    pair = estimates.get("speech_efficiency_pair", {})
    small, big = pair.get("claimed_smaller"), pair.get("compared_with")
    efficiency = (_efficiency(rows, estimates.get("speech_efficiency_claims", []), small, big)
                  if small in rows and big in rows else [])
    comparison = {"models": rows, "efficiency_claims": efficiency, "command": command,
                  "pair": [small, big] if efficiency else []}
    report_dir = Path(report_dir)
    write_json(report_dir / "metrics.json", comparison)
    if next(iter(rows.values()))["task"] == "emotion":
        plots.comparison(rows, report_dir / "comparison.png")
    write_comparison_report(comparison, report_dir)
    return comparison


def _is_keras(model: str) -> bool:
    from mer_keras.models.registry import MODELS

    row = MODELS.get(model)
    return row is not None and row.family == "keras"


def compare_reports(report_dirs: list[Path], out: Path, command: str) -> dict:
    """Side by side from committed summaries (no test item is scored again): each folder holds a summary
    ``metrics.json`` and one sub-folder per run with that run's ``metrics.json``."""
    import json

    from mer_keras.errors import RunError

    groups: dict[str, list[dict]] = {}
    for folder in map(Path, report_dirs):
        summary_path = folder / "metrics.json"
        if not summary_path.is_file():
            raise RunError(f"{summary_path} not found: pass report folders written by evaluate.py over several runs")
        summary = json.loads(summary_path.read_text())
        runs = [json.loads((folder / name / "metrics.json").read_text()) for name in summary.get("runs", [])]
        if not runs:
            raise RunError(f"{summary_path} is not a summary over runs (no `runs`)")
        protocol = summary.get("protocol") or runs[0].get("protocol")
        if protocol is None and _is_keras(summary["model"]):
            protocol = "documented"         # runs written before --protocol existed trained as documented
            runs = [m | {"protocol": protocol} for m in runs]
        label = summary["model"] if protocol in (None, "documented") else f"{summary['model']}-{protocol}"
        groups[label] = runs
    return compare_models(groups, Path(out), command)


def main(argv=None) -> int:
    import argparse
    import sys

    from mer_keras.errors import exit_status

    parser = argparse.ArgumentParser(prog="python -m mer_keras.evaluation.comparison",
                                     description="Side by side of committed summaries (e.g. one model's two protocols).")
    parser.add_argument("reports", nargs="+", help="summary report folders (evaluate.py over several runs)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    command = "python -m mer_keras.evaluation.comparison " + " ".join(sys.argv[1:] if argv is None else argv)
    status = exit_status(compare_reports, args.reports, Path(args.out), command)
    if status == 0:
        print(f"wrote {Path(args.out) / 'report.md'}", file=sys.stderr)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
