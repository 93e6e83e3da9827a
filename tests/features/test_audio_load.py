"""load_audio's soundfile path gives librosa.load's samples bit for bit (mono, stereo, offsets, resampling)."""

import librosa
import numpy as np
import pytest
import soundfile as sf

from mer_keras.features.audio import load_audio


def _write(path, rate, channels=1, seconds=2.3, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 330 * t)
    signal = np.stack([tone + 0.05 * rng.standard_normal(t.size) for _ in range(channels)], 1)
    sf.write(path, signal.astype("float32"), rate)
    return path


@pytest.mark.parametrize("suffix,rate,channels", [(".wav", 22050, 1), (".wav", 44100, 2), (".flac", 16000, 1),
                                                  (".mp3", 44100, 1), (".ogg", 48000, 2)])
@pytest.mark.parametrize("target,offset,duration", [(22050, 0.0, None), (16000, 0.5, 1.2), (22050, 0.25, 30.0)])
def test_same_samples_as_librosa_load(tmp_path, suffix, rate, channels, target, offset, duration):
    path = _write(tmp_path / f"clip{suffix}", rate, channels)
    ours = load_audio(path, target, offset=offset, duration=duration)
    theirs, _ = librosa.load(path, sr=target, mono=True, offset=offset, duration=duration)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape and ours.size > 0
    np.testing.assert_array_equal(ours, theirs)
