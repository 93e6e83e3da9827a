"""musicnn's input pipeline and clip embeddings (issue 19): frames, patches, embedding shape, feature spec."""

import importlib.util

import numpy as np
import pytest

from mer_keras.data.records import Dataset, Item
from mer_keras.errors import DataError
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import extract_features
from mer_keras.features.for_dataset import feature_spec
from mer_keras.features.musicnn_mel import (musicnn_feature_names, musicnn_from_file, musicnn_mel, musicnn_params,
                                            musicnn_patches, summarise_embeddings)
from tests.conftest import tone, write_audio

FOURQ = Dataset(name="4q", task="va", items=[], description="", input_kind="audio")
needs_musicnn = pytest.mark.skipif(importlib.util.find_spec("musicnn") is None,
                                   reason="musicnn wheel not installed (pip install --no-deps musicnn==0.1.0)")


def test_log_mel_frames_bands_and_scale():
    signal = tone(seconds=3.0, rate=16000, freq=1000.0)
    mel = musicnn_mel(signal)
    assert mel.shape == (1 + 48000 // 256, 96) and mel.dtype == np.float32      # 188 frames of 16 ms
    assert mel.min() >= 0.0 and 3.0 < mel.max() < 8.0                          # log10(1 + 10000 x)
    peak_band = int(np.argmax(mel[50:150].mean(axis=0)))
    import librosa

    centres = librosa.mel_frequencies(96 + 2, fmax=8000.0)[1:-1]
    assert abs(centres[peak_band] - 1000.0) < 100.0                             # the 1 kHz tone's band
    assert np.all(musicnn_mel(np.zeros(16000, np.float32)) == 0.0)              # silence -> log10(1) = 0


def test_patches_do_not_overlap_and_drop_the_rest():
    mel = np.arange(1876 * 96, dtype=np.float32).reshape(1876, 96)              # 30 s at 16 kHz
    patches = musicnn_patches(mel)
    assert patches.shape == (10, 187, 96)
    np.testing.assert_array_equal(patches[3], mel[561:748])
    short = musicnn_patches(mel[:100])                                          # under 3 s: repeated
    assert short.shape == (1, 187, 96)
    np.testing.assert_array_equal(short[0, 100:187], mel[:87])
    with pytest.raises(DataError):
        musicnn_patches(mel[:0])


def test_summary_and_names():
    embeddings = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_allclose(summarise_embeddings(embeddings), [[2.0, 3.0, np.std([0, 2, 4]), np.std([1, 3, 5])]])
    names = musicnn_feature_names()
    assert len(names) == len(set(names)) == 400
    assert names[0] == "musicnn_mean_000" and names[199] == "musicnn_mean_199" and names[200] == "musicnn_sd_000"


def test_feature_spec_for_the_baselines_only():
    spec = feature_spec(FOURQ, "musicnn", family="sklearn")
    assert spec.kind == "musicnn" and spec.params == musicnn_params()
    assert spec.params["weights"] == "MSD_musicnn" and spec.params["patch_frames"] == 187
    with pytest.raises(DataError, match="classic baselines"):
        feature_spec(FOURQ, "musicnn", family="keras")


@needs_musicnn
def test_clip_embedding_and_its_cache(tmp_path):
    clip = write_audio(tmp_path / "clip.wav", seconds=7.0)                       # 2 patches of 3 s
    features, short = musicnn_from_file(clip, duration=30.0)
    assert features.shape == (1, 400) and np.all(np.isfinite(features)) and features[0, 200:].max() > 0
    assert short == pytest.approx(23.0, abs=0.01)
    spec = feature_spec(FOURQ, "musicnn", family="sklearn")
    items = [Item(item_id="a", group="a", path=clip)]
    cache = FeatureCache(tmp_path / "cache")
    first = extract_features(items, spec, cache=cache, workers=1)
    assert len(list((tmp_path / "cache" / "musicnn").glob("*.npz"))) == 1
    np.testing.assert_allclose(first.features[0], features, atol=1e-6)
    np.testing.assert_array_equal(extract_features(items, spec, cache=cache, workers=1).features, first.features)
