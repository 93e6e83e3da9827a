"""Feature extraction for a list of items: cached, parallel, with progress and listed skips."""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mer_keras.data.records import Item
from mer_keras.errors import DataError, MerError
from mer_keras.features.cache import FeatureCache
from mer_keras.interrupts import ignore_sigint, workers_ignore_sigint


# Kinds read from files the cache key does not cover (embeddings: the .npy beside the audio's key): never cached.
UNCACHED = ("embeddings",)
# Kinds computed from another kind's (cached) features in the calling process: kind -> its base kind.
# The baselines' openSMILE summary of audio reuses the frame sequence the Keras models read.
DERIVED = {"opensmile_audio_summary": "opensmile_audio"}


@dataclass(frozen=True)
class FeatureSpec:
    """What to extract: ``kind`` in {"logmel", "handcrafted", "opensmile", "opensmile_summary", "opensmile_audio",
    "opensmile_audio_summary", "waveform", "embeddings", "egemaps", "musicnn", "musicnn_mel"} and its parameters (all
    part of the cache key).

    ``opensmile`` / ``opensmile_summary``: DEAM's own openSMILE files, as rows or per-song mean/sd;
    ``opensmile_audio`` / ``opensmile_audio_summary``: the same layout computed from audio;
    ``egemaps``: openSMILE's 88 eGeMAPS v02 functionals of a speech clip, one row per clip;
    ``musicnn``: the pretrained musicnn's clip embedding (mean and sd of its 200-d patch embeddings), one row;
    ``musicnn_mel``: musicnn's own log-mel of the whole window (frames, 96), the input of ``--model musicnn``."""

    kind: str
    params: dict

    def compute(self, path: Path) -> tuple[np.ndarray, float]:
        """Features of one file and the seconds of padding it needed."""
        if self.kind == "logmel":
            from mer_keras.features.logmel import LogMelConfig, logmel_from_file

            return logmel_from_file(path, LogMelConfig(**self.params))
        if self.kind == "handcrafted":
            from mer_keras.features.handcrafted import handcrafted_from_file

            return handcrafted_from_file(path, **self.params)
        if self.kind == "waveform":
            from mer_keras.features.waveform import WaveformConfig, waveform_from_file

            return waveform_from_file(path, WaveformConfig(**self.params))
        if self.kind == "embeddings":
            from mer_keras.features.embeddings import read_embeddings

            return read_embeddings(path, **self.params)
        if self.kind in ("opensmile", "opensmile_summary"):
            from mer_keras.features.opensmile import read_opensmile, summarise_opensmile

            frames, padding = read_opensmile(path, **self.params)
            return (summarise_opensmile(frames), padding) if self.kind == "opensmile_summary" else (frames, padding)
        if self.kind in ("opensmile_audio", "opensmile_audio_summary"):
            from mer_keras.features.opensmile import opensmile_from_file, summarise_opensmile

            frames, padding = opensmile_from_file(path, **self.params)
            return (summarise_opensmile(frames), padding) if self.kind == "opensmile_audio_summary" else (frames, padding)
        if self.kind == "musicnn":
            from mer_keras.features.musicnn_mel import musicnn_from_file

            return musicnn_from_file(path, **self.params)
        if self.kind == "musicnn_mel":
            from mer_keras.features.musicnn_mel import musicnn_mel_from_file

            return musicnn_mel_from_file(path, **self.params)
        if self.kind == "egemaps":
            from mer_keras.features.opensmile import egemaps_from_file

            params = {key: value for key, value in self.params.items() if key != "opensmile"}  # version: cache key only
            return egemaps_from_file(path, **params)
        raise MerError(f"unknown feature kind {self.kind!r}")


@dataclass
class FeatureSet:
    """Features of the items that could be read, in item order.

    ``features``: shape (n_items, frames, n_features), float32. ``skipped``: (item_id, reason)
    for every item that failed; ``padded``: item id -> seconds of padding, for clips shorter than the window.
    """

    item_ids: list[str]
    features: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)
    padded: dict[str, float] = field(default_factory=dict)


def _limit_threads() -> None:
    # Two worker processes scale only with one BLAS/OpenMP thread each (see shared notes).
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _start_worker() -> None:
    """A worker process: one BLAS/OpenMP thread, and Ctrl-C left to the parent (which ends the workers)."""
    ignore_sigint()
    _limit_threads()


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now (an interrupt or an error): queued clips are dropped, the running ones
    stopped, and every worker waited for, so none is left behind."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(10)


def _compute_in_workers(spec: FeatureSpec, todo: list[Item], paths: list[str], workers: int, store) -> None:
    """``store(item, output)`` for each item, computed by ``workers`` spawned processes in item order.

    On SIGINT/SIGTERM (:mod:`mer_keras.interrupts`) or any error the workers are ended at once; a
    terminal's Ctrl-C, which reaches every process of the group, is the parent's alone to handle.
    """
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)
    try:
        with workers_ignore_sigint():       # the workers start during map(), as its chunks are submitted
            outputs = pool.map(_compute, [spec] * len(todo), paths, chunksize=4)
        for item, output in zip(todo, outputs):
            store(item, output)
    except BaseException:
        _end_workers(pool)
        raise
    pool.shutdown()


# Kinds whose computation runs outside the GIL (libsndfile decoding, soxr resampling, numpy's FFT and BLAS):
# threads of the calling process compute them, with no worker processes to start (issue 23: worker start-up
# was a large part of a cold extraction). Other kinds (openSMILE's C++ behind its Python wrapper, the
# handcrafted features' Python-level loops) keep worker processes.
THREADED = ("logmel", "musicnn_mel", "waveform")


def _compute_in_threads(spec: FeatureSpec, todo: list[Item], paths: list[str], workers: int, place, save) -> None:
    """Compute each item in one of ``workers`` threads of this process, which also writes it to the cache
    (``save(item, output)``, returning ``output``); ``place(item, output)`` runs here, in the calling thread, as
    each one finishes (any order). Threaded kinds use no numba, so no item needs to run alone first.

    One BLAS/OpenMP thread each, as in the worker processes. On SIGINT/SIGTERM or any error the queued clips
    are dropped and the clips being computed (one per thread, a fraction of a second) are waited for.
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed
    from threadpoolctl import threadpool_limits

    def task(item: Item, path: str):
        return save(item, _compute(spec, path))

    pool = ThreadPoolExecutor(workers, thread_name_prefix="features")
    try:
        with threadpool_limits(1):
            futures = {pool.submit(task, item, path): item for item, path in zip(todo, paths)}
            for future in as_completed(futures):
                place(futures[future], future.result())
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()


def _compute(spec: FeatureSpec, path: str):
    try:
        features, padding = spec.compute(Path(path))
        return features, float(padding), None
    except DataError as exc:
        return None, 0.0, str(exc)


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="clip", file=sys.stderr, disable=total < 2, mininterval=1.0)


def extract_features(items: list[Item], spec: FeatureSpec, cache: FeatureCache | None = None,
                     workers: int | None = None, desc: str = "features", require_any: bool = True) -> FeatureSet:
    """Extract (or read from cache) the features of ``items``; bad files are skipped and listed.

    Raises
    ------
    DataError
        When no item could be read at all (unless ``require_any`` is False).
    """
    cache = cache or FeatureCache()
    if spec.kind in DERIVED:
        return _derived(items, spec, cache, workers, desc, require_any)
    keys, results = {}, {}
    rows = _Rows(items)
    for item in items:
        if item.path is None or not Path(item.path).is_file():
            results[item.item_id] = (None, 0.0, f"input file not found: {item.path}")
            continue
        keys[item.item_id] = FeatureCache.key(item.path, spec.kind, spec.params)
        if spec.kind in UNCACHED:
            continue
        cached = cache.get(spec.kind, keys[item.item_id])
        if cached is not None:
            results[item.item_id] = rows.place(item.item_id, (cached["features"], float(cached["padding_seconds"]), None))
    todo = [item for item in items if item.item_id not in results]
    workers = workers or min(os.cpu_count() or 1, 8)
    if todo:
        if spec.kind in THREADED:
            from mer_keras.memory import keep_freed_memory

            keep_freed_memory()      # each clip's large temporaries are reused, not faulted in afresh
        cached = sum(1 for item_id in keys if item_id in results)
        print(f"extracting {spec.kind} for {len(todo)} of {len(items)} items "
              f"({cached} cached) with {workers} worker(s)", file=sys.stderr)
        bar = _progress(len(todo), desc)
        paths = [str(item.path) for item in todo]

        def save(item: Item, output):
            # Cached as soon as it is computed: an interrupted extraction keeps every finished clip.
            features, padding, error = output
            if error is None and spec.kind not in UNCACHED:
                cache.put(spec.kind, keys[item.item_id], {"features": features, "padding_seconds": np.array(padding)})
            return output

        def place(item: Item, output) -> None:
            results[item.item_id] = rows.place(item.item_id, output)
            bar.update()

        def store(item: Item, output) -> None:
            place(item, save(item, output))

        try:
            if workers > 1 and len(todo) > 1 and spec.kind in THREADED:
                _compute_in_threads(spec, todo, paths, workers, place, save)       # the threads save, here we place
            elif workers > 1 and len(todo) > 1:
                # The first item runs here so that librosa's numba functions are compiled and cached
                # once before the workers start: concurrent first compiles can corrupt numba's cache
                # and crash (librosa issue 1998, numba issue 10128).
                store(todo[0], _compute(spec, paths[0]))
                _compute_in_workers(spec, todo[1:], paths[1:], workers, store)
            else:
                for item, path in zip(todo, paths):
                    store(item, _compute(spec, path))
        finally:
            bar.close()             # an interrupted bar still ends its line

    good = [item.item_id for item in items if results[item.item_id][2] is None]
    skipped = [(item.item_id, results[item.item_id][2]) for item in items if results[item.item_id][2] is not None]
    for item_id, reason in skipped:
        print(f"skipped {item_id}: {reason}", file=sys.stderr)
    if not good and not require_any:
        return FeatureSet(item_ids=[], features=np.empty((0, 0, 0), np.float32), skipped=skipped)
    if not good:
        raise DataError(f"none of the {len(items)} items could be read; first error: {skipped[0][1] if skipped else 'none'}")
    padded = {item_id: round(results[item_id][1], 3) for item_id in good if results[item_id][1] > 0}
    stacked = rows.stacked(good)
    return FeatureSet(item_ids=good, features=stacked, skipped=skipped, padded=padded)


class _Rows:
    """The output array, filled as each clip's features arrive (item order), so that the copy into it overlaps
    the computation of the next clips instead of following all of them; each clip's own array is then freed."""

    def __init__(self, items: list[Item]):
        self.index = {item.item_id: row for row, item in enumerate(items)}
        self.array = None

    def place(self, item_id: str, output):
        features, padding, error = output
        if error is not None:
            return output
        if self.array is None:
            self.array = np.empty((len(self.index), *features.shape), dtype=np.float32)
        if features.shape != self.array.shape[1:]:
            raise DataError(f"item {item_id}: features of shape {features.shape}, expected {self.array.shape[1:]} "
                            "like the others")
        self.array[self.index[item_id]] = features
        return None, padding, None

    def stacked(self, good: list[str]) -> np.ndarray:
        """The rows of ``good`` (the items that could be read), in item order."""
        if len(good) == len(self.index):
            return self.array
        return self.array[[self.index[item_id] for item_id in good]]


def _derived(items: list[Item], spec: FeatureSpec, cache: FeatureCache, workers: int | None, desc: str,
             require_any: bool) -> FeatureSet:
    """A :data:`DERIVED` kind: its base kind's features (extracted and cached as usual), summarised here."""
    from mer_keras.features.opensmile import summarise_opensmile

    base = extract_features(items, FeatureSpec(DERIVED[spec.kind], spec.params), cache=cache, workers=workers,
                            desc=desc, require_any=require_any)
    if not base.item_ids:
        return base
    summaries = np.stack([summarise_opensmile(frames) for frames in base.features])
    return FeatureSet(item_ids=base.item_ids, features=summaries, skipped=base.skipped, padded=base.padded)
