"""ViT / AST training throughput and peak memory at the spec's default size (1,292 x 128 log-mel).

Run on one core as a 4Q training run would beside another:
``taskset -c 0 env XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
python bench/transformers.py --model vit``. The CPU may be shared: timings are noisy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mer_keras.runtime import peak_rss_mib



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=("vit", "ast"), default="vit")
    parser.add_argument("--steps", type=int, default=5, help="timed batches")
    parser.add_argument("--batch", type=int, default=None, help="default: the spec's batch_size")
    parser.add_argument("--preset", default=None, help="a name under the spec's presets (default: model)")
    parser.add_argument("--train-clips", type=int, default=505, help="training clips per epoch (4Q: about 505)")
    parser.add_argument("--val-clips", type=int, default=55)
    args = parser.parse_args()

    from mer_keras.models.transformer_common import with_preset
    from mer_keras.models.registry import build_model  # noqa: F401  (imports keras after mer_keras)
    from mer_keras.runtime import configure, versions
    from mer_keras.specs import load_spec

    configure(0)
    spec = load_spec(args.model)
    if args.preset:
        spec = with_preset(spec, args.preset)
    if args.model == "vit":
        from mer_keras.models.vit import build_vit as build
    else:
        from mer_keras.models.ast import build_ast as build
    frames, features = spec["input"]["frames"], spec["input"]["features"]
    batch = args.batch or spec["training"]["batch_size"]
    start = time.perf_counter()
    model = build(frames, features, spec)
    build_seconds = time.perf_counter() - start
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, frames, features), dtype=np.float32)
    y = rng.uniform(-1, 1, (batch, 2)).astype(np.float32)
    start = time.perf_counter()
    model.train_on_batch(x, y)   # compile / warm-up
    compile_seconds = time.perf_counter() - start
    model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = model.train_on_batch(x, y)
    train_rate = args.steps * batch / (time.perf_counter() - start)
    model.predict(x, batch_size=batch, verbose=0)
    start = time.perf_counter()
    model.predict(x, batch_size=batch, verbose=0)
    predict_rate = batch / (time.perf_counter() - start)
    epoch = args.train_clips / train_rate + args.val_clips / predict_rate
    epochs = spec["training"]["epochs"]
    peak = peak_rss_mib() / 1024
    info = versions()
    print(f"setup: Keras {info['keras']} ({info['backend']}), {args.model} {args.preset or 'default'}, "
          f"input {frames} x {features}, batch {batch}, fp32")
    print(f"parameters: {model.count_params():,}; build {build_seconds:.1f} s, first step {compile_seconds:.1f} s; "
          f"loss {float(np.asarray(loss).ravel()[0]):.3f}")
    print(f"training throughput: {train_rate:.1f} samples/s ({args.steps} batches); inference {predict_rate:.1f} "
          "samples/s")
    print(f"one 4Q epoch ({args.train_clips} + {args.val_clips} clips): {epoch:.0f} s; "
          f"{epochs} epochs: {epochs * epoch / 60:.1f} min")
    print(f"peak RSS: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
