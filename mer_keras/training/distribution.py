"""``train.py --distribution data-parallel``: ``keras.distribution.DataParallel`` over the visible devices (JAX).

One process: the model's variables are replicated on every visible device and each global batch is split
across them (``XLA_FLAGS=--xla_force_host_platform_device_count=N`` makes N CPU devices; on one device it
is a no-op). Several processes (one per host or GPU): each is started with the variables Keras reads in
``keras.distribution.initialize`` (:data:`PROCESS_VARIABLES`), feeds its own share of every batch
(:func:`process_share`) and computes the same weights, loss and early-stopping decisions; only process 0
writes the run directory (the others work in a scratch copy, :func:`scratch_out`).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from mer_keras.errors import SpecError

DISTRIBUTIONS = ("none", "data-parallel")
# Read by keras.distribution.initialize (keras 3.15): the coordinator (process 0) host:port, or every
# process's address comma-separated; how many processes; this process's number, 0 .. N-1.
PROCESS_VARIABLES = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                     "KERAS_DISTRIBUTION_PROCESS_ID")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def process_count_requested() -> int:
    """The process count the environment asks for (``KERAS_DISTRIBUTION_NUM_PROCESSES``; 1 when unset)."""
    text = os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "1")
    try:
        return int(text)
    except ValueError:
        raise SpecError(f"KERAS_DISTRIBUTION_NUM_PROCESSES={text!r}: give the number of processes, e.g. 2") from None


def start_processes(kind: str) -> int:
    """For ``--distribution data-parallel`` with ``KERAS_DISTRIBUTION_NUM_PROCESSES`` > 1: join the other
    processes (``keras.distribution.initialize``; before any JAX computation). Returns this process's index
    (0 without several processes). Refuses any backend but JAX in one line."""
    if kind in (None, "none"):
        return 0
    if kind not in DISTRIBUTIONS:
        raise SpecError(f"--distribution {kind}: unknown; choose from {', '.join(DISTRIBUTIONS)}")
    import keras

    if keras.backend.backend() != "jax":
        raise SpecError(f"--distribution data-parallel needs the JAX backend (KERAS_BACKEND={keras.backend.backend()}): "
                        "unset KERAS_BACKEND or set it to jax")
    if process_count_requested() <= 1:
        return 0
    missing = [name for name in PROCESS_VARIABLES if not os.environ.get(name)]
    if missing:
        raise SpecError(f"several processes (KERAS_DISTRIBUTION_NUM_PROCESSES={process_count_requested()}) need "
                        f"{' and '.join(missing)} too: set the coordinator's host:port and this process's number")
    import jax

    if not jax.distributed.is_initialized():
        keras.distribution.initialize()
    return jax.process_index()


def data_parallel(batch_size: int) -> dict:
    """Set ``keras.distribution.DataParallel`` over every visible device (all processes') for the models
    built or loaded after it; returns the record for config.json. ``batch_size`` is the global batch: it
    must divide by the device count."""
    import jax
    import keras

    devices = jax.devices()
    record = {"kind": "data-parallel", "devices": len(devices), "device_kind": devices[0].device_kind,
              "processes": jax.process_count(), "process_id": jax.process_index(), "global_batch_size": batch_size}
    if batch_size % len(devices):
        raise SpecError(f"--distribution data-parallel: the global batch {batch_size} does not divide by the "
                        f"{len(devices)} devices; pass --batch-size a multiple of {len(devices)}")
    if len(devices) == 1:
        _log("data-parallel over 1 device: nothing to split, training as without --distribution (more CPU devices: "
             "XLA_FLAGS=--xla_force_host_platform_device_count=N)")
        return record
    distribution = keras.distribution.DataParallel(devices=devices)
    distribution.auto_shard_dataset = False     # each process feeds its own share (process_share)
    keras.distribution.set_distribution(distribution)
    _log(f"data-parallel over {len(devices)} {devices[0].device_kind} devices in {jax.process_count()} process(es): "
         f"{batch_size // len(devices)} items per device per batch of {batch_size}")
    return record


def process_share(arrays: tuple, record: dict) -> tuple[tuple, int]:
    """This process's share of a part's arrays (features, targets[, weights]) and the number of items repeated.

    Every batch must split evenly over the devices, the last (partial) one too: a part whose size does not
    divide by the device count is padded by repeating its first items (at most devices - 1 of them, so
    they count twice in that epoch). With several processes each takes every P-th item of the padded part,
    with a local batch of global batch / P."""
    devices, processes = record["devices"], record["processes"]
    count = len(arrays[0])
    padding = (-count) % devices if devices > 1 else 0
    if padding:
        arrays = tuple(np.concatenate([a, a[np.arange(padding) % count]]) for a in arrays)
    if processes > 1:
        arrays = tuple(a[record["process_id"]::processes] for a in arrays)
    return arrays, padding


def check_multi_process_plan(plan: dict, record: dict) -> None:
    """Several processes feed numpy shares through the plain fit loop only; refuse the rest in one line."""
    if record["processes"] <= 1:
        return
    extras = [name for name, on in (("monitor " + str(plan.get("monitor")), plan.get("monitor") != "val_loss"),
                                    ("augmentation", any((plan.get("augmentation") or {}).values())),
                                    ("average_best", (plan.get("average_best") or 1) > 1),
                                    ("class_weight", bool(plan.get("class_weight")))) if on]
    if extras:
        raise SpecError(f"--distribution data-parallel over several processes trains the plain fit loop only; this "
                        f"protocol uses {', '.join(extras)}: use --protocol documented, or one process (its devices "
                        "still split each batch)")


def scratch_out(out, resume: bool, process_id: int) -> str:
    """Process ``process_id`` > 0 works in a scratch folder (a copy of ``out`` with ``resume``, so it
    continues from process 0's last completed epoch); the caller removes it at the end."""
    import shutil
    import tempfile
    from pathlib import Path

    scratch = Path(tempfile.mkdtemp(prefix=f"mer-process{process_id}-")) / "run"
    if resume and out and Path(out).is_dir():
        shutil.copytree(out, scratch)
    return str(scratch)
