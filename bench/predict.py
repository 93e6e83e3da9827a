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

from machine import cpu_summary

ROOT = Path(__file__).resolve().parents[1]


def clips(n: int, folder: Path) -> tuple[str, list[Path]]:
    """``n`` audio files linked (or written) into ``folder``, and what they are."""
    shared = ROOT.parent / "shared" / "data" / "4q"
    files = sorted(shared.glob("Q*/*.opus"))[:n] if shared.is_dir() else []
    folder.mkdir(parents=True, exist_ok=True)
    if len(files) == n:
        links = []
        for file in files:
            (folder / file.name).symlink_to(file)
            links.append(folder / file.name)
        return "4Q clips (Ogg Opus, 30 s)", links
    import soundfile as sf

    written = []
    for k in range(n):
        t = np.arange(30 * 22050) / 22050
        signal = 0.2 * np.sin(2 * np.pi * (200 + 10 * k) * t)
        sf.write(folder / f"c{k}.wav", signal.astype("float32"), 22050)
        written.append(folder / f"c{k}.wav")
    return "synthetic 30 s wav, 22,050 Hz", written


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
