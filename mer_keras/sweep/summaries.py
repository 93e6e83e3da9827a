"""After the cells: each group's summary over its seeds (and test folds), from the cells' evaluations.

The summary is :func:`mer_keras.evaluation.summary.summarise_runs`, the one evaluate.py writes for several
runs, fed the ``metrics.json`` each cell's evaluate.py wrote into ``<reports>/<group>/<run name>``: no
test item is scored twice. A group is summarised once all its cells are done, and again only when a
cell's evaluation is newer than the summary.
"""

from __future__ import annotations

import json
from pathlib import Path

from mer_keras.sweep.cells import Cell, cell_state


def groups_of(cells: list[Cell]) -> dict[str, list[Cell]]:
    """The cells by group, in the sweep's order."""
    groups: dict[str, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(cell.group, []).append(cell)
    return groups


def _up_to_date(report_dir: Path, members: list[Cell]) -> bool:
    summary, report = report_dir / "metrics.json", report_dir / "report.md"
    if not (summary.is_file() and report.is_file()):
        return False
    try:
        runs = json.loads(summary.read_text()).get("runs")
    except ValueError:
        return False
    newest = max((Path(cell.report_dir) / "metrics.json").stat().st_mtime for cell in members)
    return runs == [cell.name for cell in members] and min(summary.stat().st_mtime, report.stat().st_mtime) >= newest


def summarise_groups(cells: list[Cell], command: str) -> dict[str, str]:
    """Write the summary of every complete group of two or more cells; returns each group's outcome:
    ``written``, ``up to date``, ``incomplete`` or ``one run`` (its cell's report is the report)."""
    from mer_keras.evaluation.summary import summarise_runs

    outcomes = {}
    for group, members in groups_of(cells).items():
        report_dir = Path(members[0].report_dir).parent
        if any(cell_state(cell) != "done" for cell in members):
            outcomes[group] = "incomplete"
        elif len(members) < 2:
            outcomes[group] = "one run"
        elif _up_to_date(report_dir, members):
            outcomes[group] = "up to date"
        else:
            all_metrics = [json.loads((Path(cell.report_dir) / "metrics.json").read_text()) for cell in members]
            summarise_runs(all_metrics, [cell.name for cell in members], report_dir, command,
                           yardstick_root=report_dir.parent)
            outcomes[group] = "written"
    return outcomes
