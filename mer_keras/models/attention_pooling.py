"""Attention pooling over time: a learned weighted mean of a sequence's frames."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="mer_keras")
class AttentionPooling(keras.layers.Layer):
    """Additive attention pooling (Bahdanau-style scores, as in speech-emotion attention CRNNs).

    For frames ``h_t`` (batch, time, features): ``e_t = v . tanh(W h_t + b)``,
    ``a = softmax_t(e)``, output ``sum_t a_t h_t`` (batch, features). A Keras mask on the input
    (padded frames) is honoured: masked frames get zero weight.

    Parameters
    ----------
    units : int
        Width of the scoring layer ``W``.
    return_weights : bool
        Also return the attention weights (batch, time), e.g. to plot where the model listens.
    """

    def __init__(self, units: int = 64, return_weights: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.return_weights = bool(return_weights)
        self.supports_masking = True

    def build(self, input_shape):
        self.score_hidden = keras.layers.Dense(self.units, activation="tanh", name="score_hidden")
        self.score_hidden.build(input_shape)
        self.score = keras.layers.Dense(1, use_bias=False, name="score")
        self.score.build((*input_shape[:-1], self.units))
        self.built = True

    def call(self, inputs, mask=None):
        ops = keras.ops
        scores = ops.squeeze(self.score(self.score_hidden(inputs)), axis=-1)        # (batch, time)
        if mask is not None:
            scores = ops.where(mask, scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1)
        pooled = ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)
        return (pooled, weights) if self.return_weights else pooled

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        pooled = (input_shape[0], input_shape[-1])
        return (pooled, (input_shape[0], input_shape[1])) if self.return_weights else pooled

    def get_config(self):
        return super().get_config() | {"units": self.units, "return_weights": self.return_weights}
