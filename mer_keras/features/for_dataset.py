"""Which features a dataset and model family use: ``--features`` -> a :class:`FeatureSpec`."""

from __future__ import annotations

from mer_keras.data.records import Dataset
from mer_keras.errors import DataError
from mer_keras.features.extract import FeatureSpec

FEATURES = ("mel", "opensmile", "handcrafted")


def feature_spec(dataset: Dataset, features: str, family: str = "keras") -> FeatureSpec:
    """The extraction for ``features`` on ``dataset``, per ``specs/features.yaml``.

    - ``mel``: log-mel sequence (Keras models), window starting at the dataset's offset;
    - ``handcrafted``: 181 librosa descriptors per clip over the same window (baselines);
    - ``opensmile``: DEAM's openSMILE frames (Keras models) or their per-song mean/std (baselines).
    """
    from mer_keras.features.logmel import LogMelConfig

    window = LogMelConfig.from_spec(offset=dataset.window_offset)
    if features == "mel":
        if family != "keras":
            raise DataError("the classic baselines take --features handcrafted or opensmile, not a log-mel sequence")
        return FeatureSpec("logmel", window.to_dict())
    if features == "handcrafted":
        return FeatureSpec("handcrafted", {"sample_rate": window.sample_rate, "n_fft": window.n_fft,
                                           "hop_length": window.hop_length, "duration": window.duration,
                                           "offset": window.offset})
    if features == "opensmile":
        from mer_keras.features.opensmile import opensmile_params

        return FeatureSpec("opensmile" if family == "keras" else "opensmile_summary", opensmile_params())
    raise DataError(f"unknown features {features!r}; choose from {FEATURES}")
