"""A layer that prepends learned tokens ([CLS], distillation) to a token sequence (the AST's prefix)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mer_keras")
class PrependTokens(keras.layers.Layer):
    """Prepend ``num_tokens`` learned tokens ([CLS], distillation, ...) to a token sequence.

    Input ``(batch, n, hidden)`` -> output ``(batch, num_tokens + n, hidden)``. The tokens
    variable ``tokens`` has shape ``(1, num_tokens, hidden)``.
    """

    def __init__(self, num_tokens: int = 2, initializer="truncated_normal", **kwargs):
        super().__init__(**kwargs)
        self.num_tokens = int(num_tokens)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        self.tokens = self.add_weight(shape=(1, self.num_tokens, input_shape[-1]), initializer=self.initializer,
                                      name="tokens")

    def call(self, inputs):
        tokens = ops.broadcast_to(ops.cast(self.tokens, inputs.dtype),
                                  (ops.shape(inputs)[0], self.num_tokens, inputs.shape[-1]))
        return ops.concatenate([tokens, inputs], axis=1)

    def compute_output_shape(self, input_shape):
        length = None if input_shape[1] is None else input_shape[1] + self.num_tokens
        return (input_shape[0], length, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "initializer": keras.initializers.serialize(self.initializer)})
        return config
