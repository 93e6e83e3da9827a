"""Training-step time and memory of the two speech models, interleaved so that machine load hits both alike.

python bench/speech_step.py [--rounds 5] [--batch 32]
Prints seconds per training batch (median over rounds) for cnn_lstm (401 x 64 log-mel) and
attn_crnn (64,000 x 1 waveform), on random inputs of the real shapes. Printed, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import mer_keras  # noqa: F401  (sets the Keras backend)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3, help="training batches per round and model")
    args = parser.parse_args()
    import keras

    from mer_keras.models.registry import build_model, model_spec

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    setups = {}
    for name, shape in (("cnn_lstm", (401, 64)), ("attn_crnn", (64000, 1))):
        model = build_model(name, *shape, model_spec(name))
        x = rng.standard_normal((args.batch * args.steps, *shape)).astype("float32")
        y = rng.integers(0, 6, len(x))
        model.fit(x[: args.batch], y[: args.batch], batch_size=args.batch, epochs=1, verbose=0)   # compile
        setups[name] = (model, x, y, [])
    for _ in range(args.rounds):
        for name, (model, x, y, times) in setups.items():
            start = time.perf_counter()
            model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0, shuffle=False)
            times.append((time.perf_counter() - start) / args.steps)
    print(f"backend {keras.backend.backend()}, batch {args.batch}, {args.rounds} interleaved rounds of {args.steps} batches")
    for name, (model, _, _, times) in setups.items():
        print(f"{name}: {model.count_params():,} parameters; {statistics.median(times):.2f} s per training batch "
              f"(median; min {min(times):.2f}, max {max(times):.2f})")


if __name__ == "__main__":
    main()
