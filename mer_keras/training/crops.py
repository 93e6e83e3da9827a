"""Crops of log-mel clips for the GAN and for the ViT trained on crops (issue 22): where a crop may start,
random crops drawn afresh each epoch, fixed crops for figures, and shuffled batches of real crops of the
training songs with (for ``vit_gan``) generated crops beside them. Training items only: validation and
test clips never pass through :class:`CropBatches`."""

from __future__ import annotations

import math

import numpy as np

from mer_keras.errors import DataError
from mer_keras.training.augment import augment_inputs, mixup


def _dataset_base():
    import keras

    return keras.utils.PyDataset


def valid_frames(items, padded: dict, frames: int, frame_rate: float) -> np.ndarray:
    """Frames of each clip that hold audio (not the zero padding of a clip shorter than the window).

    Parameters
    ----------
    items : list of Item
    padded : dict
        item id -> seconds of padding (``PreparedRun.padded``).
    frames : int
        Frames of the feature window (1,292).
    frame_rate : float
        Frames per second (sample rate / hop: 22,050 / 512 = 43.07).

    Returns
    -------
    np.ndarray, shape (n_items,), int: at least 1 and at most ``frames``.
    """
    seconds = np.array([float(padded.get(item.item_id, 0.0)) for item in items])
    return np.clip(frames - np.round(seconds * frame_rate).astype(int), 1, frames)


def crop_starts(valid: np.ndarray, crop: int, rng: np.random.Generator) -> np.ndarray:
    """One random start per clip, uniform over the starts whose crop lies inside the clip's audio (start 0
    when the audio is shorter than the crop: the crop then reaches into the padding)."""
    last = np.maximum(np.asarray(valid) - crop, 0)
    return rng.integers(0, last + 1)


def take_crops(features: np.ndarray, starts: np.ndarray, crop: int, rows: np.ndarray | None = None) -> np.ndarray:
    """``features[rows[k], starts[k]:starts[k] + crop]`` for every k: shape (n, crop, n_features), float32."""
    rows = np.arange(len(starts)) if rows is None else np.asarray(rows)
    if features.shape[1] < crop:
        raise DataError(f"clips of {features.shape[1]} frames are shorter than the {crop}-frame crop")
    return np.stack([features[r, s:s + crop] for r, s in zip(rows, starts)]).astype(np.float32)


def fixed_crops(features: np.ndarray, valid: np.ndarray, crop: int, per_clip: int, seed: int):
    """``per_clip`` random crops of every clip, the same for a given seed: (crops, clip index of each)."""
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(len(features)), per_clip)
    starts = crop_starts(np.asarray(valid)[rows], crop, rng)
    return take_crops(features, starts, crop, rows), rows


def strided_crops(features: np.ndarray, valid: np.ndarray, crop: int, stride: int, transform=None):
    """Every clip cut every ``stride`` frames (crops inside its audio; one crop at 0 if shorter), each crop
    passed through ``transform`` (e.g. pooling) to save memory: (stacked transformed crops, clip index of each)."""
    out, rows = [], []
    for r, length in enumerate(np.asarray(valid)):
        starts = np.arange(0, max(int(length) - crop, 0) + 1, stride)
        block = take_crops(features, starts, crop, np.full(len(starts), r))
        out.append(transform(block) if transform else block)
        rows += [r] * len(starts)
    return np.concatenate(out), np.asarray(rows)


class CropBatches(_dataset_base()):
    """Shuffled batches of crops for ``fit``: ``copies`` fresh random crops of every real clip per epoch (one by
    default), plus every generated crop (if any), shuffled together.

    Parameters
    ----------
    features : np.ndarray, shape (n, frames, n_features)
        Standardised training clips.
    targets : np.ndarray, shape (n, ...)
        Their targets (or the GAN's conditioning labels).
    valid : np.ndarray, shape (n,)
        Frames of each clip holding audio (:func:`valid_frames`).
    crop : int
        Crop length in frames.
    batch_size : int
    seed : int
        One seeded generator for crops, order, augmentation.
    synthetic : (np.ndarray (m, crop, n_features), np.ndarray (m, ...)), optional
        Generated crops (standardised) and their targets, in every epoch.
    augmentation : dict, optional
        As :class:`mer_keras.training.augment.AugmentedBatches` (time shift, masks, mixup), applied to every
        crop of the batch.
    scale : float, optional
        The GAN's input: crops divided by ``scale`` and clipped to [-1, 1].
    drop_remainder : bool
        Only full batches (one compiled shape; the GAN); the crops left over change every epoch.
    copies : int
        Random crops of each real clip per epoch (the GAN: ``specs/gan.yaml`` ``training.crops_per_song``).
    epoch_seeded : bool
        Draw each epoch's crops, order and augmentation from a generator seeded by ``(seed, epoch)``
        (:meth:`set_epoch`, called by the fit loop at the start of every epoch) instead of one generator
        running on from the first epoch: an epoch's batches then depend on its number only, so a run resumed
        at epoch k sees the batches an uninterrupted run sees there (the models on crops; the GAN keeps one
        running generator).
    """

    def __init__(self, features: np.ndarray, targets: np.ndarray, valid: np.ndarray, crop: int, batch_size: int,
                 seed: int = 0, synthetic: tuple | None = None, augmentation: dict | None = None,
                 scale: float | None = None, drop_remainder: bool = False, copies: int = 1,
                 epoch_seeded: bool = False):
        super().__init__()
        self.seed, self.epoch_seeded = int(seed), bool(epoch_seeded)
        self.copies = int(copies)
        if self.copies < 1:
            raise DataError(f"crops per clip per epoch must be at least 1, got {copies}")
        self.features, self.targets, self.valid = features, np.asarray(targets), np.asarray(valid)
        self.crop, self.batch_size, self.scale = int(crop), int(batch_size), scale
        self.synthetic = synthetic if synthetic is not None and len(synthetic[0]) else None
        self.settings, self.drop_remainder = dict(augmentation or {}), bool(drop_remainder)
        self.rng = np.random.default_rng(seed)
        if self.drop_remainder and self.n_items < self.batch_size:
            raise DataError(f"{self.n_items} training crops are fewer than one batch of {self.batch_size}; "
                            "lower --batch-size")
        self._new_epoch()

    @property
    def n_items(self) -> int:
        """Crops per epoch: ``copies`` per real clip plus the generated crops."""
        return self.n_real + (len(self.synthetic[0]) if self.synthetic is not None else 0)

    @property
    def n_real(self) -> int:
        return self.copies * len(self.features)

    def _new_epoch(self) -> None:
        self.clips = np.tile(np.arange(len(self.features)), self.copies)
        self.starts = crop_starts(self.valid[self.clips], self.crop, self.rng)
        self.order = self.rng.permutation(self.n_items)

    def __len__(self) -> int:
        if self.drop_remainder:
            return self.n_items // self.batch_size
        return math.ceil(self.n_items / self.batch_size)

    def on_epoch_end(self):
        self._new_epoch()

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` (0-based): with ``epoch_seeded``, its crops, order and augmentation drawn afresh
        from a generator seeded by ``(seed, epoch)``; otherwise nothing changes."""
        if self.epoch_seeded:
            self.rng = np.random.default_rng([self.seed, int(epoch)])
            self._new_epoch()

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        real = rows[rows < self.n_real]
        fake = rows[rows >= self.n_real] - self.n_real
        x = [take_crops(self.features, self.starts[real], self.crop, self.clips[real])] if len(real) else []
        y = [self.targets[self.clips[real]]] if len(real) else []
        if len(fake):
            x.append(np.asarray(self.synthetic[0][fake], np.float32))
            y.append(np.asarray(self.synthetic[1][fake]))
        x, y = np.concatenate(x), np.concatenate(y)
        if self.settings:
            x = augment_inputs(x, self.settings, self.rng)
            alpha = float(self.settings.get("mixup_alpha") or 0.0)
            if alpha > 0 and y.ndim == 2 and y.dtype.kind == "f" and len(rows) > 1:
                x, y = mixup(x, y, alpha, self.rng)
        if self.scale:
            x = np.clip(x / self.scale, -1.0, 1.0).astype(np.float32)
        return x, y
