"""Where the CRNN's training time goes, by ablation: time a train step of growing prefixes of the model.

Each prefix (convolutions only; + Bi-LSTM 128; + Bi-LSTM 64 = the whole CRNN) gets a small head so it
can be trained, and its train-step time at batch 32 is measured in the same process. Differences between
consecutive prefixes attribute the time to each block (forward + backward + its share of the optimizer).
A separate line times the input side: a `fit` epoch over in-memory arrays against the same number of
`train_on_batch` calls. Run it on a quiet machine; it prints milliseconds per batch.

    python bench/profile_crnn.py [--steps 8] [--lstm projected|keras]
"""

from __future__ import annotations

import argparse
import time

import numpy as np



def _prefix_model(spec: dict, n_layers: int):
    import keras

    from mer_keras.models.compile import compile_from_spec
    from mer_keras.models.crnn import _layer

    inputs = keras.Input((spec["input"]["frames"], spec["input"]["features"]))
    outputs = inputs
    for index, config in enumerate(spec["layers"][:n_layers]):
        outputs = _layer(config, index, spec.get("lstm_implementation", "projected"))(outputs)
    if len(outputs.shape) == 3:
        outputs = keras.layers.GlobalAveragePooling1D()(outputs)
    if n_layers < len(spec["layers"]):
        outputs = keras.layers.Dense(2, activation="tanh")(outputs)
    model = keras.Model(inputs, outputs)
    compile_from_spec(model, spec["training"])
    return model


def _ms_per_batch(model, x, y, batch: int, steps: int) -> float:
    model.train_on_batch(x[:batch], y[:batch])
    model.train_on_batch(x[batch:2 * batch], y[batch:2 * batch])
    start = time.perf_counter()
    for step in range(steps):
        k = (step % (len(x) // batch)) * batch
        model.train_on_batch(x[k:k + batch], y[k:k + batch])
    return 1000 * (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lstm", choices=["projected", "keras"])
    args = parser.parse_args()

    from mer_keras.runtime import configure, versions
    from mer_keras.specs import load_spec

    configure(0)
    spec = load_spec("crnn")
    if args.lstm:
        spec["lstm_implementation"] = args.lstm
    rng = np.random.default_rng(0)
    n = args.batch * 4
    x = rng.standard_normal((n, spec["input"]["frames"], spec["input"]["features"]), dtype=np.float32)
    y = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    info = versions()
    print(f"Keras {info['keras']} ({info['backend']}), LSTM {spec['lstm_implementation']}, batch {args.batch}, "
          f"{args.steps} timed steps per prefix")
    blocks = [("3 x (Conv1D + MaxPool)", 6), ("+ Bi-LSTM 128", 7), ("+ Bi-LSTM 64 + dense head (whole CRNN)", len(spec["layers"]))]
    previous = 0.0
    for name, n_layers in blocks:
        ms = _ms_per_batch(_prefix_model(spec, n_layers), x, y, args.batch, args.steps)
        print(f"{name:42s} {ms:7.1f} ms/batch cumulative, {ms - previous:7.1f} ms for this block")
        previous = ms
    model = _prefix_model(spec, len(spec["layers"]))
    model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0, shuffle=True)
    fit_ms = 1000 * (time.perf_counter() - start) / (n // args.batch)
    print(f"fit() over in-memory arrays (shuffled): {fit_ms:.1f} ms/batch against train_on_batch {previous:.1f} "
          f"(difference = input pipeline + callbacks + a fresh epoch's set-up)")


if __name__ == "__main__":
    main()
