import numpy as np
import pytest

from mer_keras.errors import DataError
from mer_keras.features.normalize import FeatureScaler
from mer_keras.features.opensmile import read_opensmile
from tests.conftest import write_opensmile


def test_cut_to_excerpt_and_shape(tmp_path):
    path = write_opensmile(tmp_path / "2001.csv", rows=400, columns=5)   # a full-length song, 200 s
    features, padded = read_opensmile(path, frames=90, excerpt_seconds=45.0)
    assert features.shape == (90, 5) and padded == 0.0


def test_short_file_is_edge_padded(tmp_path):
    features, padded = read_opensmile(write_opensmile(tmp_path / "2.csv", rows=60, columns=3))
    assert padded == 15.0 and features.shape == (90, 3)
    np.testing.assert_array_equal(features[-1], features[59])


def test_nan_values_name_the_file(tmp_path):
    path = write_opensmile(tmp_path / "7.csv", rows=10, columns=3)
    lines = path.read_text().splitlines()
    fields = lines[3].split(";")
    fields[2] = "nan"
    lines[3] = ";".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="7.csv"):
        read_opensmile(path)


def test_comma_separated_file_is_rejected(tmp_path):
    path = tmp_path / "9.csv"
    path.write_text("frameTime,a,b\n0.0,1,2\n")
    with pytest.raises(DataError, match="frameTime"):
        read_opensmile(path)


def test_scaler_uses_training_statistics_only():
    train = np.random.default_rng(0).normal(3.0, 2.0, (20, 50, 4)).astype(np.float32)
    scaler = FeatureScaler().fit(train)
    scaled = scaler.transform(train.copy())
    np.testing.assert_allclose(scaled.reshape(-1, 4).mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(scaled.reshape(-1, 4).std(0), 1, atol=1e-3)


def test_summary_is_mean_then_std(tmp_path):
    from mer_keras.features.opensmile import opensmile_feature_names, summarise_opensmile

    path = write_opensmile(tmp_path / "3.csv", rows=90, columns=4)
    frames, _ = read_opensmile(path)
    summary = summarise_opensmile(frames)
    assert summary.shape == (1, 8)
    np.testing.assert_allclose(summary[0, :4], frames.mean(0), rtol=1e-5)
    assert opensmile_feature_names(path)[:2] == ["F0_sma_amean_mean", "F1_sma_amean_mean"]
    assert opensmile_feature_names(path)[4] == "F0_sma_amean_std"
