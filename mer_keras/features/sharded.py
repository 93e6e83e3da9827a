"""Extraction at scale (issue 21, point 3): fill the feature cache for one shard of a dataset's items,
in local worker processes or through Ray Data, and survey what the cache still lacks.

Shard ``I/N`` sorts the items by id and takes every N-th from the I-th (``items[I::N]``), so N shards cover
every item exactly once whichever machine runs them. The entries are the ones train.py and evaluate.py read:
the caller passes the :class:`FeatureSpec` of :func:`mer_keras.features.for_dataset.feature_spec`, and an
entry holds what :func:`mer_keras.features.extract.extract_features` stores. :meth:`FeatureCache.put` writes
a temporary file and renames it (``os.replace``), so shards writing to one shared cache at once are safe.

A file that cannot be read is recorded as ``<cache>/failures/<kind>/<key>.txt`` (item id, path, reason;
removed once it is extracted), so that :func:`survey` tells failed files from files never tried.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mer_keras.data.records import Item
from mer_keras.errors import DataError, MerError
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import (DERIVED, UNCACHED, FeatureSpec, _compute, _compute_in_workers,
                                        _limit_threads, _progress)

ENGINES = ("local", "ray")
FAILURES = "failures"       # <cache>/failures/<kind>/<key>.txt: files whose extraction failed
RAY_BATCH = 4               # clips per Ray Data batch: small, so that the workers share the clips evenly
INSTALL_RAY = "pip install -r requirements-cluster.txt (Ray), or pass --engine local"


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0-based: ``$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT``)."""

    index: int = 0
    count: int = 1

    def select(self, items: list[Item]) -> list[Item]:
        """This shard's items: sorted by id, every ``count``-th from the ``index``-th."""
        return sorted(items, key=lambda item: item.item_id)[self.index::self.count]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str | None) -> Shard:
    """``"I/N"`` -> :class:`Shard` (``None``: the whole dataset, ``0/1``).

    Raises
    ------
    DataError
        When ``text`` is not two whole numbers ``I/N`` with ``0 <= I < N``.
    """
    if text is None:
        return Shard()
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise DataError(f"--shard {text!r}: expected I/N, two whole numbers with 0 <= I < N, e.g. --shard 0/4 "
                        "(under Slurm: --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT with --array=0-(N-1))")
    index, count = int(match[1]), int(match[2])
    if count < 1 or index >= count:
        raise DataError(f"--shard {text}: shard I of N counts from 0, so I must be 0 to N-1 (N >= 1); "
                        f"got I = {index}, N = {count}")
    return Shard(index, count)


def cached_spec(spec: FeatureSpec) -> FeatureSpec:
    """The spec whose entries the cache holds for ``spec``: a derived kind's base kind (its summary is
    computed when a run reads it).

    Raises
    ------
    DataError
        For kinds that are never cached (precomputed embeddings are read from their own files).
    """
    if spec.kind in UNCACHED:
        raise DataError(f"--features {spec.kind} are read from their precomputed .npy files and never cached: "
                        "there is nothing to extract")
    return FeatureSpec(DERIVED[spec.kind], spec.params) if spec.kind in DERIVED else spec


# --- what the cache holds ---------------------------------------------------------------------------------


@dataclass
class Failure:
    """An item whose features could not be made; ``key`` is None when its input file is gone."""

    item: Item
    key: str | None
    reason: str


@dataclass
class Survey:
    """Where each item of a list stands in the cache for one kind."""

    kind: str
    total: int
    cached: list[Item] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    missing: list[tuple[Item, str]] = field(default_factory=list)      # (item, cache key): never extracted


def failure_file(cache: FeatureCache, kind: str, key: str) -> Path:
    """Where the failure of ``key``'s extraction is recorded."""
    return cache.root / FAILURES / kind / f"{key}.txt"


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def store_outcome(cache: FeatureCache, kind: str, key: str, item_id: str, path: str, output) -> str | None:
    """Cache one clip's ``(features, padding, error)`` as :func:`extract_features` does, or record its
    failure; returns the error (None when cached)."""
    features, padding, error = output
    record = failure_file(cache, kind, key)
    if error is None:
        cache.put(kind, key, {"features": features, "padding_seconds": np.array(padding)})
        record.unlink(missing_ok=True)
    else:
        _write_atomic(record, f"{item_id}\t{path}\t{' '.join(str(error).split())}\n")
    return error


def _recorded_failure(cache: FeatureCache, kind: str, key: str) -> str | None:
    record = failure_file(cache, kind, key)
    if not record.is_file():
        return None
    return record.read_text(encoding="utf-8").rstrip("\n").split("\t", 2)[-1]


def survey(items: list[Item], spec: FeatureSpec, cache: FeatureCache) -> Survey:
    """Sort ``items`` into cached, failed (recorded failure, or input file gone) and missing (never tried)
    for ``spec``'s cached kind. An unreadable entry counts as missing (the cache drops it)."""
    spec = cached_spec(spec)
    found = Survey(spec.kind, len(items))
    for item in items:
        if item.path is None or not Path(item.path).is_file():
            found.failed.append(Failure(item, None, f"input file not found: {item.path}"))
            continue
        key = FeatureCache.key(item.path, spec.kind, spec.params)
        if cache.get(spec.kind, key) is not None:
            found.cached.append(item)
        elif (reason := _recorded_failure(cache, spec.kind, key)) is not None:
            found.failed.append(Failure(item, key, reason))
        else:
            found.missing.append((item, key))
    return found


# --- extraction -------------------------------------------------------------------------------------------


@dataclass
class ShardResult:
    """What one extraction pass did: items cached before, extracted now, and the failures (by item id)."""

    kind: str
    total: int
    cached_before: int
    extracted: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    workers_used: int = 0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def extract_items(items: list[Item], spec: FeatureSpec, cache: FeatureCache, engine: str = "local",
                  workers: int | None = None, address: str | None = None, desc: str = "features") -> ShardResult:
    """Cache ``spec``'s features for every item not cached yet (failed files are tried again).

    Parameters
    ----------
    items : the items to cover (one shard's).
    spec : as train.py builds it (:func:`mer_keras.features.for_dataset.feature_spec`).
    engine : ``"local"`` (worker processes on this machine) or ``"ray"`` (Ray Data, one extractor per worker).
    workers : processes (local) or Ray workers (ray); default: the CPU count, at most 8.
    address : Ray only: a running cluster to join (default: the Ray of this process, else a local one).

    Returns
    -------
    ShardResult
        Counts, and the failures of this pass; nothing is held in memory beyond one clip per worker.
    """
    if engine not in ENGINES:
        raise MerError(f"unknown engine {engine!r}; choose from {ENGINES}")
    spec = cached_spec(spec)
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers < 1:
        raise DataError(f"--workers {workers}: give at least 1")
    before = survey(items, spec, cache)
    result = ShardResult(spec.kind, len(items), len(before.cached))
    result.failed = {failure.item.item_id: failure.reason for failure in before.failed if failure.key is None}
    todo = before.missing + [(failure.item, failure.key) for failure in before.failed if failure.key is not None]
    if not todo:
        return result
    _log(f"extracting {spec.kind} for {len(todo)} of {len(items)} items ({len(before.cached)} cached) "
         f"with {workers} {'Ray worker' if engine == 'ray' else 'worker'}(s)")
    started = time.perf_counter()
    run = _run_ray if engine == "ray" else _run_local
    errors, result.workers_used = run(spec, todo, cache, workers, desc, address)
    result.seconds = time.perf_counter() - started
    result.failed |= {item_id: error for item_id, error in errors.items() if error is not None}
    result.extracted = sum(error is None for error in errors.values())
    return result


def _store_first(spec: FeatureSpec, todo: list[tuple[Item, str]], cache: FeatureCache, errors: dict, bar) -> None:
    """Extract the first clip in this process before any worker starts: librosa's numba functions are then
    compiled and cached once (concurrent first compiles can corrupt numba's cache; see extract.py)."""
    item, key = todo[0]
    errors[item.item_id] = store_outcome(cache, spec.kind, key, item.item_id, str(item.path),
                                         _compute(spec, str(item.path)))
    bar.update()


def _run_local(spec: FeatureSpec, todo: list[tuple[Item, str]], cache: FeatureCache, workers: int, desc: str,
               address: str | None = None) -> tuple[dict[str, str | None], int]:
    """Compute in this process (one worker) or in ``workers`` spawned processes; this process writes the
    cache as each clip arrives. Returns (item id -> error or None, workers used)."""
    keys = {item.item_id: key for item, key in todo}
    errors: dict[str, str | None] = {}
    bar = _progress(len(todo), desc)

    def store(item: Item, output) -> None:
        errors[item.item_id] = store_outcome(cache, spec.kind, keys[item.item_id], item.item_id, str(item.path), output)
        bar.update()

    try:
        if workers > 1 and len(todo) > 1:
            _store_first(spec, todo, cache, errors, bar)
            rest = [item for item, _ in todo[1:]]
            _compute_in_workers(spec, rest, [str(item.path) for item in rest], workers, store)
        else:
            for item, _ in todo:
                store(item, _compute(spec, str(item.path)))
    finally:
        bar.close()
    return errors, min(workers, len(todo))


class RayExtractor:
    """A Ray Data callable class: one instance per Ray worker (not per file), which computes each clip of its
    batches and writes the shared cache itself (so no feature array travels back to the driver)."""

    def __init__(self, spec: FeatureSpec, cache_root: str):
        _limit_threads()
        self.spec, self.cache = spec, FeatureCache(Path(cache_root))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        errors = [store_outcome(self.cache, self.spec.kind, str(key), str(item_id), str(path),
                                _compute(self.spec, str(path))) or ""
                  for item_id, path, key in zip(batch["item_id"], batch["path"], batch["key"])]
        return {"item_id": batch["item_id"], "error": np.array(errors, dtype=object),
                "worker": np.full(len(errors), os.getpid())}


def ray_data_available() -> bool:
    """Whether Ray Data imports (``requirements-cluster.txt``)."""
    try:
        import ray.data  # noqa: F401
    except ImportError:
        return False
    return True


def _run_ray(spec: FeatureSpec, todo: list[tuple[Item, str]], cache: FeatureCache, workers: int, desc: str,
             address: str | None = None) -> tuple[dict[str, str | None], int]:
    """``ray.data.from_items(...).map_batches(RayExtractor, compute=ActorPoolStrategy(size=workers))``: a pool
    of ``workers`` extractors, each writing the cache. A Ray already initialised in this process is used as it
    is; otherwise one is started (``address``: join a running cluster) and shut down at the end. Paths and the
    cache must be the same on every node (a shared filesystem). Returns (item id -> error or None, workers
    that extracted)."""
    if not ray_data_available():
        raise MerError(f"--engine ray: Ray Data is not installed; {INSTALL_RAY}")
    import ray

    errors: dict[str, str | None] = {}
    bar = _progress(len(todo), desc)
    started_here = not ray.is_initialized()
    try:
        _store_first(spec, todo, cache, errors, bar)
        if len(todo) == 1:
            return errors, 1
        if started_here:
            ray.init(address=address, num_cpus=None if address else workers, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        _check_ray_cpus(ray, workers)
        pids = set()
        for row in _ray_dataset(ray, spec, todo[1:], cache, workers).iter_rows():
            errors[str(row["item_id"])] = str(row["error"]) or None
            pids.add(int(row["worker"]))
            bar.update()
    finally:
        bar.close()
        if started_here and ray.is_initialized():
            ray.shutdown()
    return errors, len(pids)


def _check_ray_cpus(ray, workers: int) -> None:
    available = ray.cluster_resources().get("CPU", 0)
    if workers > available:
        raise MerError(f"--workers {workers}: each Ray extractor reserves 1 CPU but the Ray cluster has "
                       f"{available:g}; lower --workers or add nodes")


def _ray_dataset(ray, spec: FeatureSpec, todo: list[tuple[Item, str]], cache: FeatureCache, workers: int):
    """The lazy Ray Data pipeline over ``todo`` (absolute paths: the workers may run elsewhere)."""
    import logging

    logging.getLogger("ray.data").setLevel(logging.ERROR)                # its per-dataset INFO lines
    ray.data.DataContext.get_current().enable_progress_bars = False      # the one bar is this process's
    rows = [{"item_id": item.item_id, "path": str(Path(item.path).resolve()), "key": key} for item, key in todo]
    return ray.data.from_items(rows, override_num_blocks=min(len(rows), 4 * workers)).map_batches(
        RayExtractor, fn_constructor_kwargs={"spec": spec, "cache_root": str(cache.root.resolve())},
        compute=ray.data.ActorPoolStrategy(size=workers), batch_size=RAY_BATCH, num_cpus=1)
