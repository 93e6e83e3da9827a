"""musicnn clip-embedding extraction (``--features musicnn``) for 30 s clips: clips/s cold and cached.

Cold: an empty feature cache (decode, 16 kHz log-mel, ten 3 s patches through the network, mean / sd);
the model itself is loaded (and its weights converted) once before timing, and that time is printed
apart. Cached: the same clips again, read from the feature cache. Real 4Q clips (../shared/data/4q)
when present, else synthetic 30 s wav. Needs ``pip install --no-deps musicnn==0.1.0``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from clips import clips as shared_clips
from mer_keras.data.records import Item
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import FeatureSpec, extract_features
from mer_keras.features.musicnn_mel import musicnn_outputs, musicnn_params
from mer_keras.runtime import peak_rss_mib


def clips(n: int, folder: Path) -> tuple[str, list[Item]]:
    what, files = shared_clips(n, folder)
    return what, [Item(f.stem, f.stem, f) for f in files]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20, help="clips (default 20)")
    parser.add_argument("--workers", type=int, default=1, help="extraction processes (default 1: XLA uses every core)")
    args = parser.parse_args()
    spec = FeatureSpec("musicnn", musicnn_params())
    start = time.perf_counter()
    musicnn_outputs(np.zeros((10, 187, 96), np.float32))            # load, convert once, compile for 10 patches
    print(f"model load + first call: {time.perf_counter() - start:.1f} s (once per process)")
    with tempfile.TemporaryDirectory() as tmp:
        what, items = clips(args.n, Path(tmp))
        cache = FeatureCache(Path(tmp) / "cache")
        seconds = []
        for _ in ("cold", "cached"):
            start = time.perf_counter()
            extract_features(items, spec, cache, workers=args.workers)
            seconds.append(time.perf_counter() - start)
    print(f"{what}: {len(items)} clips, {args.workers} worker(s): cold {len(items) / seconds[0]:.1f} clips/s, "
          f"cached {len(items) / seconds[1]:.0f} clips/s; peak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
