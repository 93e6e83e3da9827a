"""Which features a dataset uses, and their extraction + standardisation for a set of items."""

from __future__ import annotations

from mer_keras.data.records import Dataset
from mer_keras.features.extract import FeatureSpec


def feature_spec(dataset: Dataset, features: str) -> FeatureSpec:
    """Log-mel (window starting at the dataset's offset) or openSMILE frames, per ``specs/features.yaml``."""
    if features == "mel":
        from mer_keras.features.logmel import LogMelConfig

        return FeatureSpec("logmel", LogMelConfig.from_spec(offset=dataset.window_offset).to_dict())
    from mer_keras.features.opensmile import opensmile_params

    return FeatureSpec("opensmile", opensmile_params())
