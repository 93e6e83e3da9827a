"""One fit loop for every Keras model: early stopping, resumable checkpoints, history.csv."""

from __future__ import annotations

import json
import math
import sys
import time

import numpy as np

from mer_keras.runs import RunDir


def _callback_base():
    import keras

    return keras.callbacks.Callback


class ResumableEarlyStopping(_callback_base()):
    """Early stopping whose whole state survives an interruption.

    After each epoch: append the epoch's logs to ``history.csv``; save the best weights when
    ``monitor`` improves; save the full model with optimizer state (``last.keras``) and the
    stopping state (``state.json``). At the end the best weights are restored.
    """

    def __init__(self, run: RunDir, monitor: str = "val_loss", patience: int = 10, state: dict | None = None):
        super().__init__()
        self.run, self.monitor, self.patience = run, monitor, patience
        self.state = state or {"epoch": -1, "best": math.inf, "best_epoch": -1, "wait": 0, "stopped": False}

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        value = float(logs.get(self.monitor, math.nan))
        if value < self.state["best"]:
            self.state.update(best=value, best_epoch=epoch, wait=0)
            self.model.save_weights(self.run.best_weights)
        else:
            self.state["wait"] += 1
        names = sorted(logs)
        self.run.append_history(["epoch", *names, "seconds"],
                                [epoch, *[f"{float(logs[n]):.6g}" for n in names], f"{time.time() - self._start:.2f}"])
        self.state["epoch"] = epoch
        if self.state["wait"] >= self.patience:
            self.state["stopped"] = True
            self.model.stop_training = True
        self.model.save(self.run.last_model)
        self.run.write_json(self.run.state, self.state)
        print(f"epoch {epoch + 1}: {self.monitor} {value:.4f} (best {self.state['best']:.4f} at epoch "
              f"{self.state['best_epoch'] + 1}, patience {self.state['wait']}/{self.patience})", file=sys.stderr)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.time()

    def on_train_end(self, logs=None):
        if self.run.best_weights.is_file():
            self.model.load_weights(self.run.best_weights)


def load_resume_state(run: RunDir):
    """Return (model, state) of an interrupted run, or (None, None) if it has no checkpoint."""
    import keras

    if not (run.state.is_file() and run.last_model.is_file()):
        return None, None
    state = json.loads(run.state.read_text())
    from mer_keras.models.registry import register_custom_layers

    register_custom_layers()
    model = keras.models.load_model(run.last_model)
    run.truncate_history(state["epoch"])
    return model, state


def fit_model(model, train: tuple[np.ndarray, np.ndarray], validation: tuple[np.ndarray, np.ndarray],
              run: RunDir, epochs: int, batch_size: int, patience: int, monitor: str = "val_loss",
              state: dict | None = None, verbose: int = 2) -> dict:
    """Fit ``model`` with resumable early stopping; returns the final stopping state.

    ``state`` (from :func:`load_resume_state`) continues from the epoch after the last completed one.
    """
    callback = ResumableEarlyStopping(run, monitor=monitor, patience=patience, state=state)
    initial_epoch = callback.state["epoch"] + 1
    if callback.state.get("stopped") or initial_epoch >= epochs:
        print(f"run already finished at epoch {initial_epoch}; restoring its best weights", file=sys.stderr)
        callback.set_model(model)
        callback.on_train_end()
        return callback.state
    if initial_epoch:
        print(f"resuming at epoch {initial_epoch + 1} of {epochs}", file=sys.stderr)
    model.fit(train[0], train[1], validation_data=validation, epochs=epochs, initial_epoch=initial_epoch,
              batch_size=batch_size, shuffle=True, callbacks=[callback], verbose=verbose)
    return callback.state
