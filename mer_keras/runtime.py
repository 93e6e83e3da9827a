"""Process-wide settings set once per run: seeds, threads, library versions."""

from __future__ import annotations

import os
import platform
from pathlib import Path


PRECISIONS = ("float32", "mixed_bfloat16")


def configure(seed: int, precision: str = "float32") -> None:
    """Seed Python, NumPy and the Keras backend once; set the dtype policy; apply thread settings.

    ``precision``: ``"float32"`` (the default, the documented model) or ``"mixed_bfloat16"`` (opt-in:
    bfloat16 compute with float32 variables; fast only on hardware with bfloat16 units, e.g. CPUs with
    AVX512_BF16 / AMX or recent GPUs; see ``cpu_has_bf16``). ``MER_INTRA_THREADS``/``MER_INTER_THREADS``
    set TensorFlow's thread pools.
    """
    import keras

    from mer_keras.errors import MerError

    if precision not in PRECISIONS:
        raise MerError(f"unknown precision {precision!r}; choose from {PRECISIONS}")
    keras_without_tensorflow()
    keras.utils.set_random_seed(seed)
    keras.mixed_precision.set_global_policy(precision)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        intra, inter = os.environ.get("MER_INTRA_THREADS"), os.environ.get("MER_INTER_THREADS")
        try:
            if intra:
                tf.config.threading.set_intra_op_parallelism_threads(int(intra))
            if inter:
                tf.config.threading.set_inter_op_parallelism_threads(int(inter))
        except RuntimeError:
            pass  # already initialised in this process (tests): keep the running settings


def keras_without_tensorflow() -> None:
    """Keep Keras from importing TensorFlow on the JAX (or torch) backend.

    Keras 3 asks whether TensorFlow is available (importing it, when installed) as it seeds and as it
    serialises a layer's config, i.e. on every model build, save and load: seconds of start-up and
    TensorFlow/absl log lines for nothing on another backend. Afterwards Keras counts TensorFlow as
    available only once something that needs it (keras-hub, for vit and ast) has imported it.
    Idempotent; nothing changes on the TensorFlow backend or with another Keras layout.
    """
    import sys

    import keras

    if keras.backend.backend() == "tensorflow":
        return
    try:
        from keras.src.utils import module_utils

        lazy, base = module_utils.tensorflow, module_utils.LazyModule
    except (ImportError, AttributeError):       # pragma: no cover (another Keras layout)
        return
    if type(lazy) is not base:
        return

    class ImportedOnly(base):
        @property
        def available(self):
            return self.name in sys.modules and base.available.fget(self)

    lazy.__class__ = ImportedOnly


def cpu_has_bf16() -> bool:
    """Whether this CPU reports bfloat16 instructions (``avx512_bf16`` or ``amx_bf16`` in /proc/cpuinfo)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def peak_rss_mib(children: bool = False) -> float:
    """Peak resident memory of this process so far, in MiB (``ru_maxrss``: KiB on Linux, bytes on macOS).

    Read at the end of training, it covers loading, the training features held in memory, model
    building, compilation and fitting; feature-extraction worker processes are not included. The
    project's one memory measure: runs and benches use it alike.
    """
    import resource
    import sys

    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF   # children: the largest finished child
    peak = resource.getrusage(who).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def versions() -> dict:
    import keras
    import librosa
    import numpy

    info = {"python": platform.python_version(), "keras": keras.__version__, "backend": keras.backend.backend(),
            "numpy": numpy.__version__, "librosa": librosa.__version__, "machine": platform.machine(),
            "dtype_policy": keras.mixed_precision.global_policy().name, "cpu_bf16": cpu_has_bf16()}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        info["tf_threads"] = {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                              "inter_op": tf.config.threading.get_inter_op_parallelism_threads()}
    return info
