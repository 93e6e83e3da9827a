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


def test_musicnn_log_mel_matches_the_librosa_pipeline():
    """musicnn's input (16 kHz, n_fft 512, hop 256, 96 bands, reflect padding, float16 rounding, log10(1 + 1e4 x))."""
    from mer_keras.features.musicnn_mel import musicnn_mel

    rng = np.random.default_rng(2)
    t = np.arange(3 * 16000) / 16000
    signal = (0.2 * np.sin(2 * np.pi * 220 * t) + 0.02 * rng.standard_normal(t.size)).astype(np.float32)
    mel = librosa.feature.melspectrogram(y=signal, sr=16000, n_fft=512, hop_length=256, n_mels=96, pad_mode="reflect").T
    mel = np.minimum(mel, np.finfo(np.float16).max).astype(np.float16).astype(np.float32)
    expected = np.log10(10000.0 * mel + 1.0)
    ours = musicnn_mel(signal)
    assert ours.shape == expected.shape == (1 + signal.size // 256, 96)
    np.testing.assert_allclose(ours, expected, atol=1e-3, rtol=0)   # a float16 rounding may land one step apart
    assert np.mean(ours == expected) > 0.9
