"""Parallel 'same' convolutions over time with kernels of several lengths, run as one convolution.

musicnn's temporal front end convolves its one-channel log-mel patch with 51 filters of 128, 64 and 32
frames x 1 band ('same' padding), three layers whose outputs are concatenated. On XLA's CPU backend the
three took 55-58 ms for ten 3 s patches; one convolution with 153 filters of 128 frames takes 35 ms
(issue 20, bench/results.md). Each shorter kernel sits inside the longest one's window at the offset its
own 'same' padding gives it, and zeros fill the rest: the zeros add exact zeros, so the outputs equal the
three layers' bit for bit (measured: maximum difference 0). Gradients reach only the real kernels.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mer_keras")
class MultiLengthConv2D(keras.layers.Layer):
    """``Concatenate([Conv2D(filters, (length, 1), padding="same", activation=...)(x) for length in lengths])``.

    Parameters
    ----------
    filters : int
        Filters per length.
    lengths : sequence of int
        Kernel lengths along axis 1 (time, frames); the output's channels are ``filters`` per length, in this
        order.
    activation, kernel_initializer, bias_initializer :
        As ``keras.layers.Conv2D``'s.

    Input ``(batch, steps, width, channels)`` -> output ``(batch, steps, width, filters * len(lengths))``.
    Weights, per length in order: ``kernel_<length>`` (length, 1, channels, filters) and ``bias_<length>``
    (filters,), the layout of a ``Conv2D``'s ``kernel`` and ``bias``.
    """

    def __init__(self, filters: int, lengths, activation=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.lengths = int(filters), tuple(int(n) for n in lengths)
        if self.filters < 1 or not self.lengths or min(self.lengths) < 1 or len(set(self.lengths)) != len(self.lengths):
            raise ValueError(f"MultiLengthConv2D: filters must be >= 1 and lengths distinct positive integers, not "
                             f"{filters} and {lengths}")
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.kernels, self.biases = [], []
        for length in self.lengths:
            self.kernels.append(self.add_weight(name=f"kernel_{length}", shape=(length, 1, channels, self.filters),
                                                initializer=self.kernel_initializer))
            self.biases.append(self.add_weight(name=f"bias_{length}", shape=(self.filters,),
                                               initializer=self.bias_initializer))
        self.built = True

    def merged_kernel(self):
        """The kernels zero-padded into the longest one's 'same' window and concatenated: (longest, 1, in, out)."""
        longest = max(self.lengths)
        parts = []
        for length, kernel in zip(self.lengths, self.kernels):
            before = (longest - 1) // 2 - (length - 1) // 2
            parts.append(ops.pad(kernel, ((before, longest - length - before), (0, 0), (0, 0), (0, 0))))
        return ops.concatenate(parts, axis=-1)

    def call(self, inputs):
        outputs = ops.conv(inputs, self.merged_kernel(), strides=1, padding="same", data_format="channels_last")
        outputs = outputs + ops.concatenate(self.biases, axis=0)
        return self.activation(outputs) if self.activation is not None else outputs

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters * len(self.lengths))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "lengths": list(self.lengths),
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer)}
