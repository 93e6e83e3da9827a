"""Process-wide settings set once per run: seeds, threads, library versions."""

from __future__ import annotations

import os
import platform


def configure(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend once; apply ``MER_INTRA_THREADS``/``MER_INTER_THREADS``."""
    import keras

    keras.utils.set_random_seed(seed)
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


def versions() -> dict:
    import keras
    import librosa
    import numpy

    info = {"python": platform.python_version(), "keras": keras.__version__, "backend": keras.backend.backend(),
            "numpy": numpy.__version__, "librosa": librosa.__version__, "machine": platform.machine()}
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        info["tf_threads"] = {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                              "inter_op": tf.config.threading.get_inter_op_parallelism_threads()}
    return info
