"""One Bi-LSTM 128 layer of the CRNN (batch 32, 159 steps, 128 features), forward + backward, on JAX:
the recurrence as JAX differentiates a plain ``lax.scan`` (ProjectedLSTM before issue 23) against
:func:`mer_keras.models.jax_lstm.lstm_recurrence`. Printed, not asserted.

    python bench/lstm_layer.py [--repeats 20] [--unroll 1 4]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from machine import cpu_summary

BATCH, STEPS, FEATURES, UNITS = 32, 159, 128, 128


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--unroll", type=int, nargs="*", default=[1], help="scan unroll factors to time")
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp

    from mer_keras.models.jax_lstm import lstm_recurrence

    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((BATCH, STEPS, FEATURES), dtype=np.float32))
    params = [{"k": jnp.asarray(rng.standard_normal((FEATURES, 4 * UNITS), dtype=np.float32) * 0.05),
               "r": jnp.asarray(rng.standard_normal((UNITS, 4 * UNITS), dtype=np.float32) * 0.05),
               "b": jnp.zeros((4 * UNITS,), jnp.float32)} for _ in range(2)]
    zeros = jnp.zeros((BATCH, UNITS), jnp.float32)

    def scan_direction(p, xs, reverse, unroll):
        projected = jnp.einsum("btf,fg->tbg", xs, p["k"]) + p["b"]
        projected = projected[::-1] if reverse else projected

        def step(carry, z_in):
            h, c = carry
            i, f, g, o = jnp.split(z_in + h @ p["r"], 4, -1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h

        _, hs = jax.lax.scan(step, (zeros, zeros), projected, unroll=unroll)
        return jnp.transpose(hs[::-1] if reverse else hs, (1, 0, 2))

    def ours_direction(p, xs, reverse):
        hs, _, _ = lstm_recurrence(xs @ p["k"] + p["b"], p["r"], zeros, zeros, reverse)
        return hs[:, ::-1] if reverse else hs

    def layer(direction):
        return lambda ps, xs: jnp.concatenate([direction(ps[0], xs, False), direction(ps[1], xs, True)], -1)

    variants = {f"lax.scan autodiff, unroll {u}": layer(lambda p, xs, r, u=u: scan_direction(p, xs, r, u))
                for u in args.unroll}
    variants["lstm_recurrence (custom VJP)"] = layer(ours_direction)
    print(cpu_summary())
    reference = None
    for name, fn in variants.items():
        step = jax.jit(jax.value_and_grad(lambda ps, xs: jnp.mean(fn(ps, xs) ** 2), argnums=(0, 1)))
        out = jax.block_until_ready(step(params, x))
        start = time.perf_counter()
        for _ in range(args.repeats):
            out = step(params, x)
        jax.block_until_ready(out)
        ms = (time.perf_counter() - start) / args.repeats * 1e3
        leaves = jax.tree_util.tree_leaves(out)
        reference = reference or leaves
        diff = max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(leaves, reference))
        print(f"{name:34s} {ms:7.1f} ms forward + backward (max |gradient difference| {diff:.1e})")


if __name__ == "__main__":
    main()
