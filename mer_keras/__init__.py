"""mer_keras: music and speech emotion models in Keras 3, judged against the claims they were sold with."""

import importlib.util as _util
import os as _os

__version__ = "0.1.0"

# Keras backend: JAX by default (bench/results.md: the CRNN trains 2.3x faster than on TensorFlow
# on the project's 2-core CPU). KERAS_BACKEND, when set, wins; without jax installed, Keras's own
# default (TensorFlow) is used. This must run before the first `import keras`.
if "KERAS_BACKEND" not in _os.environ and _util.find_spec("jax") is not None:
    _os.environ["KERAS_BACKEND"] = "jax"

# XLA programs compiled on the JAX backend are kept in the feature cache's folder (``$MER_CACHE/xla``,
# else ~/.cache/mer_keras/xla) and reused by later processes: a cold ``predict.py`` compiles musicnn's
# ~20 small programs in about a second otherwise. Any JAX_COMPILATION_CACHE_DIR the user sets wins;
# JAX_COMPILATION_CACHE_DIR="" turns the cache off.
def _compilation_cache() -> None:
    if "JAX_COMPILATION_CACHE_DIR" in _os.environ:
        return
    root = _os.environ.get("MER_CACHE") or _os.path.join(_os.path.expanduser("~"), ".cache", "mer_keras")
    folder = _os.path.join(root, "xla")
    try:
        _os.makedirs(folder, exist_ok=True)
    except OSError:
        return                       # unwritable: no cache (JAX would warn on every compile)
    if _os.access(folder, _os.W_OK):
        _os.environ["JAX_COMPILATION_CACHE_DIR"] = folder
        _os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")


_compilation_cache()
