"""Log-mel extraction throughput, cold and cached: real 4Q clips and synthetic 30 s wav / mp3 (log-mels are computed
by threads of this process since issue 23; other kinds by worker processes)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from clips import real_4q as real_4q_paths
from clips import synthetic as synthetic_paths
from mer_keras.runtime import peak_rss_mib


from mer_keras.data.records import Item  # noqa: E402
from mer_keras.features.cache import FeatureCache  # noqa: E402
from mer_keras.features.extract import FeatureSpec, extract_features  # noqa: E402
from mer_keras.features.logmel import LogMelConfig  # noqa: E402


def real_4q(n: int) -> list[Item]:
    return [Item(f.stem, f.stem, f) for f in real_4q_paths(n)]


def synthetic(n: int, folder: Path, suffix: str, rate: int) -> list[Item]:
    """30 s mono noise-plus-tone clips (wav or mp3) at ``rate`` Hz."""
    return [Item(str(k), str(k), path) for k, path in enumerate(synthetic_paths(n, folder, suffix, rate))]


def measure(items: list[Item], workers: int | None, folder: Path) -> tuple[float, float]:
    spec = FeatureSpec("logmel", LogMelConfig.from_spec().to_dict())
    cache = FeatureCache(folder)
    start = time.perf_counter()
    extract_features(items, spec, cache, workers=workers)
    cold = len(items) / (time.perf_counter() - start)
    start = time.perf_counter()
    extract_features(items, spec, cache, workers=workers)
    return cold, len(items) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=120, help="clips per set")
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sets = [("4Q clips as stored here (Ogg Opus, decoded at 48 kHz)", real_4q(args.n)),
                ("synthetic 30 s wav, 22,050 Hz mono", synthetic(args.n, tmp, ".wav", 22050)),
                ("synthetic 30 s mp3, 44,100 Hz mono (resampled)", synthetic(args.n, tmp, ".mp3", 44100))]
        for index, (what, items) in enumerate(sets):
            if not items:
                print(f"{what}: not available, skipped")
                continue
            cold, cached = measure(items, args.workers, tmp / f"cache{index}")
            print(f"{what}: {len(items)} clips, cold {cold:.1f} clips/s (threads or worker processes started inside), cached {cached:.0f} clips/s")
    peak_self = peak_rss_mib()
    peak_child = peak_rss_mib(children=True)
    print(f"peak RSS: parent {peak_self:.0f} MiB, largest worker {peak_child:.0f} MiB")


if __name__ == "__main__":
    main()
