"""predict.py on real 30 s clips with the released model: files/s and time to the first result.

Both figures are the command a practitioner types, timed from outside as a subprocess on a cold
feature cache (decode, features and model included; the musicnn weights are converted once per
machine beforehand and that time is printed apart):

- first result: ``python predict.py ONE_CLIP`` from process start to its row on stdout;
- throughput: ``python predict.py FOLDER --csv OUT`` over N clips, files/s over the whole command
  (start-up included) and over the part after the first file's start-up (total minus the single-file
  time: the steady rate of a long list).

Real 4Q clips (``../shared/data/4q``, Ogg Opus, 30 s) when present, else synthetic 30 s wav.
Printed, not asserted. Targets (issue 20): >= 10 files/s, first result within 3 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from clips import clips as shared_clips
from machine import cpu_summary

ROOT = Path(__file__).resolve().parents[1]


def clips(n: int, folder: Path) -> tuple[str, list[Path]]:
    """``n`` audio files linked (or written) into ``folder`` (predict.py reads the folder), and what they are."""
    what, files = shared_clips(n, folder)
    folder.mkdir(parents=True, exist_ok=True)
    links = []
    for file in files:
        if file.parent != folder:
            (folder / file.name).symlink_to(file)
        links.append(folder / file.name)
    return what, links


def timed(args: list[str]) -> tuple[float, str]:
    """Wall seconds of ``python predict.py ARGS`` and its stdout; exits on failure."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "predict.py"), *args], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"predict.py {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="clips for the throughput figure (default 100)")
    parser.add_argument("--run", default=None, help="run directory (default: the released model)")
    args = parser.parse_args()
    run = ["--run", args.run] if args.run else []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        what, files = clips(args.n, tmp / "clips")
        # once per machine: the musicnn weights converted into $MER_CACHE (not part of either figure)
        warm, _ = timed([*run, "--cache", str(tmp / "warm-cache"), str(files[0])])
        first, out = timed([*run, "--cache", str(tmp / "cache-one"), str(files[1])])
        total, _ = timed([*run, "--cache", str(tmp / "cache-all"), "--csv", str(tmp / "out.csv"), str(tmp / "clips")])
        with open(tmp / "out.csv") as handle:
            rows = len(list(csv.DictReader(handle)))
    steady = (rows - 1) / max(total - first, 1e-9)
    print(cpu_summary())
    print(f"{what}, model {args.run or 'released/default'}; first call on this machine {warm:.1f} s")
    print(f"first result (one clip, cold cache, process start to row): {first:.1f} s (target <= 3 s)")
    print(f"{rows} clips in one command: {total:.1f} s = {rows / total:.2f} files/s end to end; "
          f"{steady:.2f} files/s after start-up (target >= 10)")


if __name__ == "__main__":
    main()
