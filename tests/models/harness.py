"""The shared test harness for Keras models and layers: every model's test runs these checks.

- one training step changes the weights and gives a finite loss;
- save / load (``.keras``, after registering the project's custom layers) gives identical outputs;
- ``get_config`` round-trips: ``Model.from_config(model.get_config())`` rebuilds the same architecture
  (same config, same number of weights), which with the saved weights gives identical outputs;
- a layer's ``get_config`` round-trips through ``from_config``.
"""

from __future__ import annotations

import copy
import json

import keras
import numpy as np

from mer_keras.models.registry import register_custom_layers


def infer(model, x) -> np.ndarray:
    """Eager inference (no compiled predict function: tiny tests stay fast)."""
    return np.asarray(model(x, training=False))


def check_keras_model(model, x: np.ndarray, y: np.ndarray, tmp_path, batch_size: int = 4) -> dict:
    """Run every shared check on a built, compiled ``model``; returns what it measured.

    ``x``: inputs (n, frames, features); ``y``: targets as the model's loss expects.
    """
    register_custom_layers()
    before = [np.array(w) for w in model.get_weights()]
    history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    loss = history.history["loss"][0]
    assert np.isfinite(loss), "training step gave a non-finite loss"
    changed = [not np.array_equal(a, np.asarray(b)) for a, b in zip(before, model.get_weights())]
    assert any(changed), "one training step left every weight unchanged"

    outputs = infer(model, x)
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(infer(reloaded, x), outputs, rtol=1e-5, atol=1e-6)

    config = model.get_config()
    rebuilt = model.__class__.from_config(copy.deepcopy(config))   # from_config consumes its argument
    assert json.dumps(rebuilt.get_config(), sort_keys=True, default=str) == json.dumps(config, sort_keys=True, default=str)
    assert len(rebuilt.weights) == len(model.weights)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(infer(rebuilt, x), outputs, rtol=1e-5, atol=1e-6)
    return {"loss": float(loss), "outputs": outputs, "logged": sorted(history.history)}


def check_layer_config(layer) -> None:
    """``type(layer).from_config(layer.get_config())`` has the same config."""
    config = layer.get_config()
    again = type(layer).from_config(copy.deepcopy(config))
    assert json.dumps(again.get_config(), sort_keys=True, default=str) == json.dumps(config, sort_keys=True, default=str)
