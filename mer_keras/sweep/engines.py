"""Where the cells run: one after another in this process's machine (``local``), or as Ray Tune trials.

Ray: each cell is one trial of a plain function trainable (Ray Train's Keras/JAX integrations do not fit
Keras 3), reserving the cell's CPUs; the trial runs the same :func:`mer_keras.sweep.cells.run_cell` as the
local engine, so the thread caps, the skip/resume rules and the journal are the same. ``address`` joins a
running cluster (``ray start --head`` / ``ray start --address``); without it a local one starts. The cells'
paths must be the same on every node (a shared filesystem) and the package installed there.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from mer_keras.errors import MerError
from mer_keras.sweep.cells import Cell, cell_state, run_cell


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_local(cells: list[Cell]) -> dict[str, str]:
    """Run the cells one after another; a failed cell is reported and the others still run. Returns each
    cell's outcome (``skipped``, ``trained``, ``resumed``, ``evaluated`` or ``failed: <reason>``)."""
    outcomes = {}
    for index, cell in enumerate(cells, 1):
        started = time.time()
        try:
            outcomes[cell.name] = run_cell(cell)
        except MerError as exc:
            outcomes[cell.name] = f"failed: {exc}"
        _log(f"[{index}/{len(cells)}] {cell.name}: {outcomes[cell.name]} ({time.time() - started:.0f} s)")
    return outcomes


def ray_available() -> bool:
    try:
        import ray.tune  # noqa: F401
    except ImportError:
        return False
    return True


def _trial(config: dict) -> None:
    """The Ray Tune function trainable: one cell."""
    from ray import tune

    tune.report({"did": run_cell(Cell(**config["cell"]))})


def _trial_name(trial) -> str:
    return trial.config["cell"]["name"]


def run_ray(cells: list[Cell], address: str | None = None, num_cpus: int | None = None, retries: int = 0) -> dict[str, str]:
    """Run the cells that are not done as Ray Tune trials (``cpus`` CPUs each); a Ray already initialised in
    this process (``ray.init(num_cpus=2)`` in a test) is used as it is. Returns each cell's outcome."""
    import ray
    from ray import tune

    outcomes = {}
    for cell in cells:
        if cell_state(cell) == "done":          # checked and journalled here, no trial
            try:
                outcomes[cell.name] = run_cell(cell)
            except MerError as exc:
                outcomes[cell.name] = f"failed: {exc}"
    todo = [cell for cell in cells if cell.name not in outcomes]
    if not todo:
        return outcomes
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        available = ray.cluster_resources().get("CPU", 0)
        cpus = max(cell.cpus for cell in todo)
        if cpus > available:
            raise MerError(f"each cell reserves {cpus} CPUs but the Ray cluster has {available:g}: lower "
                           "cpus_per_trial in the sweep file (or --cpus-per-trial), or add workers")
        _log(f"Ray: {len(todo)} trial(s) of {cpus} CPU(s) on a cluster of {available:g} CPUs")
        tuner = tune.Tuner(
            tune.with_resources(_trial, {"cpu": cpus}),
            param_space={"cell": tune.grid_search([cell.to_dict() for cell in todo])},
            tune_config=tune.TuneConfig(reuse_actors=False, trial_name_creator=_trial_name,
                                        trial_dirname_creator=_trial_name),
            run_config=tune.RunConfig(name=f"tune-{time.strftime('%Y%m%d-%H%M%S')}",
                                      storage_path=str(Path(todo[0].state_dir).resolve() / "ray"),
                                      failure_config=tune.FailureConfig(max_failures=retries), verbose=0))
        for result in tuner.fit():
            name = result.config["cell"]["name"]
            outcomes[name] = (result.metrics or {}).get("did") or f"failed: {_reason(result.error)}"
            _log(f"{name}: {outcomes[name]}")
    finally:
        if started_here:
            ray.shutdown()
    return outcomes


def _reason(error) -> str:
    """A trial's error as one line (Ray wraps the cell's own one-line error)."""
    lines = [line for line in str(error or "no result").splitlines() if line.strip()]
    found = [line for line in lines if "sweep cell" in line]
    return (found or lines or ["no result"])[-1].strip()
