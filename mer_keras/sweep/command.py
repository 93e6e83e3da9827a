"""``python -m mer_keras.sweep specs/sweeps/NAME.yaml [--address ADDR] [--engine {ray,local}] [--dry-run]``.

Runs every cell of the sweep that is not done (:mod:`mer_keras.sweep.cells`), on Ray when it imports (or
``--engine ray``), else one after another, then writes each complete group's summary. Running it again
reruns nothing that finished and continues what was interrupted. Exit status: 0 when every cell is done,
1 when a cell failed (the others still ran and their groups are summarised), 2 for a bad sweep file,
130 / 143 when interrupted (Ctrl-C / SIGTERM; run the same command again to continue).
"""

from __future__ import annotations

import argparse
import shlex
import sys

from mer_keras.errors import MerError, exit_status


def sweep_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mer_keras.sweep",
                                     description="Run a grid of train.py + evaluate.py cells, then the summaries.")
    parser.add_argument("spec", help="sweep file, e.g. specs/sweeps/crnn-4q-va-tuned.yaml (format: mer_keras/sweep/spec.py)")
    parser.add_argument("--engine", choices=["ray", "local"],
                        help="ray: cells as Ray Tune trials (default when ray is installed); local: one after another")
    parser.add_argument("--address", help="join a running Ray cluster (e.g. 10.0.0.1:6379, or auto); default: start "
                                          "a local one")
    parser.add_argument("--num-cpus", type=int, help="CPUs of the local Ray cluster started here (default: all)")
    parser.add_argument("--cpus-per-trial", type=int, help="CPUs (and threads) per cell; overrides the sweep file's "
                                                           "cpus_per_trial (default: all CPUs of this machine)")
    parser.add_argument("--dry-run", action="store_true", help="list the cells, their state and commands; run nothing")
    parser.add_argument("--cell", type=int, metavar="K", help="run only cell K (0-based, the --dry-run order; e.g. "
                                                              "$SLURM_ARRAY_TASK_ID) and no summary: a last run "
                                                              "without --cell writes the summaries")
    return parser


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _sweep(argv: list[str]) -> int:
    args = sweep_parser().parse_args(argv)
    from mer_keras.sweep.cells import cell_state
    from mer_keras.sweep.engines import ray_available, run_local, run_ray
    from mer_keras.sweep.spec import expand, load_sweep
    from mer_keras.sweep.summaries import groups_of, summarise_groups

    sweep = load_sweep(args.spec)
    cells = expand(sweep, args.cpus_per_trial)
    engine = args.engine or ("ray" if ray_available() else "local")
    if engine == "ray" and not ray_available():
        raise MerError("--engine ray: ray is not installed; pip install -r requirements-cluster.txt, or pass --engine local")
    if args.address and engine != "ray":
        raise MerError("--address joins a Ray cluster: drop --engine local (and install requirements-cluster.txt)")
    states = {cell.name: cell_state(cell) for cell in cells}
    groups = groups_of(cells)
    _log(f"sweep {sweep.name}: {len(cells)} cells in {len(groups)} group(s), "
         f"{sum(state == 'done' for state in states.values())} done already; engine {engine}, "
         f"{cells[0].cpus} CPU(s) per cell; journal {sweep.state_dir / 'journal.jsonl'}")
    if args.dry_run:
        for index, cell in enumerate(cells):
            print(f"{index}\t{states[cell.name]}\t{cell.name}\t{cell.group}\tpython train.py "
                  f"{' '.join(map(shlex.quote, cell.train_args))} --out {shlex.quote(cell.run_dir)}")
        return 0
    if args.cell is not None:
        if not 0 <= args.cell < len(cells):
            raise MerError(f"--cell {args.cell}: the sweep has cells 0 to {len(cells) - 1} (see --dry-run)")
        outcomes = run_local([cells[args.cell]])
        return 1 if outcomes[cells[args.cell].name].startswith("failed") else 0
    if engine == "ray":
        outcomes = run_ray(cells, address=args.address, num_cpus=args.num_cpus, retries=sweep.retries)
    else:
        outcomes = run_local(cells)
    command = " ".join(["python -m mer_keras.sweep", *map(shlex.quote, argv)])
    for group, outcome in summarise_groups(cells, command).items():
        _log(f"summary {group}: {outcome}" + (f" ({sweep.reports / group})" if outcome == "written" else ""))
    failed = {name: outcome for name, outcome in outcomes.items() if outcome.startswith("failed")}
    for name, outcome in failed.items():
        _log(f"{name}: {outcome}")
    if failed:
        _log(f"{len(failed)} of {len(cells)} cells failed; fix them and run the same command again (finished cells "
             "are not rerun)")
    return 1 if failed else 0


def main(argv=None) -> int:
    """Entry point: project errors as one ``error:`` line (status 2); Ctrl-C / SIGTERM as one line (130 / 143)."""
    from mer_keras.interrupts import run_command

    argv = sys.argv[1:] if argv is None else list(argv)
    return run_command(lambda: exit_status(_sweep, argv), "the finished cells stay finished and the interrupted one "
                       "keeps its completed epochs: run the same command again to continue")
