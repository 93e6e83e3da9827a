"""A ``keras.layers.MaxPooling1D`` whose non-overlapping windows are pooled by a reshape on JAX, faster on CPU.

Keras pools with ``lax.reduce_window``; on XLA's CPU backend the gradient of that op
(``select_and_scatter``) cost the CRNN about 20 ms a batch of its 230 (issue 23, bench/results.md). When
the windows do not overlap (``strides == pool_size``, ``padding="valid"``, channels last), the same maxima
are a reshape to (batch, steps, pool_size, channels) and a max over the window axis; the gradient goes to
the first maximum of each window, as ``reduce_window``'s does. Any other setting, and every other
backend, runs the stock layer. Weights: none. Config: that of ``MaxPooling1D``.
"""

from __future__ import annotations

import keras


def _jax_block_max(x, pool: int):
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def block_max(x):
        batch, steps, channels = x.shape
        kept = (steps // pool) * pool
        return jnp.max(x[:, :kept].reshape(batch, steps // pool, pool, channels), axis=2)

    def forward(x):
        return block_max(x), x

    def backward(x, dy):
        batch, steps, channels = x.shape
        windows = steps // pool
        blocks = x[:, :windows * pool].reshape(batch, windows, pool, channels)
        first = jnp.argmax(blocks, axis=2)         # the first maximum of each window, as reduce_window's gradient
        dx = jax.nn.one_hot(first, pool, axis=2, dtype=dy.dtype) * dy[:, :, None, :]
        dx = dx.reshape(batch, windows * pool, channels)
        if windows * pool < steps:
            dx = jnp.pad(dx, ((0, 0), (0, steps - windows * pool), (0, 0)))
        return (dx,)

    block_max.defvjp(forward, backward)
    return block_max(x)


@keras.saving.register_keras_serializable(package="mer_keras")
class BlockMaxPooling1D(keras.layers.MaxPooling1D):
    """``keras.layers.MaxPooling1D`` (same arguments) with the reshape fast path described above."""

    def _fast(self) -> bool:
        return (keras.backend.backend() == "jax" and self.padding == "valid" and self.data_format == "channels_last"
                and tuple(self.strides) == tuple(self.pool_size))

    def call(self, inputs):
        if not self._fast():
            return super().call(inputs)
        return _jax_block_max(inputs, int(self.pool_size[0]))
