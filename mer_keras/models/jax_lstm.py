"""The LSTM recurrence for the JAX backend: a batch-major loop with a hand-written backward pass.

:class:`mer_keras.models.projected_lstm.ProjectedLSTM` calls :func:`lstm_recurrence` on JAX (issue 23). It
computes exactly the recurrence of ``keras.layers.LSTM`` (gate order i, f, c, o; sigmoid gates, tanh
cell) from inputs already projected by the input kernel; what differs is how XLA on CPU is asked for it:

- batch-major throughout: the loop reads step ``t`` of the (batch, steps, 4 units) projection in place
  and writes its outputs in place, so no (steps, batch, ...) transposes are made before or after it;
- one ``tanh`` over all four gates (``sigmoid(x) = (tanh(x / 2) + 1) / 2``) instead of four split
  activations, which XLA compiles into fewer, larger kernels;
- a custom VJP: the backward loop computes each step's gate gradients and the recurrent product
  ``dz @ R.T`` only; the recurrent kernel's gradient, a sum over steps, is one large matrix product after
  the loop instead of a small one per step (what JAX's automatic differentiation of a scan does).

``tests/models/test_jax_lstm.py`` checks values and gradients (projection, recurrent kernel and initial
states, both directions) against automatic differentiation of the plain recurrence;
``tests/models/test_projected_lstm.py`` against ``keras.layers.LSTM``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


def _activations(t, units: int):
    """Gate activations (i, f, g, o) from ``t = tanh(z * scales)``."""
    return (0.5 * t[:, :units] + 0.5, 0.5 * t[:, units:2 * units] + 0.5, t[:, 2 * units:3 * units],
            0.5 * t[:, 3 * units:] + 0.5)


def _tanh_scales(units: int, dtype):
    """(4 units,) multipliers: 1/2 for the sigmoid gates i, f, o; 1 for the cell candidate g."""
    return jnp.where(jnp.arange(4 * units) // units == 2, 1.0, 0.5).astype(dtype)


def _read(array, index):
    return jax.lax.dynamic_index_in_dim(array, index, 1, keepdims=False)


def _write(array, value, index):
    return jax.lax.dynamic_update_index_in_dim(array, value, index, 1)


def _forward(projected, recurrent_kernel, h0, c0, reverse: bool):
    """The loop; returns hidden states, cell states and gate tanh values, all in processing order."""
    batch, steps, gates = projected.shape
    units = recurrent_kernel.shape[0]
    scales = _tanh_scales(units, projected.dtype)

    def body(k, carry):
        h, c, hs, cs, ts = carry
        z = _read(projected, steps - 1 - k if reverse else k) + h @ recurrent_kernel
        t = jnp.tanh(z * scales)
        i, f, g, o = _activations(t, units)
        c = f * c + i * g
        h = o * jnp.tanh(c)
        return h, c, _write(hs, h, k), _write(cs, c, k), _write(ts, t, k)

    dtype = projected.dtype
    init = (h0, c0, jnp.zeros((batch, steps, units), dtype), jnp.zeros((batch, steps, units), dtype),
            jnp.zeros((batch, steps, gates), dtype))
    _, _, hs, cs, ts = jax.lax.fori_loop(0, steps, body, init)
    return hs, cs, ts


@partial(jax.custom_vjp, nondiff_argnums=(4,))
def _recurrence(projected, recurrent_kernel, h0, c0, reverse):
    hs, cs, _ = _forward(projected, recurrent_kernel, h0, c0, reverse)
    return hs, cs[:, -1]


def _recurrence_fwd(projected, recurrent_kernel, h0, c0, reverse):
    hs, cs, ts = _forward(projected, recurrent_kernel, h0, c0, reverse)
    return (hs, cs[:, -1]), (hs, cs, ts, recurrent_kernel, h0, c0)


def _recurrence_bwd(reverse, residuals, cotangents):
    hs, cs, ts, recurrent_kernel, h0, c0 = residuals
    d_hs, d_c_last = cotangents
    batch, steps, units = hs.shape
    kernel_t = recurrent_kernel.T

    def body(j, carry):
        dh_next, dc_next, dzs = carry
        k = steps - 1 - j                       # processing steps, last first
        t, c = _read(ts, k), _read(cs, k)
        c_prev = jnp.where(k > 0, _read(cs, jnp.maximum(k - 1, 0)), c0)
        ti, tf, tg, to = t[:, :units], t[:, units:2 * units], t[:, 2 * units:3 * units], t[:, 3 * units:]
        i, f, o = 0.5 * ti + 0.5, 0.5 * tf + 0.5, 0.5 * to + 0.5
        dh = _read(d_hs, k) + dh_next
        tc = jnp.tanh(c)
        dc = dh * o * (1 - tc * tc) + dc_next
        dz = jnp.concatenate([dc * tg * 0.25 * (1 - ti * ti), dc * c_prev * 0.25 * (1 - tf * tf),
                              dc * i * (1 - tg * tg), dh * tc * 0.25 * (1 - to * to)], -1)
        dzs = _write(dzs, dz, steps - 1 - k if reverse else k)      # in the projection's order
        return dz @ kernel_t, dc * f, dzs

    init = (jnp.zeros_like(h0), d_c_last.astype(hs.dtype), jnp.zeros(ts.shape, hs.dtype))
    dh0, dc0, dzs = jax.lax.fori_loop(0, steps, body, init)
    # The hidden state each step multiplied by the recurrent kernel, in the projection's order.
    h_prev = jnp.concatenate([h0[:, None], hs[:, :-1]], 1)
    if reverse:
        h_prev = jnp.flip(h_prev, 1)
    d_kernel = jnp.einsum("btu,btg->ug", h_prev, dzs)
    return dzs, d_kernel, dh0, dc0


_recurrence.defvjp(_recurrence_fwd, _recurrence_bwd)


def lstm_recurrence(projected, recurrent_kernel, h0, c0, reverse: bool = False):
    """Run the LSTM recurrence over inputs already multiplied by the input kernel (plus bias).

    Parameters
    ----------
    projected : jax.Array, (batch, steps, 4 * units)
        ``x @ kernel + bias`` for every step, gate order (i, f, c, o) as in ``keras.layers.LSTM``.
    recurrent_kernel : jax.Array, (units, 4 * units)
    h0, c0 : jax.Array, (batch, units)
        Initial hidden and cell states.
    reverse : bool
        Process the steps last to first (``go_backwards``).

    Returns
    -------
    hs : (batch, steps, units), hidden states in processing order (for ``reverse``, first row = last step);
    h, c : (batch, units), the final hidden and cell states.
    """
    hs, c_last = _recurrence(projected, recurrent_kernel, h0, c0, bool(reverse))
    return hs, hs[:, -1], c_last
