"""The log-mel front end that training, evaluation and prediction share."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mer_keras.specs import load_spec


@dataclass(frozen=True)
class LogMelConfig:
    """Log-mel parameters (defaults: ``specs/features.yaml``): 22,050 Hz, 128 mels, hop 512, 30 s."""

    sample_rate: int = 22050
    n_mels: int = 128
    hop_length: int = 512
    n_fft: int = 2048
    duration: float = 30.0
    offset: float = 0.0
    top_db: float = 80.0

    @classmethod
    def from_spec(cls, offset: float = 0.0) -> "LogMelConfig":
        spec = load_spec("features")["logmel"]
        return cls(sample_rate=spec["sample_rate"], n_mels=spec["n_mels"], hop_length=spec["hop_length"],
                   n_fft=spec["n_fft"], duration=float(spec["duration"]), offset=float(offset),
                   top_db=float(spec["power_to_db"]["top_db"]))

    @property
    def frames(self) -> int:
        """Frames of a full window: 1 + samples // hop (librosa's centred framing); 1,292 for 30 s."""
        return 1 + int(round(self.duration * self.sample_rate)) // self.hop_length

    def to_dict(self) -> dict:
        return asdict(self)


def logmel_from_signal(signal: np.ndarray, config: LogMelConfig) -> tuple[np.ndarray, float]:
    """Log-mel of a mono signal, padded with silence to the full window.

    Returns
    -------
    features : np.ndarray, shape (config.frames, config.n_mels), float32, dB (ref 1.0)
        Time is the first axis (the CRNN's sequence axis).
    padding : float
        Seconds of silence appended (0.0 when the signal filled the window).
    """
    target = int(round(config.duration * config.sample_rate))
    padding = max(target - signal.size, 0) / config.sample_rate
    if padding:
        signal = np.pad(signal, (0, target - signal.size))
    else:
        signal = signal[:target]
    db = _power_to_db(mel_power(signal, config.sample_rate, config.n_fft, config.hop_length, config.n_mels),
                      top_db=config.top_db)
    return np.ascontiguousarray(db, dtype=np.float32), padding


def _power_to_db(power: np.ndarray, top_db: float, amin: float = 1e-10) -> np.ndarray:
    """``librosa.power_to_db(power, ref=1.0, amin=amin, top_db=top_db)``: 10 log10(max(amin, power)), floored at
    ``top_db`` below the maximum."""
    db = 10.0 * np.log10(np.maximum(amin, power))
    return np.maximum(db, db.max() - top_db)


def mel_power(signal: np.ndarray, sample_rate: int, n_fft: int, hop_length: int, n_mels: int,
              pad_mode: str = "constant") -> np.ndarray:
    """Mel power spectrogram, (1 + n_samples // hop_length, n_mels) float32: ``librosa.feature.melspectrogram``'s
    numbers (centred frames padded with ``pad_mode``, periodic Hann window, power 2, Slaney mel filters), computed
    time-first in one real FFT call, with the filter bank and window from :mod:`mer_keras.features.melbank` (no
    librosa.filters import; built once per process): 13 ms instead of 18 for a 30 s clip at 22,050 Hz (issue 23).
    ``tests/features/test_logmel_matches_librosa.py`` pins the log-mels made from it against librosa's."""
    import scipy.fft
    from numpy.lib.stride_tricks import sliding_window_view

    from mer_keras.features.melbank import hann_window, mel_filters

    padded = np.pad(np.asarray(signal, dtype=np.float32), n_fft // 2, mode=pad_mode)
    frames = sliding_window_view(padded, n_fft)[::hop_length]
    spectrum = scipy.fft.rfft(frames * hann_window(n_fft), axis=1, workers=1)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    return power @ mel_filters(sample_rate, n_fft, n_mels).T


def logmel_from_file(path: Path, config: LogMelConfig) -> tuple[np.ndarray, float]:
    """Decode ``path`` (window ``config.offset`` .. + ``duration``); return its log-mel and seconds of padding."""
    from mer_keras.features.audio import load_audio

    signal = load_audio(path, config.sample_rate, offset=config.offset, duration=config.duration)
    return logmel_from_signal(signal, config)
