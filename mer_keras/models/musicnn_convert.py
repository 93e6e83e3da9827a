"""musicnn's TF1 checkpoints (inside the ``musicnn`` 0.1.0 wheel) -> the Keras port's weights.

The wheel is only read: its package folder is found with ``importlib.util.find_spec`` (its TF1 code is
never imported) and ``<folder>/<weights name>/`` is read with ``tf.compat.v1.train.NewCheckpointReader``.
TF1 layers named their variables by creation order (``conv2d_3``, ``batch_normalization_4``, ...);
:data:`MAPPING` says which Keras layer each one is, in the order ``musicnn/models.py`` creates them.
Kernels are stored (kh, kw, in, out) by both; the 1-D mid-end convolutions drop the unit axis.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import numpy as np

from mer_keras.errors import MerError

INSTALL = "pip install --no-deps musicnn==0.1.0"

# Keras layer -> TF1 variable scope, in build_musicnn's creation order.
MAPPING = {
    "input_bn": "batch_normalization",
    "timbral_38": "conv2d", "timbral_38_bn": "batch_normalization_1",
    "timbral_67": "conv2d_1", "timbral_67_bn": "batch_normalization_2",
    # the three temporal convolutions (128, 64, 32 frames) are one MultiLengthConv2D, their batch norms one layer
    "temporal": ("conv2d_2", "conv2d_3", "conv2d_4"),
    "temporal_bn": ("batch_normalization_3", "batch_normalization_4", "batch_normalization_5"),
    "midend_1": "conv2d_5", "midend_1_bn": "batch_normalization_6",
    "midend_2": "conv2d_6", "midend_2_bn": "batch_normalization_7",
    "midend_3": "conv2d_7", "midend_3_bn": "batch_normalization_8",
    "pooled_bn": "batch_normalization_9",
    "dense": "dense",
    "penultimate": "batch_normalization_10",
    "tags": "dense_1",
}
# Layers reading the pooled vector: TF1 flattens (max, mean) per feature, interleaved
# [max_0, mean_0, max_1, ...]; the port concatenates [max_0 .. max_752, mean_0 .. mean_752].
POOLED_INPUT = ("pooled_bn", "dense")


def checkpoint_dir(weights_name: str) -> Path:
    """The wheel's checkpoint folder for ``weights_name`` (``<site-packages>/musicnn/<name>/``).

    Raises
    ------
    MerError
        The ``musicnn`` package is not installed, or has no such checkpoint.
    """
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise MerError(f"musicnn's pretrained weights come from the musicnn package's wheel, which is not installed: "
                       f"{INSTALL} (--no-deps: its pinned dependencies do not install on Python 3.11; only its "
                       "checkpoint files are read)")
    folder = Path(list(spec.submodule_search_locations)[0]) / weights_name
    if not (folder / ".index").is_file():
        raise MerError(f"no musicnn checkpoint {folder}/.index; reinstall the wheel: {INSTALL}")
    return folder


def read_checkpoint(weights_name: str) -> dict[str, np.ndarray]:
    """Every trained variable of the checkpoint (optimizer slots left out): ``{"conv2d/kernel": array, ...}``."""
    import tensorflow as tf

    reader = tf.compat.v1.train.NewCheckpointReader(str(checkpoint_dir(weights_name)) + os.sep)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "Adam" not in name and not name.endswith("_power")}


def _names(layer) -> tuple[str, ...]:
    """The TF1 variable names of one scope, in the order of the Keras layer's weights."""
    if type(layer).__name__ == "BatchNormalization":
        return ("gamma", "beta", "moving_mean", "moving_variance")
    return ("kernel", "bias")


def _scopes(scope: str | tuple[str, ...]) -> tuple[str, ...]:
    return scope if isinstance(scope, tuple) else (scope,)


def _layer_weights(layer, scope, variables: dict[str, np.ndarray], pooled_order: np.ndarray | None) -> list:
    """The Keras weights of ``layer`` from TF1 scope ``scope`` (a tuple of scopes: a MultiLengthConv2D takes
    each scope's kernel and bias in turn, a batch norm their statistics concatenated), in Keras order."""
    kind, names = type(layer).__name__, _names(layer)
    if isinstance(scope, tuple):
        if kind == "BatchNormalization":
            return [np.concatenate([variables[f"{one}/{name}"] for one in scope]) for name in names]
        return [variables[f"{one}/{name}"] for one in scope for name in names]
    arrays = [variables[f"{scope}/{name}"] for name in names]
    if kind == "Conv1D":
        arrays[0] = arrays[0][:, :, 0, :]        # (7, width, 1, out) -> (7, width, out)
    if pooled_order is not None:
        arrays = [arrays[0][pooled_order], *arrays[1:]] if kind == "Dense" else [a[pooled_order] for a in arrays]
    return arrays


def assign_checkpoint(model, weights_name: str, mapping: dict[str, str | tuple[str, ...]] | None = None,
                      variables: dict[str, np.ndarray] | None = None) -> None:
    """Set ``model``'s weights (a :func:`~mer_keras.models.musicnn.build_musicnn` model) from the checkpoint.

    ``mapping`` (default :data:`MAPPING`) and ``variables`` (default: read from the wheel) exist for tests.

    Raises
    ------
    MerError
        A variable is missing, or its shape does not fit its layer (wrong mapping or checkpoint).
    """
    mapping = mapping or MAPPING
    variables = variables if variables is not None else read_checkpoint(weights_name)
    width = model.get_layer("pooled_bn").input.shape[-1] // 2
    pooled_order = np.concatenate([np.arange(0, 2 * width, 2), np.arange(1, 2 * width, 2)])
    used = set()
    for layer_name, scope in mapping.items():
        layer = model.get_layer(layer_name)
        try:
            arrays = _layer_weights(layer, scope, variables, pooled_order if layer_name in POOLED_INPUT else None)
        except KeyError as exc:
            raise MerError(f"musicnn checkpoint {weights_name} has no variable {exc}; the wheel is not musicnn 0.1.0 "
                           f"({INSTALL})") from None
        expected = [tuple(w.shape) for w in layer.weights]
        if [a.shape for a in arrays] != expected:
            raise MerError(f"musicnn checkpoint {weights_name}: {scope} has shapes {[a.shape for a in arrays]}, layer "
                           f"{layer_name} expects {expected}; fix MAPPING in mer_keras/models/musicnn_convert.py")
        layer.set_weights(arrays)
        used |= {f"{one}/{name}" for one in _scopes(scope) for name in _names(layer)}
    left = sorted(set(variables) - used)
    if left:
        raise MerError(f"musicnn checkpoint {weights_name}: variables {left[:3]} map to no layer; fix MAPPING in "
                       "mer_keras/models/musicnn_convert.py")


# The layout of the converted file: 2 since the temporal convolutions became one layer (a file of layout 1,
# ``<weights_name>.weights.h5``, no longer fits the model and is left alone; it is converted again).
LAYOUT = 2


def weights_path(weights_name: str, cache_dir: Path) -> Path:
    """Where the converted weights live: ``<cache_dir>/musicnn/<weights_name>.v<LAYOUT>.weights.h5``."""
    return Path(cache_dir) / "musicnn" / f"{weights_name}.v{LAYOUT}.weights.h5"


def convert_and_save(model, weights_name: str, path: Path) -> Path:
    """Assign the checkpoint to ``model`` and save its weights to ``path`` (atomically: concurrent first
    conversions in several processes are safe)."""
    assign_checkpoint(model, weights_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".weights.h5")
    os.close(handle)
    try:
        model.save_weights(temp)
        os.chmod(temp, 0o644)                    # mkstemp's 0600: the cache is shared like the features'
        os.replace(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)
    return path
