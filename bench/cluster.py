"""Issue 21, point 6: one worker against two on this machine, for sharded extraction and for a 10-cell sweep.

Printed, not asserted.

- Extraction: ``N`` real 4Q clips (``../shared/data/4q``, the log-mel train.py reads for the CRNN) into an empty
  feature cache each time, through :func:`mer_keras.features.sharded.extract_items` (what
  ``python -m mer_keras.features extract`` runs): local engine with 1 and 2 workers, and Ray Data with 2
  workers when Ray is installed. librosa is imported and its numba functions compiled before timing (one
  clip outside the set); starting the worker processes / Ray actors is inside the timing, Ray's own start
  is printed apart.
- Sweep: ``python -m mer_keras.sweep`` over ridge on a tiny synthetic 4Q folder (16 songs of 2 s, 10 seeds =
  10 cells of train.py + evaluate.py), with the local engine (one cell after another) and with Ray, 2 trials
  of 1 CPU at a time. Wall time of the whole command each.

    python bench/cluster.py [--clips 40] [--cells 10] [--skip-sweep] [--skip-extraction]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from machine import cpu_summary

REPO = Path(__file__).resolve().parents[1]
FOURQ = REPO.parent / "shared" / "data" / "4q"


def fourq_clips(n: int):
    """The first ``n + 1`` 4Q items by id (the extra one warms up) and train.py's log-mel spec for them."""
    from mer_keras.data.registry import load_dataset, resolve_data
    from mer_keras.features.for_dataset import feature_spec

    dataset = load_dataset(resolve_data("4q", str(FOURQ), "quadrant", "mel"))
    items = sorted(dataset.items, key=lambda item: item.item_id)[:n + 1]
    return items, feature_spec(dataset, "mel", "keras")


def extraction_rate(items, spec, engine: str, workers: int, folder: Path) -> tuple[float, int]:
    """Clips per second extracting ``items`` into the empty cache ``folder``, and the workers that took part."""
    from mer_keras.features.cache import FeatureCache
    from mer_keras.features.sharded import extract_items

    started = time.perf_counter()
    result = extract_items(items, spec, FeatureCache(folder), engine=engine, workers=workers, desc=f"{engine} x{workers}")
    seconds = time.perf_counter() - started
    if result.failed:
        print(f"  {len(result.failed)} failed: {sorted(result.failed)[:3]}", file=sys.stderr)
    return result.extracted / seconds, result.workers_used


def bench_extraction(n: int) -> list[tuple[str, float]]:
    """The three extraction rows: (label, clips/s)."""
    from mer_keras.features.sharded import extract_items, ray_data_available
    from mer_keras.features.cache import FeatureCache

    if not FOURQ.is_dir():
        print(f"no 4Q clips at {FOURQ}: extraction skipped")
        return []
    items, spec = fourq_clips(n)
    warm, items = items[-1], items[:-1]
    with tempfile.TemporaryDirectory() as tmp:
        extract_items([warm], spec, FeatureCache(Path(tmp) / "warm"), workers=1, desc="warm-up")
        rows = []
        for workers in (1, 2):
            rate, _ = extraction_rate(items, spec, "local", workers, Path(tmp) / f"local{workers}")
            rows.append((f"local, {workers} worker(s)", rate))
        if ray_data_available():
            rows.append(_ray_row(items, spec, Path(tmp) / "ray"))
        else:
            print("ray is not installed (pip install -r requirements-cluster.txt): Ray Data row skipped")
    return rows


def _ray_row(items, spec, folder: Path) -> tuple[str, float]:
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    start_seconds = time.perf_counter() - started
    try:
        rate, used = extraction_rate(items, spec, "ray", 2, folder)
    finally:
        ray.shutdown()
    return f"Ray Data, 2 workers ({used} extracted; ray.init {start_seconds:.1f} s not counted)", rate


# --- sweep ------------------------------------------------------------------------------------------------


def write_tiny_4q(data: Path, songs: int = 16, seconds: float = 2.0, rate: int = 22050) -> None:
    """A 4Q folder of synthetic tone-plus-noise clips, 2 songs per artist, the quadrants in turn."""
    import soundfile as sf

    rows, meta = ["Song,Quadrant"], ['"Song","Artist","Title","Quadrant","MoodsFoundStr"']
    t = np.arange(int(seconds * rate)) / rate
    for k in range(songs):
        song, quadrant = f"T{k}", f"Q{k % 4 + 1}"
        clip = 0.3 * np.sin(2 * np.pi * (200 + 40 * k) * t) + 0.05 * np.random.default_rng(k).standard_normal(t.size)
        (data / quadrant).mkdir(parents=True, exist_ok=True)
        sf.write(data / quadrant / f"{song}.wav", clip.astype("float32"), rate)
        rows.append(f"{song},{quadrant}")
        meta.append(f'"{song}","Artist{k // 2}","Title {k}","{quadrant}","calm"')
    (data / "panda_dataset_taffc_annotations.csv").write_text("\n".join(rows) + "\n")
    (data / "panda_dataset_taffc_metadata.csv").write_text("\r\n".join(meta) + "\r\n", encoding="latin-1")


def write_sweep(path: Path, cells: int) -> None:
    path.write_text(f"description: bench, ridge on a tiny synthetic 4Q folder, {cells} seeds\n"
                    f"grid:\n  model: [ridge]\n  seed: [{', '.join(str(seed) for seed in range(cells))}]\n"
                    "args: [--dataset, 4q, --data, data/4q, --target, quadrant]\n"
                    "evaluate_args: [--resamples, 20]\nruns: runs\nreports: reports\ncpus_per_trial: 1\n")


def sweep_seconds(engine: str, cells: int) -> tuple[float, int]:
    """Wall seconds of the whole sweep command in a fresh folder (its own data and cache), and its exit status."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_tiny_4q(root / "data" / "4q")
        write_sweep(root / "bench-sweep.yaml", cells)
        command = [sys.executable, "-m", "mer_keras.sweep", "bench-sweep.yaml", "--engine", engine]
        command += ["--num-cpus", "2"] if engine == "ray" else []
        env = dict(os.environ, MER_CACHE=str(root / "cache"))
        started = time.perf_counter()
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode:
            print(f"  {engine}: exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return seconds, done.returncode


def bench_sweep(cells: int) -> list[tuple[str, float, int]]:
    from mer_keras.sweep.engines import ray_available

    rows = [(f"local engine, {cells} cells one after another", *sweep_seconds("local", cells))]
    if ray_available():
        rows.append((f"Ray Tune, {cells} cells, 2 trials of 1 CPU at a time", *sweep_seconds("ray", cells)))
    else:
        print("ray is not installed (pip install -r requirements-cluster.txt): Ray sweep row skipped")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=40, help="real 4Q clips to extract (default 40)")
    parser.add_argument("--cells", type=int, default=10, help="sweep cells (seeds; default 10)")
    parser.add_argument("--skip-extraction", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args()
    print(f"machine: {cpu_summary()}; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.skip_extraction:
        print(f"\nextraction of {args.clips} 4Q clips (log-mel, cold cache)\n\n| engine | clips/s |\n|---|---|")
        for label, rate in bench_extraction(args.clips):
            print(f"| {label} | {rate:.2f} |")
    if not args.skip_sweep:
        print(f"\nsweep of {args.cells} tiny ridge cells\n\n| engine | wall s | exit |\n|---|---|---|")
        for label, seconds, status in bench_sweep(args.cells):
            print(f"| {label} | {seconds:.0f} | {status} |")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
