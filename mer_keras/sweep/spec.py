"""A sweep file (``specs/sweeps/NAME.yaml``, YAML data) and the cells it names.

Keys (only ``grid`` is required)::

    description: what the sweep reproduces
    grid:                      # train.py options (underscores or dashes) -> values; one cell per combination
      model: [crnn, ridge]
      protocol: [documented]
      seed: [0, 1, 2, 3, 4]
    args: [--data, ../shared/data/4q]     # the same train.py arguments for every cell
    evaluate_args: [--resamples, 1000]    # the same evaluate.py arguments for every cell
    runs: runs                 # run directories: <runs>/<run name>, named as train.py names them
    reports: reports           # <reports>/<group>/<run name>: each cell's evaluation; <reports>/<group>: the summary
    summarise_over: [seed]     # a group = the cells equal in every other option (seed and/or test_fold)
    report_names: {}           # <group> -> another folder name under <reports>
    cpus_per_trial: 2          # CPUs each cell reserves (Ray) and the threads it may use (default: all)
    retries: 0                 # Ray: times a failed trial is tried again (it resumes from its last epoch)

Relative ``runs`` and ``reports`` are relative to the folder the command runs in, as train.py's ``runs/``.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from mer_keras.errors import SpecError
from mer_keras.sweep.cells import Cell

KEYS = ("description", "grid", "args", "evaluate_args", "runs", "reports", "summarise_over", "report_names",
        "cpus_per_trial", "retries")
# the part of a run name that each summarised option adds (mer_keras.training.train.default_out)
SUMMARISED = {"seed": r"-seed\d+", "test_fold": r"-test\d+of\d+"}
NOT_IN_GRID = ("out", "resume", "help")


@dataclass
class Sweep:
    """A sweep file, its paths made absolute."""

    name: str
    path: Path
    grid: dict
    args: list = field(default_factory=list)
    evaluate_args: list = field(default_factory=list)
    runs: Path = Path("runs")
    reports: Path = Path("reports")
    summarise_over: list = field(default_factory=lambda: ["seed"])
    report_names: dict = field(default_factory=dict)
    cpus_per_trial: int = 0
    retries: int = 0
    description: str = ""
    cwd: Path = Path(".")                # where the cells' commands run (relative paths in `args` start here)

    @property
    def state_dir(self) -> Path:
        """The sweep's own files: ``journal.jsonl`` (what each cell did), ``logs/``, ``ray/`` (Tune's)."""
        return self.runs / ".sweeps" / self.name


def _strings(value, where: str, path: Path) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or any(isinstance(item, (dict, list)) for item in value):
        raise SpecError(f"{path}: `{where}` must be a list of command-line words, e.g. [--data, DIR]")
    return [str(item) for item in value]


def load_sweep(path: str | Path, cwd: Path | None = None) -> Sweep:
    """Read and check a sweep file; relative ``runs``/``reports`` are resolved against ``cwd``."""
    path, cwd = Path(path), Path(cwd or Path.cwd())
    if not path.is_file():
        raise SpecError(f"sweep file {path} not found; give a YAML file such as specs/sweeps/crnn-4q-va-tuned.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML ({str(exc).splitlines()[0]}); fix the file") from None
    if not isinstance(data, dict) or not isinstance(data.get("grid"), dict) or not data["grid"]:
        raise SpecError(f"{path}: needs a `grid:` mapping of train.py options to lists of values (e.g. seed: [0, 1])")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise SpecError(f"{path}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(KEYS)}")
    over = list(data.get("summarise_over") or ["seed"])
    if set(over) - set(SUMMARISED):
        raise SpecError(f"{path}: summarise_over takes {' and '.join(SUMMARISED)}, not {sorted(set(over) - set(SUMMARISED))}")
    grid = {str(key).replace("-", "_"): value if isinstance(value, list) else [value] for key, value in data["grid"].items()}
    return Sweep(name=path.stem, path=path, grid=grid, args=_strings(data.get("args"), "args", path),
                 evaluate_args=_strings(data.get("evaluate_args"), "evaluate_args", path),
                 runs=cwd / data.get("runs", "runs"), reports=cwd / data.get("reports", "reports"),
                 summarise_over=over, report_names=dict(data.get("report_names") or {}),
                 cpus_per_trial=int(data.get("cpus_per_trial") or 0), retries=int(data.get("retries") or 0),
                 description=str(data.get("description") or ""), cwd=cwd)


def _option_words(key: str, value) -> list[str]:
    """One grid value as train.py words: ``None``/``false`` drop the option, a list repeats it (``--ablate``)."""
    option = "--" + key.replace("_", "-")
    if value is None or value is False:
        return []
    if value is True:
        return [option]
    return [word for item in (value if isinstance(value, list) else [value]) for word in (option, str(item))]


def _run_name(argv: list[str], path: Path) -> str:
    """The run name train.py gives these arguments (its default ``--out`` folder's name)."""
    import contextlib
    import io

    from mer_keras.cli import train_parser
    from mer_keras.data.registry import resolve_data
    from mer_keras.models.registry import default_features
    from mer_keras.training.train import TrainRequest, default_out

    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            args = train_parser().parse_args(argv)
    except SystemExit:
        reason = errors.getvalue().strip().splitlines()[-1] if errors.getvalue().strip() else "invalid arguments"
        raise SpecError(f"{path}: train.py refuses the cell {' '.join(argv)} ({reason}); fix `grid` or `args`") from None
    request = TrainRequest(**vars(args))
    features = request.features or default_features(request.model, request.embeddings)
    choice = resolve_data(request.dataset, request.data, request.target, features)
    if request.deam_labels:
        choice.deam_labels = request.deam_labels
    return default_out(request, choice).name


def group_name(run_name: str, sweep: Sweep) -> str:
    """The cell's summary group: its run name without the summarised parts (``-seed3``, ``-test1of5``)."""
    name = run_name
    for option in sweep.summarise_over:
        name = re.sub(SUMMARISED[option], "", name)
    return str(sweep.report_names.get(name, name))


def expand(sweep: Sweep, cpus_per_trial: int | None = None) -> list[Cell]:
    """One :class:`Cell` per combination of the grid's values, in the file's order."""
    from mer_keras.sweep.cells import train_option_names

    allowed = train_option_names()
    bad = sorted(key for key in sweep.grid if key not in allowed or key in NOT_IN_GRID)
    if bad:
        raise SpecError(f"{sweep.path}: grid option(s) {', '.join(bad)} are not train.py options the sweep varies "
                        "(it sets --out and --resume itself); see python train.py --help")
    cpus = int(cpus_per_trial or sweep.cpus_per_trial or os.cpu_count() or 1)
    cells, seen = [], {}
    for values in itertools.product(*sweep.grid.values()):
        argv = [word for key, value in zip(sweep.grid, values) for word in _option_words(key, value)] + sweep.args
        name = _run_name(argv, sweep.path)
        if name in seen:
            raise SpecError(f"{sweep.path}: the cells {' '.join(seen[name])} and {' '.join(argv)} get the same run name "
                            f"{name}; an option train.py's run names leave out cannot vary within one sweep (use two "
                            "sweep files with different `runs` folders)")
        seen[name] = argv
        group = group_name(name, sweep)
        cells.append(Cell(name=name, group=group, train_args=argv, evaluate_args=list(sweep.evaluate_args),
                          run_dir=str(sweep.runs / name), report_dir=str(sweep.reports / group / name),
                          state_dir=str(sweep.state_dir), cwd=str(sweep.cwd), cpus=cpus))
    return cells
