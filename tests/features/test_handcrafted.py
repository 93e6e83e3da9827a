import numpy as np
import pytest

from mer_keras.features.handcrafted import DESCRIPTORS, feature_names, handcrafted_from_file, handcrafted_from_signal
from tests.conftest import tone, write_audio


def test_vector_shape_and_names():
    vector = handcrafted_from_signal(tone(3.0))
    assert vector.shape == (1, 181) == (1, len(feature_names()))
    assert sum(d for _, d in DESCRIPTORS) * 2 + 1 == 181
    assert np.all(np.isfinite(vector))


def _sine(freq, amplitude=0.3, seconds=3.0, rate=22050):
    return (amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def test_features_respond_to_the_audio():
    low, high = handcrafted_from_signal(_sine(200)), handcrafted_from_signal(_sine(3000))
    centroid = feature_names().index("spectral_centroid_mean")
    assert high[0, centroid] > 2 * low[0, centroid]
    rms = feature_names().index("rms_mean")
    assert handcrafted_from_signal(_sine(440, 0.03))[0, rms] < handcrafted_from_signal(_sine(440, 0.3))[0, rms]


def test_from_file_reports_padding(tmp_path):
    vector, padded = handcrafted_from_file(write_audio(tmp_path / "a.mp3", seconds=2.0))
    assert padded == pytest.approx(28.0, abs=0.01) and vector.shape == (1, 181)
