"""The project's Keras CRNN against a plain PyTorch module of the same layers, on the same CPU.

Each framework trains on identical random inputs at the spec shape (1,292 frames x 128 mels, batch 32,
fp32, Adam 1e-3, MSE) in its own process; processes alternate ``--repeats`` times so that drift in the
machine's speed hits both. Prints samples/s of each run, the medians, the median of the pairwise ratios
(Keras / PyTorch) and each process's peak RSS.

PyTorch is a bench-only dependency (``pip install torch==2.13.0``); nothing in mer_keras imports it.
Keras settings are taken from the environment of each Keras process, e.g.
``--keras-env KERAS_BACKEND=tensorflow`` (the project default is JAX), ``MER_INTRA_THREADS=1 MER_INTER_THREADS=1``,
``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false``, ``BENCH_LSTM=keras`` (stock LSTM instead of ProjectedLSTM),
``BENCH_POOL=keras`` (stock MaxPooling1D instead of BlockMaxPooling1D),
``BENCH_JIT=1`` (XLA on TensorFlow) or ``BENCH_PRECISION=mixed_bfloat16``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from mer_keras.runtime import peak_rss_mib

FRAMES, MELS, BATCH = 1292, 128, 32


def _data(steps: int, batch: int):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps * batch, FRAMES, MELS), dtype=np.float32)
    y = rng.uniform(-1, 1, (steps * batch, 2)).astype(np.float32)
    return x, y


def run_keras(steps: int, warmup: int, batch: int) -> dict:
    from mer_keras.models.crnn import build_crnn
    from mer_keras.runtime import configure

    from mer_keras.specs import load_spec

    spec = load_spec("crnn")
    spec["lstm_implementation"] = os.environ.get("BENCH_LSTM", spec.get("lstm_implementation", "projected"))
    spec["pool_implementation"] = os.environ.get("BENCH_POOL", spec.get("pool_implementation", "block"))
    precision = os.environ.get("BENCH_PRECISION", "float32")
    configure(0, precision)
    import keras

    x, y = _data(steps, batch)
    model = build_crnn(spec=spec)
    jit = os.environ.get("BENCH_JIT")
    if jit:   # XLA on TensorFlow (JAX always compiles with XLA)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=[], jit_compile=jit == "1")
    # One fit call of two epochs; the second epoch is timed. (A fresh fit call pays set-up costs that
    # halve the measured speed over a dozen batches; train.py runs one fit call for all epochs.)
    starts = []
    timer = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: starts.append(time.perf_counter()),
                                           on_epoch_end=lambda epoch, logs: starts.append(time.perf_counter()))
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0, shuffle=False, callbacks=[timer])
    seconds = starts[3] - starts[2]
    label = f"keras-{keras.backend.backend()} lstm={spec['lstm_implementation']} pool={spec['pool_implementation']} {precision}" + (f" jit={jit}" if jit else "")
    return {"framework": label, "samples_per_s": steps * batch / seconds,
            "parameters": int(model.count_params())}


class _TorchCRNN:
    """Built lazily so that importing this file needs no torch."""

    @staticmethod
    def build():
        import torch
        from torch import nn

        class CRNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Sequential(
                    nn.Conv1d(MELS, 32, 3), nn.ReLU(), nn.MaxPool1d(2),
                    nn.Conv1d(32, 64, 3), nn.ReLU(), nn.MaxPool1d(2),
                    nn.Conv1d(64, 128, 3), nn.ReLU(), nn.MaxPool1d(2))
                self.lstm1 = nn.LSTM(128, 128, batch_first=True, bidirectional=True)
                self.lstm2 = nn.LSTM(256, 64, batch_first=True, bidirectional=True)
                self.head = nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 2), nn.Tanh())

            def forward(self, x):                      # x: (batch, frames, mels), as the Keras model takes it
                x = self.conv(x.transpose(1, 2)).transpose(1, 2)
                x, _ = self.lstm1(x)
                _, (hidden, _) = self.lstm2(x)
                return self.head(torch.cat([hidden[-2], hidden[-1]], dim=1))

        return CRNN()


def run_torch(steps: int, warmup: int, batch: int) -> dict:
    import torch

    torch.manual_seed(0)
    x, y = _data(steps, batch)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = _TorchCRNN.build()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()

    def step(k):
        optimizer.zero_grad()
        loss = loss_fn(model(x[k * batch:(k + 1) * batch]), y[k * batch:(k + 1) * batch])
        loss.backward()
        optimizer.step()

    model.train()
    for k in range(warmup):
        step(k)
    start = time.perf_counter()
    for k in range(steps):
        step(k)
    seconds = time.perf_counter() - start
    return {"framework": f"torch-{torch.__version__}", "samples_per_s": steps * batch / seconds,
            "parameters": sum(p.numel() for p in model.parameters()), "threads": torch.get_num_threads()}


def worker(kind: str, steps: int, warmup: int, batch: int) -> None:
    result = (run_keras if kind == "keras" else run_torch)(steps, warmup, batch)
    result["peak_rss_gib"] = peak_rss_mib() / 1024
    print("RESULT " + json.dumps(result), flush=True)


def _spawn(kind: str, args, env_pairs: list[str]) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.update(pair.split("=", 1) for pair in env_pairs)
    command = [sys.executable, __file__, "--worker", kind, "--steps", str(args.steps), "--warmup", str(args.warmup),
               "--batch", str(args.batch)]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in output.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise SystemExit(f"{kind} worker failed:\n{output.stderr[-3000:]}")
    return json.loads(lines[-1][7:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", choices=["keras", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=12, help="timed batches per process")
    parser.add_argument("--warmup", type=int, default=3, help="PyTorch: untimed batches first; Keras: an untimed first epoch")
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--repeats", type=int, default=3, help="alternating keras/torch pairs")
    parser.add_argument("--keras-env", nargs="*", default=[], help="NAME=VALUE settings for the Keras processes")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.steps, args.warmup, args.batch)
        return
    keras_runs, torch_runs = [], []
    for repeat in range(args.repeats):
        keras_runs.append(_spawn("keras", args, args.keras_env))
        torch_runs.append(_spawn("torch", args, []))
        print(f"pair {repeat + 1}: {keras_runs[-1]['framework']} {keras_runs[-1]['samples_per_s']:.1f} samples/s "
              f"({keras_runs[-1]['peak_rss_gib']:.2f} GiB), {torch_runs[-1]['framework']} "
              f"{torch_runs[-1]['samples_per_s']:.1f} samples/s ({torch_runs[-1]['peak_rss_gib']:.2f} GiB)", flush=True)
    ratios = [k["samples_per_s"] / t["samples_per_s"] for k, t in zip(keras_runs, torch_runs)]
    print(f"keras settings: {' '.join(args.keras_env) or '(defaults)'}; batch {args.batch}, {keras_runs[0]['framework'].split()[-1]}, {args.steps} timed batches")
    print(f"median samples/s: keras {statistics.median(r['samples_per_s'] for r in keras_runs):.1f}, "
          f"torch {statistics.median(r['samples_per_s'] for r in torch_runs):.1f}; median ratio keras/torch "
          f"{statistics.median(ratios):.2f} (pairs: {', '.join(f'{r:.2f}' for r in ratios)})")
    print(f"peak RSS (max over runs): keras {max(r['peak_rss_gib'] for r in keras_runs):.2f} GiB, "
          f"torch {max(r['peak_rss_gib'] for r in torch_runs):.2f} GiB; parameters keras "
          f"{keras_runs[0]['parameters']:,}, torch {torch_runs[0]['parameters']:,} (PyTorch LSTMs carry two bias vectors)")


if __name__ == "__main__":
    main()
