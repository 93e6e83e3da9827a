"""The CRNN's mathematics pinned on fixed weights: any speed-up must leave these outputs unchanged.

Weights and inputs come from a seeded NumPy generator (no file needed); the expected outputs were
computed with Keras 3.15.1 on TensorFlow 2.21 (CPU) and agree with Keras on JAX 0.10.2 to float
rounding (largest difference 1.3e-6). Removing the output tanh alone moves them by 0.11; a change
of layers, activations, pooling or recurrent maths moves them far beyond the
tolerance.
"""

import numpy as np

EXPECTED = [[-0.08026887476444244, -0.31757575273513794], [-0.55122309923172, -0.6346681714057922]]


def fixed_weight_outputs() -> np.ndarray:
    from mer_keras.models.crnn import build_crnn

    model = build_crnn()
    rng = np.random.default_rng(1234)
    model.set_weights([rng.normal(0.0, 0.2, w.shape).astype(np.float32) for w in model.get_weights()])
    x = rng.normal(0.0, 1.0, (2, 1292, 128)).astype(np.float32)
    return np.asarray(model(x, training=False))


def test_outputs_on_fixed_weights_are_unchanged():
    np.testing.assert_allclose(fixed_weight_outputs(), np.array(EXPECTED), rtol=0, atol=2e-5)
