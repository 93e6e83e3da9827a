"""The project's log-mel (one real FFT call, time first) stays within 1e-3 dB of librosa's melspectrogram."""

import dataclasses

import librosa
import numpy as np
import pytest

from mer_keras.features.logmel import LogMelConfig, logmel_from_signal


def _librosa_logmel(signal, config):
    mel = librosa.feature.melspectrogram(y=signal, sr=config.sample_rate, n_fft=config.n_fft,
                                         hop_length=config.hop_length, n_mels=config.n_mels)
    return librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=config.top_db).T


@pytest.mark.parametrize("config", [
    LogMelConfig(duration=3.0),                                                       # the spec's mel settings
    LogMelConfig(sample_rate=16000, n_mels=64, hop_length=160, n_fft=400, duration=2.0),   # other sizes
])
def test_within_a_thousandth_of_a_decibel_of_librosa(config):
    rng = np.random.default_rng(0)
    n = int(config.duration * config.sample_rate)
    t = np.arange(n) / config.sample_rate
    signal = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(n)).astype(np.float32)
    signal[n // 3: n // 2] = 0.0                           # digital silence: the top_db floor is reached
    ours, padding = logmel_from_signal(signal, config)
    theirs = _librosa_logmel(signal, config)
    assert padding == 0.0 and ours.shape == theirs.shape == (config.frames, config.n_mels)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=1e-3, rtol=0)
    assert np.ptp(ours) > 40                               # not a constant image


def test_a_padded_short_signal_too():
    config = dataclasses.replace(LogMelConfig(), duration=2.0)
    signal = np.random.default_rng(1).standard_normal(config.sample_rate // 2).astype(np.float32) * 0.1
    ours, padding = logmel_from_signal(signal, config)
    padded = np.pad(signal, (0, int(config.duration * config.sample_rate) - signal.size))
    assert padding == pytest.approx(1.5)
    np.testing.assert_allclose(ours, _librosa_logmel(padded, config), atol=1e-3, rtol=0)
