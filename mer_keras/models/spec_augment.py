"""The spectrogram front-end shared by the transformers: SpecAugment masking and the image layout.

Inputs are time-major standardised features ``(batch, frames, features)`` like the CRNN's. The
transformers see them as a one-channel image ``(features, frames, 1)``: height = mel bins (or
openSMILE features), width = time, as in the AST paper's ``128 x 1024`` log-mel "image".
"""

from __future__ import annotations

import keras
from keras import ops

from mer_keras.errors import SpecError


@keras.saving.register_keras_serializable(package="mer_keras")
class SpecAugment(keras.layers.Layer):
    """SpecAugment-style time and frequency masking (Park et al. 2019), training only.

    Each example gets ``time_masks`` masks of a random width in ``[0, time_width]`` frames at a
    random start, and ``freq_masks`` masks of width ``[0, freq_width]`` features; masked cells are
    set to 0 (the mean of standardised inputs). At inference (``training`` false or None) the layer
    is the identity.

    Parameters
    ----------
    time_masks, freq_masks : int
        Number of masks along time (axis 1) and features (axis 2).
    time_width, freq_width : int
        Largest mask width (the width is drawn uniformly from 0 to this, inclusive).
    seed : int, optional
        Seed of the layer's ``keras.random.SeedGenerator``.

    Input/output shape: ``(batch, frames, features)``.
    """

    def __init__(self, time_masks: int = 2, time_width: int = 40, freq_masks: int = 2, freq_width: int = 16,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("time_masks", time_masks), ("time_width", time_width),
                            ("freq_masks", freq_masks), ("freq_width", freq_width)):
            if int(value) < 0:
                raise SpecError(f"SpecAugment {name} must be >= 0, got {value}")
        self.time_masks, self.time_width = int(time_masks), int(time_width)
        self.freq_masks, self.freq_width = int(freq_masks), int(freq_width)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _keep(self, batch, length, count: int, max_width: int):
        """(batch, length) float mask: 0 inside any of ``count`` random bands, 1 elsewhere."""
        keep = ops.ones((batch, length), dtype=self.compute_dtype)
        if count == 0 or max_width == 0:
            return keep
        positions = ops.cast(ops.arange(length), "float32")[None, :]
        for _ in range(count):
            width = ops.floor(keras.random.uniform((batch, 1), 0.0, max_width + 1.0, seed=self.seed_generator))
            width = ops.minimum(width, float(length))
            start = ops.floor(keras.random.uniform((batch, 1), seed=self.seed_generator) * (length - width + 1.0))
            inside = ops.logical_and(positions >= start, positions < start + width)
            keep = keep * (1.0 - ops.cast(inside, self.compute_dtype))
        return keep

    def call(self, inputs, training=None):
        if not training:
            return inputs
        batch, frames, features = ops.shape(inputs)[0], inputs.shape[1], inputs.shape[2]
        keep_time = self._keep(batch, frames, self.time_masks, self.time_width)
        keep_freq = self._keep(batch, features, self.freq_masks, self.freq_width)
        return inputs * keep_time[:, :, None] * keep_freq[:, None, :]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"time_masks": self.time_masks, "time_width": self.time_width,
                       "freq_masks": self.freq_masks, "freq_width": self.freq_width, "seed": self.seed})
        return config


def spectrogram_image(inputs, augmentation: dict | None = None):
    """Optional SpecAugment, then ``(batch, frames, features)`` -> image ``(batch, features, frames, 1)``.

    Parameters
    ----------
    inputs : KerasTensor, shape (batch, frames, features)
    augmentation : dict, optional
        ``SpecAugment`` keyword arguments (the spec's ``model.augmentation``); None or
        ``{enabled: false}`` leaves the input unmasked.

    Returns
    -------
    KerasTensor, shape (batch, features, frames, 1)
    """
    x = inputs
    config = dict(augmentation or {})
    if config.pop("enabled", True) and config:
        x = SpecAugment(**config, name="spec_augment")(x)
    x = keras.layers.Permute((2, 1), name="to_freq_major")(x)
    return keras.layers.Reshape((inputs.shape[2], inputs.shape[1], 1), name="to_image")(x)


def fitted_size(size: int, patch: int) -> int:
    """The multiple of ``patch`` nearest to ``size`` (ties: pad up), at least one patch."""
    lower = max(patch, size // patch * patch)
    upper = -(-size // patch) * patch
    return lower if size - lower < upper - size else upper


def fit_to_patches(image, patch: tuple[int, int]):
    """Crop or zero-pad an image's height and width to the nearest multiple of ``patch``.

    Each axis is cropped or padded evenly on both sides (the odd cell at the end): 1292 frames
    with 16-wide patches -> padded to 1296; 260 openSMILE features with 16 -> cropped to 256.

    Parameters
    ----------
    image : KerasTensor, shape (batch, height, width, channels)
    patch : (int, int)
        Patch (height, width).

    Returns
    -------
    KerasTensor, shape (batch, fitted height, fitted width, channels)
    """
    crop, pad = [], []
    for size, step in zip(image.shape[1:3], patch):
        change = fitted_size(size, step) - size
        half = (abs(change) // 2, abs(change) - abs(change) // 2)
        crop.append(half if change < 0 else (0, 0))
        pad.append(half if change > 0 else (0, 0))
    x = image
    if any(sum(side) for side in crop):
        x = keras.layers.Cropping2D(tuple(crop), name="crop_to_patches")(x)
    if any(sum(side) for side in pad):
        x = keras.layers.ZeroPadding2D(tuple(pad), name="pad_to_patches")(x)
    return x


def pad_to_at_least(image, minimum: tuple[int, int]):
    """Zero-pad height/width (at the end) up to ``minimum`` where smaller; otherwise unchanged."""
    pad = [(0, max(0, need - size)) for size, need in zip(image.shape[1:3], minimum)]
    if not any(after for _, after in pad):
        return image
    return keras.layers.ZeroPadding2D(tuple(pad), name="pad_to_patch")(image)
