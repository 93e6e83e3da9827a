"""An LSTM layer that computes the same function as ``keras.layers.LSTM``, faster on CPU.

Keras's generic recurrent loop (used on CPU by every backend) multiplies each time step's input by
the input kernel inside the loop: ``steps`` small matrix products. ``ProjectedLSTM`` does the input
projection of all steps as one large matrix product before the loop and keeps only the recurrent
product inside it (as cuDNN and PyTorch's CPU LSTM do). Weights, gate order (i, f, c, o), outputs and
config are those of ``keras.layers.LSTM``; ``tests/models/test_projected_lstm.py`` checks outputs and
gradients against it. Masking, dropout, ``unroll`` and ``use_bias=False`` fall back to the stock loop.
On JAX the recurrence itself is :func:`mer_keras.models.jax_lstm.lstm_recurrence` (batch-major, one
``tanh`` for all gates, a hand-written backward pass; issue 23).
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mer_keras")
class ProjectedLSTM(keras.layers.LSTM):
    """``keras.layers.LSTM`` with the input projection hoisted out of the time loop (same arguments)."""

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        if mask is not None or self.dropout or self.recurrent_dropout or self.unroll or not cell.use_bias:
            return super().inner_loop(sequences, initial_state, mask, training)
        if keras.backend.backend() == "jax":
            from mer_keras.models.jax_lstm import lstm_recurrence

            projected = ops.matmul(sequences, cell.kernel) + cell.bias
            outputs, h, c = lstm_recurrence(projected, ops.convert_to_tensor(cell.recurrent_kernel), *initial_state[:2],
                                            reverse=self.go_backwards)
            return h, (outputs if self.return_sequences else h), [h, c]
        steps = ops.flip(sequences, axis=1) if self.go_backwards else sequences
        # (batch, steps, features) @ (features, 4 units) -> (steps, batch, 4 units): one matmul for all steps.
        projected = ops.transpose(ops.matmul(steps, cell.kernel) + cell.bias, (1, 0, 2))
        activation, gate = cell.activation, cell.recurrent_activation
        recurrent_kernel = cell.recurrent_kernel

        def step(carry, projected_input):
            h, c = carry
            i, f, g, o = ops.split(projected_input + ops.matmul(h, recurrent_kernel), 4, axis=-1)
            c = gate(f) * c + gate(i) * activation(g)
            h = gate(o) * activation(c)
            return (h, c), (h, c)   # TensorFlow's scan needs outputs shaped like the carry

        (h, c), (outputs, _) = ops.scan(step, (initial_state[0], initial_state[1]), projected)
        outputs = ops.transpose(outputs, (1, 0, 2)) if self.return_sequences else h
        return h, outputs, [h, c]
