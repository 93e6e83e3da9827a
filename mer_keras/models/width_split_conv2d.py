"""A ``keras.layers.Conv2D`` whose wide kernels are run as narrower slices on JAX, faster on CPU.

musicnn's second timbral convolution (204 filters of 7 x 67 over one channel) ran at 53-60 ms for ten
3 s patches on XLA's CPU backend, against 35 ms when its kernel is cut along its width into 38 + 29
columns, each convolved with the input bands it covers, and the two results added (issue 20,
bench/results.md). The sums are the same products added in another order (differences ~1e-6). The split
applies to ``padding="valid"``, stride 1, no dilation, no groups, channels last, on the JAX backend;
any other setting, and every other backend, runs the stock layer. Weights: those of ``Conv2D``.
Config: that of ``Conv2D`` plus ``max_width``.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mer_keras")
class WidthSplitConv2D(keras.layers.Conv2D):
    """``keras.layers.Conv2D`` (same arguments) computed from kernel slices of at most ``max_width`` columns.

    Parameters
    ----------
    max_width : int
        Widest kernel slice (kernel axis 1, the input's axis 2: mel bands for musicnn), >= 1.
    """

    def __init__(self, *args, max_width: int = 38, **kwargs):
        super().__init__(*args, **kwargs)
        if int(max_width) < 1:
            raise ValueError(f"WidthSplitConv2D: max_width must be >= 1, not {max_width}")
        self.max_width = int(max_width)

    def _split(self) -> bool:
        return (keras.backend.backend() == "jax" and self.padding == "valid" and self.data_format == "channels_last"
                and tuple(self.strides) == (1, 1) and tuple(self.dilation_rate) == (1, 1) and self.groups == 1
                and self.kernel_size[1] > self.max_width)

    def call(self, inputs):
        if not self._split():
            return super().call(inputs)
        width = self.kernel_size[1]
        out_width = inputs.shape[2] - width + 1
        total = None
        for start in range(0, width, self.max_width):
            stop = min(start + self.max_width, width)
            part = ops.conv(inputs[:, :, start:start + out_width + stop - start - 1], self.kernel[:, start:stop],
                            strides=1, padding="valid", data_format="channels_last")
            total = part if total is None else total + part
        if self.use_bias:
            total = total + self.bias
        return self.activation(total) if self.activation is not None else total

    def get_config(self):
        return {**super().get_config(), "max_width": self.max_width}
