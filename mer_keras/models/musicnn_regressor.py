"""``--model musicnn``: the pretrained musicnn as the backbone of a valence/arousal (or quadrant-sign) regressor.

Input ``(batch, frames, 96)``: musicnn's own log-mel of the whole clip (feature kind ``musicnn_mel``, not
standardised). :class:`PatchPooling` runs the backbone (musicnn up to its 200-d ``penultimate`` layer,
:mod:`mer_keras.models.musicnn`) on 187-frame (3 s) patches and averages their embeddings: in training on
``training_crops`` random patches per clip (one backbone pass per step, cheap on CPU), otherwise on every patch of
the clip (non-overlapping, as musicnn's extractor cuts them), one patch position at a time. The head is the
CRNN's: dense 64 ReLU, dropout 0.5, dense 2 tanh. ``--backbone`` (``specs/musicnn.yaml`` ``model``):

- ``frozen``: the checkpoint's weights (converted once into ``$MER_CACHE/musicnn/``), not trainable, run in
  inference mode (batch-norm statistics and no dropout): only the head trains;
- ``finetune``: the checkpoint's weights, trainable, at ``backbone_learning_rate_scale`` (0.1) times the head's
  learning rate: :class:`LayerRateAdam`, Adam whose step is scaled per layer. Keras 3 has no per-layer learning
  rate, and scaling the gradients instead would do nothing under Adam, whose step does not depend on the
  gradient's scale;
- ``scratch``: the same layers randomly initialised, one learning rate (the control); no checkpoint is read.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

import keras
from keras import ops

from mer_keras.errors import SpecError
from mer_keras.specs import load_spec

BACKBONES = ("frozen", "finetune", "scratch")
BACKBONE_LAYER = "patch_embeddings"


@keras.saving.register_keras_serializable(package="mer_keras")
class PatchPooling(keras.layers.Wrapper):
    """Apply a patch model to fixed-length patches of a clip and average its outputs over the patches.

    ``(batch, frames, bands)`` -> ``(batch, units)``, ``layer`` mapping ``(n, patch_frames, bands)`` -> ``(n, units)``.

    Training: ``crops`` patches per clip starting at random frames, through ``layer`` in one call. Otherwise
    every patch starting each ``patch_hop`` frames (a last partial patch dropped), one patch position of the
    whole batch at a time (a loop: memory for one batch of patches, not for all of them).

    A non-trainable ``layer`` (a frozen backbone) always runs in inference mode (``training=False``): batch
    norm uses its stored statistics and dropout is off.
    """

    def __init__(self, layer, patch_frames: int = 187, patch_hop: int = 187, crops: int = 1, seed=None, **kwargs):
        super().__init__(layer, **kwargs)
        self.patch_frames, self.patch_hop, self.crops = int(patch_frames), int(patch_hop), int(crops)
        if min(self.patch_frames, self.patch_hop, self.crops) < 1:
            raise SpecError(f"PatchPooling: patch_frames, patch_hop and crops must be >= 1, not "
                            f"{self.patch_frames}, {self.patch_hop}, {self.crops}")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build((None, self.patch_frames, input_shape[-1]))
        self.built = True

    def patch_starts(self, frames: int) -> list[int]:
        """First frames of the patches of a clip of ``frames`` frames, outside training."""
        return list(range(0, frames - self.patch_frames + 1, self.patch_hop))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.layer.compute_output_shape((None, self.patch_frames, input_shape[-1]))[-1])

    def call(self, inputs, training=None):
        frames, bands = inputs.shape[1], inputs.shape[2]
        if frames < self.patch_frames:
            raise ValueError(f"clips of {frames} frames are shorter than one patch ({self.patch_frames} frames)")
        inner_training = bool(training) and self.layer.trainable
        batch = ops.shape(inputs)[0]
        if training:
            starts = keras.random.randint((batch, self.crops), 0, frames - self.patch_frames + 1,
                                          seed=self.seed_generator)
            rows = ops.reshape(starts[:, :, None] + ops.arange(self.patch_frames)[None, None, :], (batch, -1))
            rows = ops.broadcast_to(rows[:, :, None], (batch, self.crops * self.patch_frames, bands))
            patches = ops.reshape(ops.take_along_axis(inputs, rows, axis=1),
                                  (batch * self.crops, self.patch_frames, bands))
            embeddings = self.layer(patches, training=inner_training)
            return ops.mean(ops.reshape(embeddings, (batch, self.crops, -1)), axis=1)
        starts = self.patch_starts(frames)
        units = self.compute_output_shape(inputs.shape)[-1]

        def add_patch(index, total):
            patch = ops.slice(inputs, (0, index * self.patch_hop, 0), (batch, self.patch_frames, bands))
            return total + ops.cast(self.layer(patch, training=False), total.dtype)

        total = ops.fori_loop(0, len(starts), add_patch, ops.zeros((batch, units), dtype="float32"))
        return total / len(starts)

    def get_config(self):
        return {**super().get_config(), "patch_frames": self.patch_frames, "patch_hop": self.patch_hop,
                "crops": self.crops, "seed": self.seed}


@keras.saving.register_keras_serializable(package="mer_keras")
class LayerRateAdam(keras.optimizers.Adam):
    """Adam (AdamW with ``weight_decay``) whose learning rate is multiplied by ``multipliers[layer name]`` for
    the variables of the layers named there (a variable belongs to the layer named by the last but one part
    of its path, e.g. ``timbral_38`` for ``timbral_38/kernel``); 1 for every other variable.

    Decoupled weight decay is applied at the base learning rate to every variable, as in Adam.
    """

    def __init__(self, multipliers: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.multipliers = {str(name): float(value) for name, value in (multipliers or {}).items()}

    def multiplier(self, variable) -> float:
        parts = str(variable.path).split("/")
        return self.multipliers.get(parts[-2], 1.0) if len(parts) > 1 else 1.0

    def update_step(self, gradient, variable, learning_rate):
        factor = self.multiplier(variable)
        if factor != 1.0:
            learning_rate = ops.multiply(ops.cast(learning_rate, variable.dtype), factor)
        super().update_step(gradient, variable, learning_rate)

    def carry_over(self, optimizer) -> "LayerRateAdam":
        """``optimizer`` (e.g. the tuned protocol's AdamW) with these multipliers: what train.py compiles with when
        it replaces the builder's optimizer, so that the backbone keeps its smaller learning rate."""
        return with_layer_rates(optimizer, self.multipliers)

    def get_config(self):
        return {**super().get_config(), "multipliers": dict(self.multipliers)}


def with_layer_rates(optimizer, multipliers: dict) -> LayerRateAdam:
    """An Adam/AdamW ``optimizer``'s settings (rate or schedule, weight decay, clipping) as a :class:`LayerRateAdam`."""
    config = optimizer.get_config()
    config.pop("multipliers", None)
    return LayerRateAdam.from_config({**config, "multipliers": dict(multipliers)})


def musicnn_backbone(backbone: str, weights_name: str, spec: dict):
    """musicnn up to its 200-d ``penultimate`` layer, on one 187-frame patch: the checkpoint's weights (``frozen``:
    not trainable) or random ones (``scratch``)."""
    from mer_keras.models.musicnn import EMBEDDING_LAYER, build_musicnn, load_musicnn

    if backbone == "scratch":
        tagger = build_musicnn(weights_name, spec=spec)
    else:
        tagger = load_musicnn(weights_name, weights_cache())
    model = keras.Model(tagger.input, tagger.get_layer(EMBEDDING_LAYER).output, name="musicnn_backbone")
    model.trainable = backbone != "frozen"
    return model


def weights_cache() -> Path:
    """Where converted checkpoints live (``<this>/musicnn/``): the feature cache's folder, ``$MER_CACHE`` or
    ``~/.cache/mer_keras`` (as ``mer_keras.features.cache.default_cache_dir``, which models/ may not import:
    features/ imports models/)."""
    return Path(os.environ.get("MER_CACHE") or Path.home() / ".cache" / "mer_keras")


def build_musicnn_regressor(frames: int | None = None, features: int | None = None, spec: dict | None = None,
                            backbone: str | None = None):
    """Build and compile the musicnn regressor.

    Parameters
    ----------
    frames, features : int, optional
        Input shape: frames of the clip's musicnn log-mel (default 1,876, 30 s) and its 96 mel bands.
    spec : dict, optional
        A parsed ``specs/musicnn.yaml`` (default: the file); ``model`` and ``training`` sections.
    backbone : str, optional
        ``frozen`` / ``finetune`` / ``scratch`` (default: the spec's ``model.backbone``, frozen).

    Returns
    -------
    keras.Model mapping (batch, frames, 96) -> (batch, 2) in [-1, 1]: (valence, arousal).

    Raises
    ------
    SpecError
        Unknown ``backbone``, or an input that is not musicnn's 96-band log-mel of at least one patch.
    MerError
        ``frozen`` / ``finetune`` without the musicnn wheel (whose checkpoint is converted on first use).
    """
    from mer_keras.models.compile import make_optimizer

    spec = spec or load_spec("musicnn")
    config, pipeline = spec["model"], spec["input"]
    backbone = backbone or config.get("backbone", "frozen")
    if backbone not in BACKBONES:
        raise SpecError(f"unknown --backbone {backbone!r}; choose from {', '.join(BACKBONES)}")
    n_mels, patch = int(pipeline["n_mels"]), int(pipeline["patch_frames"])
    seconds = float(load_spec("features")["logmel"]["duration"])      # musicnn_mel's window, 1 + samples // hop frames
    frames = int(frames or 1 + int(round(seconds * pipeline["sample_rate"])) // pipeline["hop_length"])
    features = int(features or n_mels)
    if features != n_mels or frames < patch:
        raise SpecError(f"musicnn reads its own {n_mels}-band log-mel of at least {patch} frames (--features musicnn_mel, "
                        f"its default: leave --features out), not {frames} frames x {features} features")
    inner = musicnn_backbone(backbone, config.get("weights", "MSD_musicnn"), spec)
    inputs = keras.Input((frames, n_mels), name="log_mel")
    x = PatchPooling(inner, patch, int(pipeline["patch_hop"]), int(config.get("training_crops", 1)),
                     name=BACKBONE_LAYER)(inputs)
    x = keras.layers.Dense(int(config.get("head_units", 64)), activation="relu", name="head_dense")(x)
    if config.get("head_dropout"):
        x = keras.layers.Dropout(float(config["head_dropout"]), name="head_dropout")(x)
    outputs = keras.layers.Dense(2, activation="tanh", name="valence_arousal")(x)
    model = keras.Model(inputs, outputs, name=f"musicnn_{backbone}")

    training = spec["training"]
    optimizer = make_optimizer(training)
    if backbone == "finetune":
        scale = float(config.get("backbone_learning_rate_scale", 0.1))
        optimizer = with_layer_rates(optimizer, {layer.name: scale for layer in inner.layers if layer.weights})
    model.compile(optimizer=optimizer, loss=training["loss"])
    return model


def backbone_weights(model) -> list[np.ndarray]:
    """Copies of the backbone's weights of a built regressor (tests: what a training step changed)."""
    return [np.array(w) for w in model.get_layer(BACKBONE_LAYER).layer.weights]
