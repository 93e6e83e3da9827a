"""CRNN training throughput at the spec shape and peak memory of a DEAM-sized mel training set."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from mer_keras.runtime import peak_rss_mib



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=1395, help="training items (DEAM: 1,395)")
    parser.add_argument("--steps", type=int, default=20, help="timed batches")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    from mer_keras.features.cache import FeatureCache
    from mer_keras.models.crnn import build_crnn
    from mer_keras.runtime import configure, versions

    configure(0)
    rng = np.random.default_rng(0)
    frames, mels = 1292, 128
    with tempfile.TemporaryDirectory() as tmp:
        cache = FeatureCache(Path(tmp))
        for k in range(args.samples):   # a DEAM-sized cache of log-mels
            cache.put("logmel", str(k), {"features": rng.standard_normal((frames, mels), dtype=np.float32),
                                         "padded": np.array(False)})
        start = time.perf_counter()
        features = np.empty((args.samples, frames, mels), np.float32)
        for k in range(args.samples):
            features[k] = cache.get("logmel", str(k))["features"]
        load_seconds = time.perf_counter() - start
    targets = rng.uniform(-1, 1, (args.samples, 2)).astype(np.float32)
    model = build_crnn()
    batch = args.batch_size
    model.train_on_batch(features[:batch], targets[:batch])   # compile / warm-up
    model.train_on_batch(features[batch:2 * batch], targets[batch:2 * batch])
    start = time.perf_counter()
    for step in range(args.steps):
        k = (step * batch) % (args.samples - batch)
        model.train_on_batch(features[k:k + batch], targets[k:k + batch])
    seconds = time.perf_counter() - start
    throughput = args.steps * batch / seconds
    epoch_seconds = args.samples / throughput
    peak = peak_rss_mib()
    info = versions()
    print(f"setup: Keras {info['keras']} ({info['backend']}), threads {info.get('tf_threads')}, batch {batch}, fp32")
    print(f"training throughput at 1,292 x 128: {throughput:.1f} samples/s ({args.steps} batches)")
    print(f"one epoch of {args.samples} items: {epoch_seconds:.0f} s; 50 epochs: {50 * epoch_seconds / 60:.0f} min")
    print(f"loading {args.samples} cached log-mels into memory: {load_seconds:.1f} s "
          f"({100 * load_seconds / (50 * epoch_seconds):.1f}% of a 50-epoch run; features are then fed from memory)")
    print(f"features in memory: {features.nbytes / 2**30:.2f} GiB; peak RSS of this process: {peak / 1024:.2f} GiB")


if __name__ == "__main__":
    main()
