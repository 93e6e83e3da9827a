"""Early stopping ends with the best epoch's weights, not the last epoch's (issue 26).

A one-weight linear model learns y = 2x on the training data while the validation data says
y = -2x: every epoch moves the weight towards 2 and makes the validation loss worse, so the best
epoch is the first and the last is the worst.
"""

import csv

import keras
import numpy as np
import pytest

from mer_keras.training.fit import fit_model


def make_run_dir(path):
    """A run directory object (its module is moving from training/run_dir.py to runs.py)."""
    try:
        from mer_keras.runs import RunDir
    except ImportError:
        from mer_keras.training.run_dir import RunDir
    run = RunDir(path)
    if hasattr(run, "create"):
        run.create()
    else:
        path.mkdir(parents=True, exist_ok=True)
    return run


def _data():
    rng = np.random.default_rng(0)
    x_train, x_val = rng.standard_normal((32, 1)).astype("float32"), rng.standard_normal((16, 1)).astype("float32")
    return (x_train, 2 * x_train), (x_val, -2 * x_val)


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.02), loss="mse")
    return model


def _history(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_final_weights_are_the_best_epochs(tmp_path):
    train, validation = _data()
    model = _model()
    run = make_run_dir(tmp_path / "run")
    state = fit_model(model, train, validation, run, epochs=4, batch_size=8, patience=10, verbose=0)

    rows = _history(tmp_path / "run" / "history.csv")
    val_losses = [float(row["val_loss"]) for row in rows]
    assert len(val_losses) == 4, "patience 10 > 4 epochs: all epochs run"
    assert val_losses == sorted(val_losses) and val_losses[-1] > 1.2 * val_losses[0], \
        f"the set-up should make every epoch worse on validation: {val_losses}"
    best = int(np.argmin(val_losses))
    assert best == 0 and state["best_epoch"] == best

    # The model left by fit_model scores the best epoch's validation loss, not the last epoch's.
    final = float(model.evaluate(*validation, batch_size=16, verbose=0))
    assert final == pytest.approx(val_losses[best], rel=1e-4), f"final val loss {final}; history {val_losses}"
    assert final < val_losses[-1] / 1.2

    # ... and holds the saved best weights.
    best_model = _model()
    best_model.load_weights(tmp_path / "run" / "best.weights.h5")
    np.testing.assert_allclose(model.get_weights()[0], best_model.get_weights()[0], rtol=0, atol=0)
    assert abs(float(model.get_weights()[0].ravel()[0])) > 0   # it did learn something in the best epoch


def test_best_in_the_middle_is_restored(tmp_path):
    """The validation optimum lies between the first and the last epoch: the weight passes it on its way."""
    rng = np.random.default_rng(1)
    x_train = rng.standard_normal((32, 1)).astype("float32")
    x_val = rng.standard_normal((16, 1)).astype("float32")
    # training pulls the weight towards 2; validation is best at weight 0.9: passed on the way
    train, validation = (x_train, 2 * x_train), (x_val, 0.9 * x_val)
    model = _model()
    run = make_run_dir(tmp_path / "run")
    state = fit_model(model, train, validation, run, epochs=8, batch_size=8, patience=20, verbose=0)
    val_losses = [float(row["val_loss"]) for row in _history(tmp_path / "run" / "history.csv")]
    best = int(np.argmin(val_losses))
    assert 0 < best < len(val_losses) - 1 and val_losses[-1] > 2 * val_losses[best], val_losses
    assert state["best_epoch"] == best
    final = float(model.evaluate(*validation, batch_size=16, verbose=0))
    assert final == pytest.approx(val_losses[best], rel=1e-4), f"final val loss {final}; history {val_losses}"
