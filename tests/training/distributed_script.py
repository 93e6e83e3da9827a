"""Run by tests/training/test_distribution.py in a subprocess (JAX reads XLA_FLAGS and the process variables
once, at start-up).

``fit OUT``: a tiny Dense model trained one epoch by the project's fit loop under ``data_parallel`` over the
visible devices (``XLA_FLAGS=--xla_force_host_platform_device_count=N``); writes OUT/weights.npz and
OUT/record.json. ``train OUT ARGS...``: train.py's work with ARGS (one of several processes); the process
copies its trained model.keras to OUT/model-<process>.keras before its scratch folder is removed.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np


def fit(out: Path) -> None:
    import keras

    from mer_keras.runs import RunDir
    from mer_keras.training.distribution import data_parallel, process_share
    from mer_keras.training.fit import fit_model

    keras.utils.set_random_seed(0)
    record = data_parallel(8)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    rng = np.random.default_rng(0)
    train = (rng.standard_normal((32, 5)).astype("float32"), rng.standard_normal((32, 2)).astype("float32"))
    validation = (rng.standard_normal((6, 5)).astype("float32"), rng.standard_normal((6, 2)).astype("float32"))
    run = RunDir(out / "run").create()
    (train, _), (validation, _) = process_share(train, record), process_share(validation, record)
    state = fit_model(model, train, validation, run, epochs=1, batch_size=8 // record["processes"], patience=5,
                      verbose=0)
    np.savez(out / "weights.npz", *model.get_weights())
    (out / "record.json").write_text(json.dumps(record | {"best": state["best"]}))


def train(out: Path, argv: list[str]) -> int:
    import jax

    from mer_keras.cli import train_main
    from mer_keras.training import train as training

    keras_train = training._train_keras

    def keeping_a_copy(request, prepared):
        run = keras_train(request, prepared)
        shutil.copy(run.model, out / f"model-{jax.process_index()}.keras")
        (out / f"run-{jax.process_index()}.txt").write_text(str(run.path))
        return run

    training._train_keras = keeping_a_copy
    return train_main(argv)


if __name__ == "__main__":
    mode, target = sys.argv[1], Path(sys.argv[2])
    target.mkdir(parents=True, exist_ok=True)
    if mode == "fit":
        fit(target)
    else:
        raise SystemExit(train(target, sys.argv[3:]))
