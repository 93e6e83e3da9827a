"""Augmentation of training items only: batches of the training part with random time shifts,
SpecAugment-style masks and mixup. Validation and test inputs never pass through here."""

from __future__ import annotations

import math

import numpy as np


def _dataset_base():
    import keras

    return keras.utils.PyDataset


class AugmentedBatches(_dataset_base()):
    """Shuffled, augmented batches of ``(features, targets)`` for ``model.fit``.

    Parameters
    ----------
    features : np.ndarray, shape (n, frames, channels)
        Standardised training inputs (0 is each channel's training mean, so masks set 0).
    targets : np.ndarray
        (n, 2) regression / sign targets, or (n,) int class indices (then mixup is not applied).
    batch_size : int
    augmentation : dict
        ``time_shift`` (bool), ``time_masks`` / ``time_width`` (frames), ``freq_masks`` / ``freq_width``
        (channels), ``mixup_alpha`` (Beta(a, a); 0 = off). Widths are maxima: each mask's width is
        drawn uniformly from 0 to it.
    seed : int
        A new permutation and new draws every epoch, from one seeded generator.
    sample_weight : np.ndarray, shape (n,), optional
        Per-item loss weights (e.g. balanced class weights), returned as the batch's third element.
    """

    def __init__(self, features: np.ndarray, targets: np.ndarray, batch_size: int, augmentation: dict, seed: int = 0,
                 sample_weight: np.ndarray | None = None):
        super().__init__()
        self.features, self.targets, self.sample_weight = features, targets, sample_weight
        self.batch_size, self.settings = int(batch_size), dict(augmentation or {})
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(features))

    def __len__(self) -> int:
        return math.ceil(len(self.features) / self.batch_size)

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.features))

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        x = np.array(self.features[rows], dtype=np.float32, copy=True)
        y = np.array(self.targets[rows], copy=True)
        x = augment_inputs(x, self.settings, self.rng)
        alpha = float(self.settings.get("mixup_alpha") or 0.0)
        if alpha > 0 and y.ndim == 2 and len(rows) > 1:
            x, y = mixup(x, y, alpha, self.rng)
        if self.sample_weight is not None:
            return x, y, np.asarray(self.sample_weight[rows], dtype=np.float32)
        return x, y


def augment_inputs(x: np.ndarray, settings: dict, rng: np.random.Generator) -> np.ndarray:
    """Time shift and masks on a batch (n, frames, channels), in place; returns it."""
    n, frames, channels = x.shape
    if settings.get("time_shift") and frames > 1:
        for k in range(n):
            x[k] = np.roll(x[k], int(rng.integers(0, frames)), axis=0)
    for axis, count, width in ((1, "time_masks", "time_width"), (2, "freq_masks", "freq_width")):
        size = frames if axis == 1 else channels
        most = min(int(settings.get(width) or 0), size)
        for _ in range(int(settings.get(count) or 0)):
            if most <= 0:
                break
            for k in range(n):
                w = int(rng.integers(0, most + 1))
                start = int(rng.integers(0, size - w + 1))
                if axis == 1:
                    x[k, start:start + w, :] = 0.0
                else:
                    x[k, :, start:start + w] = 0.0
    return x


def mixup(x: np.ndarray, y: np.ndarray, alpha: float, rng: np.random.Generator):
    """Mix each item with another of the batch: ``lam * a + (1 - lam) * b`` for inputs and targets."""
    lam = rng.beta(alpha, alpha, size=len(x)).astype(np.float32)
    partner = rng.permutation(len(x))
    x = lam[:, None, None] * x + (1 - lam[:, None, None]) * x[partner]
    y = lam[:, None] * y + (1 - lam[:, None]) * y[partner]
    return x.astype(np.float32), y.astype(np.float32)


def balanced_class_weights(labels: np.ndarray) -> np.ndarray:
    """Per-item weights ``n / (n_classes * count(class))`` (scikit-learn's "balanced"), mean 1 over the items:
    each class weighs the same in the loss, whatever its share of the training items."""
    labels = np.asarray(labels)
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    return (len(labels) / (len(classes) * counts))[inverse].astype(np.float32)
