"""mer_keras: music and speech emotion models in Keras 3, judged against the claims they were sold with."""

import importlib.util as _util
import os as _os

__version__ = "0.1.0"

# Keras backend: JAX by default (bench/results.md: the CRNN trains 2.3x faster than on TensorFlow
# on the project's 2-core CPU). KERAS_BACKEND, when set, wins; without jax installed, Keras's own
# default (TensorFlow) is used. This must run before the first `import keras`.
if "KERAS_BACKEND" not in _os.environ and _util.find_spec("jax") is not None:
    _os.environ["KERAS_BACKEND"] = "jax"
