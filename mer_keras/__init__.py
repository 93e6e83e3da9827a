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


# Keras imports four large packages only for features this project never uses: scikit-learn (its
# SKLearn* wrappers), pandas (DataFrame inputs to fit), IPython (a notebook view of KerasFileEditor) and
# matplotlib (keras.visualization's image galleries). Together they cost 0.8-1.2 s of a 1.9-2.3 s
# `import keras` and 130-190 MiB of every process (issues 20 and 23, bench/results.md). The finder below hides those that are not imported yet while Keras's package is
# executed, so Keras takes its own "not installed" branch for them; afterwards they import normally
# (the project's scikit-learn baselines are unaffected). MER_FULL_KERAS_IMPORT=1 turns this off.
_KERAS_OPTIONAL = ("sklearn", "pandas", "IPython", "matplotlib")


class _LeanKerasImport:
    """A meta-path finder that wraps the first ``import keras`` (see above); removes itself when used."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "keras":
            return None
        import importlib.machinery
        import sys

        if cls in sys.meta_path:
            sys.meta_path.remove(cls)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            hidden = [name for name in _KERAS_OPTIONAL if name not in sys.modules]
            sys.modules.update(dict.fromkeys(hidden))
            try:
                execute(module)
            finally:
                for name in hidden:
                    if name in sys.modules and sys.modules[name] is None:
                        del sys.modules[name]

        spec.loader.exec_module = exec_module
        return spec


def _install_lean_keras_import() -> None:
    import sys

    if _os.environ.get("MER_FULL_KERAS_IMPORT") == "1" or "keras" in sys.modules:
        return
    if _LeanKerasImport not in sys.meta_path:
        sys.meta_path.insert(0, _LeanKerasImport)


_install_lean_keras_import()
