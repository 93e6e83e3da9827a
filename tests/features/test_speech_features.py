import numpy as np
import pytest

from mer_keras.data.records import Dataset, Item
from mer_keras.errors import DataError
from mer_keras.features.embeddings import read_embeddings
from mer_keras.features.extract import extract_features
from mer_keras.features.for_dataset import feature_spec
from mer_keras.features.waveform import WaveformConfig, waveform_from_file, waveform_from_signal
from tests.speech_fixtures import speech_clip


def _speech_dataset(items):
    return Dataset(name="ravdess", task="emotion", items=items, description="t", input_kind="audio")


def test_waveform_pads_and_crops_with_padding_seconds(tmp_path):
    config = WaveformConfig(sample_rate=16000, duration=2.0)
    wave, padding = waveform_from_signal(np.ones(8000, np.float32), config)
    assert wave.shape == (32000, 1) and padding == pytest.approx(1.5) and wave[8000:].sum() == 0
    wave, padding = waveform_from_signal(np.ones(40000, np.float32), config)
    assert wave.shape == (32000, 1) and padding == 0.0
    clip = speech_clip(tmp_path / "a.wav", seconds=1.0, rate=48000)          # resampled to 16 kHz
    wave, padding = waveform_from_file(clip, config)
    assert wave.shape == (32000, 1) and padding == pytest.approx(1.0, abs=1e-3)


def test_speech_features_follow_the_spec(tmp_path):
    item = Item("a", "s1", speech_clip(tmp_path / "a.flac", seconds=1.2), {"emotion": "sad"})
    mel = feature_spec(_speech_dataset([item]), "mel")
    assert mel.kind == "logmel" and mel.params["sample_rate"] == 16000
    features = extract_features([item], mel, workers=1)
    assert features.features.shape == (1, 401, 64) and features.padded["a"] == pytest.approx(2.8, abs=0.01)
    wave = extract_features([item], feature_spec(_speech_dataset([item]), "waveform"), workers=1)
    assert wave.features.shape == (1, 64000, 1)
    with pytest.raises(DataError, match="--embeddings DIR"):
        feature_spec(_speech_dataset([item]), "embeddings")


def test_embeddings_crop_pad_and_errors(tmp_path):
    np.save(tmp_path / "clip.npy", np.ones((5, 3), np.float32))
    array, padding = read_embeddings(tmp_path / "clip.wav", str(tmp_path), frames=8)
    assert array.shape == (8, 3) and padding == pytest.approx(3 * 0.02) and array[5:].sum() == 0
    assert read_embeddings(tmp_path / "clip.wav", str(tmp_path), frames=2)[0].shape == (2, 3)
    with pytest.raises(DataError, match="no embeddings file"):
        read_embeddings(tmp_path / "other.wav", str(tmp_path), frames=8)
    np.save(tmp_path / "flat.npy", np.ones(5, np.float32))
    with pytest.raises(DataError, match=r"expected \(frames, dim\)"):
        read_embeddings(tmp_path / "flat.wav", str(tmp_path), frames=8)
