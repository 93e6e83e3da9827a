"""The two fixed arrays of a mel spectrogram, built with numpy alone: librosa's Slaney mel filter bank
(``librosa.filters.mel`` defaults: Slaney mel scale, Slaney area normalisation) and the periodic Hann window
(``scipy.signal.get_window("hann", n, fftbins=True)``).

Why not call librosa: importing ``librosa.filters`` pulls in scipy.signal and numba, 0.75 s of every cold
``predict.py`` (issue 20: the first result within 3 s). ``tests/features/test_melbank.py`` pins both arrays
against librosa's for the project's settings. Cached per process.
"""

from __future__ import annotations

import functools

import numpy as np

_F_SP = 200.0 / 3                     # Slaney scale: linear below 1 kHz (3 bands per 200 Hz) ...
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0         # ... logarithmic above it


def _hz_to_mel(hz: float) -> float:
    return hz / _F_SP if hz < _MIN_LOG_HZ else _MIN_LOG_MEL + np.log(hz / _MIN_LOG_HZ) / _LOGSTEP


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    hz = _F_SP * mels
    log = mels >= _MIN_LOG_MEL
    hz[log] = _MIN_LOG_HZ * np.exp(_LOGSTEP * (mels[log] - _MIN_LOG_MEL))
    return hz


@functools.lru_cache(maxsize=8)
def mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Mel filter bank, (n_mels, 1 + n_fft // 2) float32, 0 Hz to Nyquist: ``librosa.filters.mel(sr=sample_rate,
    n_fft=n_fft, n_mels=n_mels)``. Read-only (shared by every caller)."""
    fft_hz = np.fft.rfftfreq(n=n_fft, d=1.0 / sample_rate)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2.0), n_mels + 2))
    spacing = np.diff(mel_hz)
    ramps = np.subtract.outer(mel_hz, fft_hz)
    weights = np.maximum(0, np.minimum(-ramps[:-2] / spacing[:-1, None], ramps[2:] / spacing[1:, None]))
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]
    weights = weights.astype(np.float32)
    weights.setflags(write=False)
    return weights


@functools.lru_cache(maxsize=8)
def hann_window(n: int) -> np.ndarray:
    """Periodic Hann window of ``n`` points, float32 (the STFT's default window in librosa). Read-only."""
    window = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float32)
    window.setflags(write=False)
    return window
