"""One sweep cell: train.py then evaluate.py for one run, each in a subprocess with its threads capped.

A cell's files say what is left to do (:func:`cell_state`): a run whose ``config.json`` says
``finished`` and whose evaluation (``metrics.json`` and ``report.md`` in its report folder; evaluate.py
writes them in that order) exists is never run again; a finished run without evaluation is only
evaluated; an existing, unfinished run continues with ``train.py --resume`` (its split, cached features
and last completed epoch); otherwise it trains from the start. A run found under the cell's name must
have been trained with the cell's options that run names leave out (:func:`check_same_run`). What each
cell did goes to ``<runs>/.sweeps/<sweep>/journal.jsonl``, its commands' output to ``logs/<run name>.log``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mer_keras.errors import RunError

# A cell's commands, each first asking to end with the sweep's process (see die_with_parent).
TRAIN = ("import sys; from mer_keras.sweep.cells import die_with_parent; die_with_parent(); "
         "from mer_keras.cli import train_main; sys.exit(train_main())")
EVALUATE = ("import sys; from mer_keras.sweep.cells import die_with_parent; die_with_parent(); "
            "from mer_keras.cli import evaluate_main; sys.exit(evaluate_main())")
PARENT_PID = "MER_SWEEP_PARENT_PID"      # the sweep process's pid, in a cell command's environment
# train.py options that change a run but not its name: a run found under the cell's name must match them
UNNAMED_OPTIONS = ("epochs", "batch_size", "patience", "limit", "precision", "preset")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                    "MER_INTRA_THREADS")


@dataclass
class Cell:
    """One train.py run of a sweep and where its evaluation goes (paths absolute)."""

    name: str                  # the run name, as train.py names it
    group: str                 # the summary it belongs to: <reports>/<group>
    train_args: list = field(default_factory=list)
    evaluate_args: list = field(default_factory=list)
    run_dir: str = ""
    report_dir: str = ""
    state_dir: str = ""
    cwd: str = "."
    cpus: int = 1

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def log(self) -> Path:
        return Path(self.state_dir) / "logs" / f"{self.name}.log"


def train_option_names() -> set[str]:
    """train.py's option names (argparse ``dest``), which a sweep's grid may vary."""
    from mer_keras.cli import train_parser

    return {action.dest for action in train_parser()._actions}


def _run_finished(cell: Cell) -> bool:
    config = Path(cell.run_dir) / "config.json"
    try:
        return config.is_file() and json.loads(config.read_text()).get("status") == "finished"
    except ValueError:
        return False


def cell_state(cell: Cell) -> str:
    """``done`` (trained and evaluated), ``evaluate`` (trained), ``resume`` (started) or ``new``."""
    if _run_finished(cell):
        report = Path(cell.report_dir)         # evaluate.py writes metrics.json, then report.md
        return "done" if (report / "metrics.json").is_file() and (report / "report.md").is_file() else "evaluate"
    return "resume" if Path(cell.run_dir).exists() else "new"


def _unnamed_options(argv: list[str]) -> dict | None:
    from mer_keras.cli import train_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            args = vars(train_parser().parse_args(argv))
    except SystemExit:
        return None
    return {name: args.get(name) for name in UNNAMED_OPTIONS}


def check_same_run(cell: Cell) -> None:
    """A run already under the cell's name must have been trained with the cell's options that run names
    leave out (``--epochs``, ``--limit``, ...): else it is not this cell's run, and the sweep refuses it."""
    config = Path(cell.run_dir) / "config.json"
    try:
        words = shlex.split(json.loads(config.read_text()).get("command") or "")[2:]     # after "python train.py"
    except (OSError, ValueError):
        return
    recorded, wanted = _unnamed_options(words), _unnamed_options(list(cell.train_args))
    if recorded is None or wanted is None:
        return
    differ = [f"--{name.replace('_', '-')} {recorded[name]} there, {wanted[name]} in the sweep"
              for name in UNNAMED_OPTIONS if recorded[name] != wanted[name]]
    if differ:
        raise RunError(f"sweep cell {cell.name}: {cell.run_dir} was trained with other options ({'; '.join(differ)}); "
                       "move that run away, or give the sweep file another `runs` folder")


def thread_env(cpus: int, base: dict | None = None) -> dict:
    """The environment of a cell's commands: BLAS/OpenMP pools, TensorFlow's intra-op pool and (one CPU)
    XLA's Eigen pool capped at ``cpus`` threads. Ray reserves CPUs but does not cap a process's threads."""
    env = dict(os.environ if base is None else base)
    env.update({name: str(cpus) for name in THREAD_VARIABLES}, MER_INTER_THREADS="1", PYTHONUNBUFFERED="1")
    if cpus == 1:       # XLA's CPU client sizes its pool to the machine; one thread is the cap it honours
        flags = env.get("XLA_FLAGS", "")
        if "xla_cpu_multi_thread_eigen" not in flags:
            env["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1".strip()
    return env


def journal(cell: Cell, step: str, **extra) -> None:
    """Append one line to the sweep's journal (``journal.jsonl``): time, cell, step and what came of it."""
    path = Path(cell.state_dir) / "journal.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"time": round(time.time(), 3), "cell": cell.name, "step": step, **extra})
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def die_with_parent() -> None:
    """First thing in a cell's command: SIGTERM when the sweep's process dies (a Ray worker ended), so train.py
    keeps its last epoch (Linux; elsewhere nothing). The child asks for it itself: a ``preexec_fn`` would make
    CPython run its at-fork callbacks in the sweep's process, and a Ctrl-C / SIGTERM arriving during one is
    dropped there ("Exception ignored in: <function _releaseLock>") and the sweep would run on. If the parent
    died before the request, the command ends at once."""
    parent = os.environ.get(PARENT_PID, "")
    if not sys.platform.startswith("linux") or not parent.isdigit():
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG
    except (OSError, AttributeError):       # pragma: no cover (no libc.so.6)
        return
    if os.getppid() != int(parent):
        os.kill(os.getpid(), signal.SIGTERM)


def _call(cell: Cell, code: str, argv: list[str], script: str) -> None:
    """Run ``script`` (train.py / evaluate.py) with ``argv`` for ``cell``; its output goes to the cell's log.
    A SIGINT/SIGTERM to the sweep is passed on (train.py then stops after its batch, keeping its last
    epoch) and raised again once the command has ended."""
    cell.log.parent.mkdir(parents=True, exist_ok=True)
    with open(cell.log, "a", encoding="utf-8") as log:
        log.write(f"\n$ python {script} {' '.join(argv)}\n")
        log.flush()
        env = thread_env(cell.cpus) | {PARENT_PID: str(os.getpid())}
        process = subprocess.Popen([sys.executable, "-c", code, *argv], cwd=cell.cwd, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)    # no preexec_fn: see die_with_parent
        try:
            status = process.wait()
        except KeyboardInterrupt as exc:
            process.send_signal(getattr(exc, "signum", signal.SIGINT))
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            raise
    if status:
        lines = [line for line in cell.log.read_text(errors="replace").splitlines() if line.strip()]
        raise RunError(f"sweep cell {cell.name}: {script} exited with status {status} ({lines[-1] if lines else 'no output'}); "
                       f"its output is in {cell.log}")


def run_cell(cell: Cell) -> str:
    """Bring one cell to ``done``; returns what it did: ``skipped``, ``evaluated``, ``trained`` or ``resumed``."""
    state = cell_state(cell)
    if state != "new":
        check_same_run(cell)
    if state == "done":
        journal(cell, "skip")
        return "skipped"
    done = "evaluated"
    if state in ("new", "resume"):
        argv = list(cell.train_args) + ["--out", cell.run_dir] + (["--resume"] if state == "resume" else [])
        if "--workers" not in argv:
            argv += ["--workers", str(cell.cpus)]
        journal(cell, "resume" if state == "resume" else "train", cpus=cell.cpus)
        try:
            _call(cell, TRAIN, argv, "train.py")
        except BaseException as exc:
            journal(cell, "stopped", reason=str(exc) or type(exc).__name__)
            raise
        if not _run_finished(cell):
            raise RunError(f"sweep cell {cell.name}: train.py ended without a finished run in {cell.run_dir}; "
                           f"see {cell.log}")
        done = "resumed" if state == "resume" else "trained"
    argv = [cell.run_dir, "--report-dir", cell.report_dir] + list(cell.evaluate_args)
    if "--cache" in cell.train_args and "--cache" not in argv:
        argv += ["--cache", cell.train_args[cell.train_args.index("--cache") + 1]]
    journal(cell, "evaluate")
    _call(cell, EVALUATE, argv, "evaluate.py")
    journal(cell, "done", did=done)
    return done
