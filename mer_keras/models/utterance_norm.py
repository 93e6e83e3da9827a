"""Per-utterance standardisation: each clip's features centred and scaled over its own frames.

A tuned-protocol choice for speech (``utterance_norm: true`` in ``specs/protocols.yaml``): a speaker's
or a recording's level and timbre shift every frame of a clip alike; standardising each feature over the
clip's frames removes that offset before the model sees it (cepstral mean and variance normalisation).
It is a layer in front of the model, so training, ``evaluate.py`` and ``predict.py`` share it through
the saved model.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mer_keras")
class UtteranceStandardization(keras.layers.Layer):
    """``(x - mean_t x) / sqrt(var_t x + epsilon)`` per example and feature, over the time axis.

    Parameters
    ----------
    epsilon : float
        Added to the variance (features are already globally standardised, so variances are near 1;
        a constant feature maps to 0, not to NaN).
    scale : bool
        Divide by the standard deviation too (default); False only centres.

    Input/output shape: ``(batch, frames, features)``; a waveform is ``(batch, samples, 1)``.
    """

    def __init__(self, epsilon: float = 1e-3, scale: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.epsilon, self.scale = float(epsilon), bool(scale)

    def call(self, inputs):
        mean = ops.mean(inputs, axis=1, keepdims=True)
        centred = inputs - mean
        if not self.scale:
            return centred
        return centred / ops.sqrt(ops.mean(ops.square(centred), axis=1, keepdims=True) + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "scale": self.scale}


def with_utterance_norm(model: keras.Model) -> keras.Model:
    """``model`` behind an :class:`UtteranceStandardization` (same input and output shapes, uncompiled)."""
    inputs = keras.Input(model.input_shape[1:], name="clip")
    outputs = model(UtteranceStandardization(name="utterance_norm")(inputs))
    return keras.Model(inputs, outputs, name=f"{model.name}_utterance_norm")
