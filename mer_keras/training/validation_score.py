"""The validation figure that selects the epoch under the tuned protocol, computed on the validation
items after each epoch and added to the epoch's logs (so history.csv records it)."""

from __future__ import annotations

import numpy as np


def _ccc(true: np.ndarray, pred: np.ndarray) -> float:
    """Lin's concordance correlation coefficient (0 when both sides are constant)."""
    true, pred = np.asarray(true, float), np.asarray(pred, float)
    denominator = true.var() + pred.var() + (true.mean() - pred.mean()) ** 2
    return float(2 * np.mean((true - true.mean()) * (pred - pred.mean())) / denominator) if denominator > 0 else 0.0


def validation_score(name: str, targets: np.ndarray, outputs: np.ndarray) -> float:
    """``val_ccc``: mean over the two outputs of Lin's CCC; ``val_quadrant_accuracy``: both signs right;
    ``val_accuracy``: argmax right. ``targets`` as the model was trained on them."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if name == "val_ccc":
        return float(np.mean([_ccc(targets[:, k], outputs[:, k]) for k in range(targets.shape[1])]))
    if name == "val_quadrant_accuracy":
        return float(np.mean(np.all(np.sign(outputs) == np.sign(targets), axis=1)))
    if name == "val_accuracy":
        return float(np.mean(np.argmax(outputs, axis=1) == targets))
    raise ValueError(f"unknown validation score {name!r}")


def _callback_base():
    import keras

    return keras.callbacks.Callback


class ValidationScore(_callback_base()):
    """Adds ``logs[name]`` (see :func:`validation_score`) at the end of each epoch; put it before the
    early-stopping callback."""

    def __init__(self, name: str, validation: tuple[np.ndarray, np.ndarray], batch_size: int = 32):
        super().__init__()
        self.name, self.validation, self.batch_size = name, validation, batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or self.name in logs:
            return
        outputs = self.model.predict(self.validation[0], batch_size=self.batch_size, verbose=0)
        logs[self.name] = validation_score(self.name, self.validation[1], outputs)
