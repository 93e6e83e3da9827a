"""One table of every committed result: ``python -m mer_keras.evaluation.leaderboard [reports/]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _cell(entry) -> str:
    if isinstance(entry, dict) and "mean" in entry and isinstance(entry["mean"], dict):   # summary over runs
        values = entry["mean"]
        return f"{values['mean']:.3f} ± {values['sd']:.3f}"
    if isinstance(entry, dict) and "value" in entry:
        return f"{entry['value']['mean']:.3f} ± {entry['value']['sd']:.3f}"
    if isinstance(entry, dict) and "sd" in entry:
        return f"{entry['mean']:.3f} ± {entry['sd']:.3f}"
    if isinstance(entry, dict):
        return f"{entry['mean']:.3f}"
    return f"{entry:.3f}" if isinstance(entry, float) else "-"


def leaderboard(root: Path) -> str:
    """Markdown tables (regression, quadrant) from ``<root>/*/metrics.json``; mean ± sd over seeds where several."""
    regression = ["| report | data | runs | mean R² | mean CCC | mean MSE | mean MAE | verdict |", "|---|---|---|---|---|---|---|---|"]
    quadrant = ["| report | runs | quadrant accuracy | valence sign acc. | arousal sign acc. |", "|---|---|---|---|---|"]
    for path in sorted(Path(root).glob("*/metrics.json")):
        metrics = json.loads(path.read_text())
        if "model" not in metrics:
            continue
        runs = metrics.get("n_runs", 1)
        name = f"[{path.parent.name}]({path.parent.name}/report.md)"
        if metrics.get("task") == "va":
            data = "4Q-VA (proxy)" if metrics.get("proxy_label") else metrics.get("dataset")
            regression.append(f"| {name} | {data} | {runs} | {_cell(metrics['r2'])} | {_cell(metrics['ccc'])} | "
                              f"{_cell(metrics['mse'])} | {_cell(metrics['mae'])} | {metrics['verdict']['outcome']} |")
        elif metrics.get("task") == "quadrant":
            accuracy = metrics["quadrant_accuracy"]
            signs = metrics["sign_accuracy"]
            quadrant.append(f"| {name} | {runs} | {_cell(accuracy)} | {_cell(signs['valence'])} | {_cell(signs['arousal'])} |")
    return "\n".join(regression) + "\n\n" + "\n".join(quadrant) + "\n"


if __name__ == "__main__":
    print(leaderboard(Path(sys.argv[1] if len(sys.argv) > 1 else "reports")))
