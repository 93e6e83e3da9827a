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

    def fit(self, features: np.ndarray, chunk: int = 64) -> "FeatureScaler":
        """Mean and standard deviation per feature over all items and frames, in float64, computed
        ``chunk`` items at a time so that no float64 copy of the whole set is made."""
        n_features = features.shape[-1]
        count, total = 0, np.zeros(n_features)
        for start in range(0, len(features), chunk):
            block = features[start:start + chunk].reshape(-1, n_features)
            total += block.sum(axis=0, dtype=np.float64)
            count += len(block)
        mean = total / count
        squares = np.zeros(n_features)
        for start in range(0, len(features), chunk):
            block = features[start:start + chunk].reshape(-1, n_features).astype(np.float64) - mean
            squares += np.einsum("ij,ij->j", block, block)
        self.mean = mean.astype(np.float32)
        self.std = np.maximum(np.sqrt(squares / count), 1e-6).astype(np.float32)
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
