"""The feature standardisation of a Keras run is fitted on the training part's features only (issue 26).

A tiny CRNN run (one epoch) on a synthetic DEAM with openSMILE frame features, the documented
CRNN variant whose inputs are small enough for a test that takes seconds. Every song's features
have their own mean and spread, so the statistics of the training songs differ clearly from those
of training + validation (+ test). The run's saved statistics are compared with statistics
computed here, in NumPy, from each part's features, re-read through the same extraction.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from mer_keras.cli import train_main
from mer_keras.data.records import Item
from mer_keras.features.extract import FeatureSpec, extract_features
from mer_keras.features.normalize import FeatureScaler
from tests.conftest import make_deam

N_SONGS, COLUMNS = 12, 6


def _stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    flat = features.reshape(-1, features.shape[-1]).astype(np.float64)
    return flat.mean(axis=0), flat.std(axis=0)


@pytest.fixture
def distinct_deam(tmp_path) -> Path:
    """make_deam's layout; song k's openSMILE frames are N(1.5 k, (1 + 0.3 k)²) in every column."""
    data = make_deam(tmp_path / "data", n_songs=N_SONGS, audio=False, features=True, feature_columns=COLUMNS)
    for index, path in enumerate(sorted((data / "features").glob("*.csv"), key=lambda p: int(p.stem))):
        rng = np.random.default_rng(index)
        header = ";".join(["frameTime"] + [f"F{k}_sma_amean" for k in range(COLUMNS)])
        values = 1.5 * index + (1 + 0.3 * index) * rng.standard_normal((92, COLUMNS))
        rows = [";".join([f"{i * 0.5:.1f}"] + [f"{v:.5f}" for v in row]) for i, row in enumerate(values)]
        path.write_text("\n".join([header, *rows]) + "\n")
    return data


def test_normalization_uses_training_features_only(distinct_deam, tmp_path):
    data, run = distinct_deam, tmp_path / "run"
    assert train_main(["--model", "crnn", "--dataset", "deam", "--data", str(data), "--features", "opensmile",
                       "--epochs", "1", "--batch-size", "4", "--workers", "1", "--out", str(run)]) == 0
    split = json.loads((run / "split.json").read_text())
    config = json.loads((run / "config.json").read_text())
    assert split["train"] and split["validation"] and split["test"]

    inputs = {path.stem: path for path in (data / "features").glob("*.csv")}
    spec = FeatureSpec(config["feature"]["kind"], config["feature"]["params"])

    def features(ids):
        feature_set = extract_features([Item(item_id=i, group=i, path=inputs[i]) for i in ids], spec, workers=1)
        assert feature_set.item_ids == list(ids)
        return feature_set.features

    parts = {part: features(split[part]) for part in ("train", "validation", "test")}
    train_mean, train_std = _stats(parts["train"])
    # the set-up has power: each alternative differs from the training statistics far beyond the tolerance
    for name, others in {"train+validation": ("train", "validation"), "train+validation+test": tuple(parts),
                         "train+test": ("train", "test")}.items():
        mean, std = _stats(np.concatenate([parts[part] for part in others]))
        assert np.min(np.abs(mean - train_mean)) > 0.05 or np.min(np.abs(std - train_std)) > 0.05, name

    saved = FeatureScaler.load(run / "normalization.npz")
    assert saved.mean.shape == saved.std.shape == train_mean.shape == (COLUMNS,)
    np.testing.assert_allclose(saved.mean, train_mean, rtol=1e-4, atol=1e-4,
                               err_msg="normalization mean is not the training part's")
    np.testing.assert_allclose(saved.std, train_std, rtol=1e-4, atol=1e-4,
                               err_msg="normalization std is not the training part's")
