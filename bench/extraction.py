"""Log-mel extraction throughput, cold and cached, on real 4Q clips (or synthetic 30 s wavs)."""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mer_keras.data.records import Item  # noqa: E402
from mer_keras.features.cache import FeatureCache  # noqa: E402
from mer_keras.features.extract import FeatureSpec, extract_features  # noqa: E402
from mer_keras.features.logmel import LogMelConfig  # noqa: E402


def clips(n: int, folder: Path) -> tuple[list[Item], str]:
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "4q"
    if shared.is_dir():
        files = sorted(shared.glob("Q*/*.*"))[:n]
        files = [f for f in files if f.suffix != ".csv"]
        return [Item(f.stem, f.stem, f) for f in files], "4Q clips (Opus, 48 kHz decode, resampled to 22,050 Hz)"
    import numpy as np
    import soundfile as sf

    items = []
    for k in range(n):
        path = folder / f"c{k}.wav"
        sf.write(path, np.random.default_rng(k).standard_normal(30 * 22050).astype("float32") * 0.1, 22050)
        items.append(Item(str(k), str(k), path))
    return items, "synthetic 30 s 22,050 Hz mono wav"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=120)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    spec = FeatureSpec("logmel", LogMelConfig.from_spec().to_dict())
    with tempfile.TemporaryDirectory() as tmp:
        items, what = clips(args.n, Path(tmp))
        cache = FeatureCache(Path(tmp) / "cache")
        start = time.perf_counter()
        extract_features(items, spec, cache, workers=args.workers)
        cold = len(items) / (time.perf_counter() - start)
        start = time.perf_counter()
        extract_features(items, spec, cache, workers=args.workers)
        cached = len(items) / (time.perf_counter() - start)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"data: {len(items)} {what}")
    print(f"cold: {cold:.1f} clips/s (includes worker start-up); cached: {cached:.1f} clips/s")
    print(f"peak RSS: parent {peak_self:.0f} MiB, largest worker {peak_child:.0f} MiB")


if __name__ == "__main__":
    main()
