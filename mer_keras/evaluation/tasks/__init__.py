"""What differs per task: valence/arousal regression (``va``), quadrants (``quadrant``), speech emotion
(``emotion``). Each task module has the same functions:

- ``score(kept, outputs, config, report_dir, n_resamples) -> (metrics, rows, header)``: the task's
  figures, bootstrap intervals and verdict for one run's test items, its plots, and the rows of
  ``predictions.csv``;
- ``result_lines(metrics) -> list[str]``: the results section of a run's report;
- ``summary_keys(first) -> list[(name, dimension)]``: the figures a summary over runs averages;
- ``summary_verdict(all_metrics, summary) -> dict``: the verdict over runs;
- ``CURVE_LABEL``: the y label of the learning curves.
"""

from __future__ import annotations

import importlib

from mer_keras.errors import RunError

TASKS = ("va", "quadrant", "emotion")


def task_module(task: str):
    """The module of ``task`` (``mer_keras.evaluation.tasks.<task>``)."""
    if task not in TASKS:
        raise RunError(f"unknown task {task!r} in the run's config.json; tasks: {TASKS}")
    return importlib.import_module(f"mer_keras.evaluation.tasks.{task}")
