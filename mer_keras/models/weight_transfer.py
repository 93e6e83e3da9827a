"""``--weights`` for the ViT and the AST: local pretrained weights transferred into a regressor.

``--weights PATH`` takes, offline (nothing is downloaded):

- a keras-hub ``ViTBackbone`` preset folder (``config.json`` + ``model.weights.h5``, as written by
  ``ViTBackbone.save_to_preset``) or that folder's ``model.weights.h5``: the model takes the
  preset's transformer sizes (layers, width, heads, MLP), and the weights are adapted the way the
  AST paper adapts ImageNet ViT/DeiT weights: the 3-channel patch-embedding kernel is summed over
  its input-channel axis (and resized bilinearly, area-normalised, when the patch size differs),
  the 2-D grid of positional embeddings is interpolated bilinearly to the spectrogram's patch grid
  (the [CLS] row is kept; the AST's distillation token starts as a copy of [CLS]), and the encoder
  blocks are copied one to one;
- any other ``.weights.h5`` file: weights saved from a model of the very same configuration
  (``model.save_weights``), loaded as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mer_keras.errors import MerError

# Preset config keys that fix the transformer's size (keras_hub.models.ViTBackbone arguments).
SIZE_KEYS = ("num_layers", "num_heads", "hidden_dim", "mlp_dim", "layer_norm_epsilon", "use_mha_bias",
             "use_mlp_bias")
PRESET_CLASSES = ("ViTBackbone",)


# ----------------------------------------------------------------------------------------------
# --weights


def preset_dir(path: str | Path) -> Path | None:
    """The keras-hub preset folder that ``path`` names (a folder or its ``model.weights.h5``), else None.

    Raises
    ------
    MerError
        ``path`` does not exist, or is neither a folder nor a ``.weights.h5`` file.
    """
    path = Path(path)
    if not path.exists():
        raise MerError(f"--weights {path}: no such file or folder; give a keras-hub ViT preset folder "
                       "(config.json + model.weights.h5) or a .weights.h5 file (nothing is downloaded)")
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise MerError(f"--weights {path}: folder has no config.json, so it is not a keras-hub preset; "
                           "write one with ViTBackbone.save_to_preset(folder)")
        return path
    if not path.name.endswith(".weights.h5"):
        raise MerError(f"--weights {path}: expected a preset folder or a .weights.h5 file")
    if path.name == "model.weights.h5" and (path.parent / "config.json").is_file():
        return path.parent
    return None


def read_preset_config(folder: Path) -> dict:
    """The backbone's constructor arguments from a preset's ``config.json``."""
    try:
        document = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MerError(f"--weights {folder}: cannot read config.json ({error})") from error
    name = str(document.get("class_name", "")).split(">")[-1]
    if name not in PRESET_CLASSES:
        raise MerError(f"--weights {folder}: preset holds a {name or 'unknown'} model; only {PRESET_CLASSES} "
                       "presets can initialise the ViT/AST")
    return document.get("config", {})


def load_pretrained(model, path: str | Path, target: dict) -> None:
    """Load ``--weights PATH`` into a built model, in place.

    Parameters
    ----------
    model : keras.Model
        The ViT or AST regressor.
    path : str or Path
        Preset folder, its ``model.weights.h5``, or a ``.weights.h5`` of this same model.
    target : dict
        The model's parts, from ``vit.pretrained_target`` / ``ast.pretrained_target``: ``kernel``,
        ``bias``, ``tokens`` (variables of shape (1, k, hidden)), ``positions`` (variable of shape
        (k + n_freq * n_time, hidden)), ``prefix`` (k), ``grid`` ((n_freq, n_time)) and ``encoder``.

    Raises
    ------
    MerError
        The path is missing or unreadable, or its shapes cannot be adapted to the model.
    """
    folder = preset_dir(path)
    if folder is None:
        try:
            model.load_weights(str(path))
        except Exception as error:   # h5py, ValueError on shapes: all mean "not this model's weights"
            raise MerError(f"--weights {path}: cannot load into {model.name} ({type(error).__name__}: {error}); "
                           "a plain .weights.h5 must come from a model of the same configuration") from error
        return
    source = _source_parts(_load_backbone(folder))
    _transfer(source, target, folder)


def _load_backbone(folder: Path):
    import keras_hub

    try:
        return keras_hub.models.Backbone.from_preset(str(folder))
    except Exception as error:
        raise MerError(f"--weights {folder}: cannot load the keras-hub preset ({type(error).__name__}: {error})") \
            from error


def _source_parts(backbone) -> dict:
    """A ViTBackbone's weights as NumPy arrays, in the layout :func:`_transfer` expects."""
    embedding = backbone.get_layer("vit_patching_and_embedding")
    if not embedding.use_class_token:
        raise MerError("--weights: preset ViT has no class token; cannot initialise [CLS]")
    grid = tuple(int(s) // int(p) for s, p in zip(embedding.image_size, embedding.patch_size))
    parts = {"kernel": np.asarray(embedding.patch_embedding.kernel), "grid": grid, "prefix": 1,
             "bias": None if embedding.patch_embedding.bias is None else np.asarray(embedding.patch_embedding.bias),
             "tokens": np.asarray(embedding.class_token),
             "positions": np.asarray(embedding.position_embedding.embeddings),
             "encoder": backbone.get_layer("vit_encoder").get_weights()}
    return parts


def _transfer(source: dict, target: dict, folder: Path) -> None:
    target["kernel"].assign(adapt_patch_kernel(source["kernel"], tuple(target["kernel"].shape)))
    if target["bias"] is not None and source["bias"] is not None:
        target["bias"].assign(source["bias"])
    for tokens in target["tokens"]:
        count = tokens.shape[1]
        tokens.assign(np.repeat(source["tokens"][:, :1], count, axis=1))
    target["positions"].assign(interpolate_positions(source["positions"], source["prefix"], source["grid"],
                                                     target["prefix"], target["grid"]))
    encoder = target["encoder"]
    shapes = [tuple(w.shape) for w in encoder.get_weights()]
    if shapes != [w.shape for w in source["encoder"]]:
        raise MerError(f"--weights {folder}: the preset's encoder does not match the model's "
                       f"({len(source['encoder'])} vs {len(shapes)} arrays)")
    encoder.set_weights(source["encoder"])


def adapt_patch_kernel(kernel: np.ndarray, shape: tuple) -> np.ndarray:
    """A Conv2D patch kernel ``(ph, pw, c, d)`` made ``shape = (qh, qw, c', d)``.

    Channels: summed to one when ``c' == 1`` (the AST recipe: a grey image's response is kept);
    otherwise they must match. Spatial size: bilinear resize, scaled by ``ph*pw / (qh*qw)`` so a
    constant patch gives the same embedding.
    """
    kernel = np.asarray(kernel, dtype=np.float32)
    qh, qw, channels, width = shape
    if kernel.shape[3] != width:
        raise MerError(f"--weights: patch embedding width {kernel.shape[3]} != model hidden size {width}")
    if channels == 1 and kernel.shape[2] != 1:
        kernel = kernel.sum(axis=2, keepdims=True)
    if kernel.shape[2] != channels:
        raise MerError(f"--weights: patch kernel has {kernel.shape[2]} input channels, the model {channels}")
    if kernel.shape[:2] != (qh, qw):
        area = kernel.shape[0] * kernel.shape[1] / (qh * qw)
        flat = kernel.reshape(kernel.shape[0], kernel.shape[1], -1)
        kernel = resize_bilinear(flat, (qh, qw)).reshape(qh, qw, channels, width) * area
    return kernel


def interpolate_positions(positions: np.ndarray, prefix: int, grid: tuple[int, int], target_prefix: int,
                          target_grid: tuple[int, int]) -> np.ndarray:
    """Positional embeddings ``(prefix + gh*gw, d)`` -> ``(target_prefix + th*tw, d)``.

    The grid rows (row-major: frequency, then time) are interpolated bilinearly as a
    ``(gh, gw, d)`` image; the token rows are kept, the first one repeated to fill extra tokens.
    """
    positions = np.asarray(positions, dtype=np.float32)
    if positions.shape[0] != prefix + grid[0] * grid[1]:
        raise MerError(f"--weights: {positions.shape[0]} positional embeddings do not fit a {grid} grid + {prefix}")
    tokens = positions[:prefix]
    tokens = np.concatenate([tokens, np.repeat(tokens[:1], max(0, target_prefix - prefix), axis=0)])[:target_prefix]
    image = positions[prefix:].reshape(grid[0], grid[1], -1)
    if tuple(grid) != tuple(target_grid):
        image = resize_bilinear(image, target_grid)
    return np.concatenate([tokens, image.reshape(-1, image.shape[-1])], axis=0)


def resize_bilinear(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of ``(h, w, c)`` to ``(size[0], size[1], c)`` (half-pixel centres, no antialias)."""
    from keras import ops

    resized = ops.image.resize(np.asarray(image, np.float32)[None], tuple(size), interpolation="bilinear",
                               antialias=False, data_format="channels_last")
    return np.asarray(ops.convert_to_numpy(resized))[0]
