"""Batch-normalisation moving statistics: how fast they follow the training batches.

Keras's default momentum (0.99) keeps 0.99^n of the initial statistics (mean 0, variance 1) after n steps.
On a small corpus (RAVDESS: about 20 steps per epoch) that is still a quarter after 7 epochs, so the model in
inference mode (validation, test, predict) normalises with statistics that the training batches never had:
it scores worse on its own training clips than it did while training on them. A lower momentum (e.g. 0.9)
lets the statistics settle within an epoch. The layers and their learned weights are unchanged; the momentum
is saved in each layer's config.
"""

from __future__ import annotations


def batchnorm_layers(model) -> list:
    """Every ``keras.layers.BatchNormalization`` in ``model``, nested models included."""
    import keras

    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, keras.layers.BatchNormalization)]


def set_batchnorm_momentum(model, momentum: float) -> int:
    """Set the moving-statistics momentum of every batch-norm layer of ``model`` (before training; it is
    read when the training step is traced); returns how many layers were changed."""
    from mer_keras.errors import SpecError

    if not 0.0 <= float(momentum) < 1.0:
        raise SpecError(f"batchnorm_momentum {momentum!r} must be in [0, 1)")
    layers = batchnorm_layers(model)
    for layer in layers:
        layer.momentum = float(momentum)
    return len(layers)
