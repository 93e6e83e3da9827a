"""Per-feature standardisation fitted on training songs only, saved with the run."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class FeatureScaler:
    """Standardise each feature (mel bin or openSMILE column) over all training frames.

    ``fit`` takes (n_items, frames, features) arrays and returns self; ``transform`` works in place
    on float32 to avoid a second copy of a large feature set.
    """

    def __init__(self, mean: np.ndarray | None = None, std: np.ndarray | None = None):
        self.mean, self.std = mean, std

    def fit(self, features: np.ndarray) -> "FeatureScaler":
        flat = features.reshape(-1, features.shape[-1])
        self.mean = flat.mean(axis=0, dtype=np.float64).astype(np.float32)
        self.std = np.maximum(flat.std(axis=0, dtype=np.float64), 1e-6).astype(np.float32)
        return self

    def transform(self, features: np.ndarray) -> np.ndarray:
        features -= self.mean
        features /= self.std
        return features

    def save(self, path: Path) -> None:
        np.savez(path, mean=self.mean, std=self.std)

    @classmethod
    def load(cls, path: Path) -> "FeatureScaler":
        with np.load(path) as archive:
            return cls(archive["mean"], archive["std"])
