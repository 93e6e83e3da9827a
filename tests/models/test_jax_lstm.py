"""lstm_recurrence (the JAX recurrence with a hand-written backward pass) against autodiff of the plain LSTM."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = jax.numpy

from mer_keras.models.jax_lstm import lstm_recurrence  # noqa: E402


def _reference(projected, kernel, h0, c0, reverse):
    """The textbook recurrence (keras.layers.LSTM's gate order), differentiated by JAX itself."""
    units = kernel.shape[0]
    steps = projected[:, ::-1] if reverse else projected

    def step(carry, z_in):
        h, c = carry
        z = z_in + h @ kernel
        i, f = jax.nn.sigmoid(z[:, :units]), jax.nn.sigmoid(z[:, units:2 * units])
        g, o = jnp.tanh(z[:, 2 * units:3 * units]), jax.nn.sigmoid(z[:, 3 * units:])
        c = f * c + i * g
        h = o * jnp.tanh(c)
        return (h, c), h

    (h, c), hs = jax.lax.scan(step, (h0, c0), jnp.transpose(steps, (1, 0, 2)))
    return jnp.transpose(hs, (1, 0, 2)), h, c


@pytest.mark.parametrize("reverse", [False, True])
def test_values_and_gradients_match_autodiff_of_the_plain_recurrence(reverse):
    rng = np.random.default_rng(7)
    batch, steps, units = 3, 11, 5
    args = [jnp.asarray(rng.standard_normal(shape).astype("float32")) for shape in
            [(batch, steps, 4 * units), (units, 4 * units), (batch, units), (batch, units)]]
    args[1] = args[1] * 0.5
    weights = [jnp.asarray(rng.standard_normal(shape).astype("float32"))
               for shape in [(batch, steps, units), (batch, units), (batch, units)]]

    def loss(fn):
        # every output carries a gradient: the sequence, the last hidden state and the last cell state
        return lambda *a: sum(jnp.sum(w * out) for w, out in zip(weights, fn(*a, reverse)))

    for ours, theirs in zip(lstm_recurrence(*args, reverse), _reference(*args, reverse)):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
    expected = jax.grad(loss(_reference), argnums=(0, 1, 2, 3))(*args)
    got = jax.jit(jax.grad(loss(lstm_recurrence), argnums=(0, 1, 2, 3)))(*args)
    for name, a, b in zip(["projected", "recurrent kernel", "h0", "c0"], got, expected):
        assert np.abs(np.asarray(b)).max() > 1e-3, name
        np.testing.assert_allclose(a, b, atol=2e-5, err_msg=name)
