"""The log-mel front end that training, evaluation and prediction share."""

from __future__ import annotations

import functools
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
    import librosa

    target = int(round(config.duration * config.sample_rate))
    padding = max(target - signal.size, 0) / config.sample_rate
    if padding:
        signal = np.pad(signal, (0, target - signal.size))
    else:
        signal = signal[:target]
    db = librosa.power_to_db(mel_power(signal, config), ref=1.0, amin=1e-10, top_db=config.top_db)
    return np.ascontiguousarray(db, dtype=np.float32), padding


@functools.lru_cache(maxsize=8)
def _mel_basis(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    import librosa

    return np.ascontiguousarray(librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels).T, dtype=np.float32)


@functools.lru_cache(maxsize=8)
def _window(n_fft: int) -> np.ndarray:
    import librosa

    return librosa.filters.get_window("hann", n_fft, fftbins=True).astype(np.float32)


def mel_power(signal: np.ndarray, config: LogMelConfig) -> np.ndarray:
    """Mel power spectrogram, (frames, n_mels) float32: ``librosa.feature.melspectrogram``'s numbers (centred
    frames, zero padding, periodic Hann window, power 2, Slaney mel filters), computed time-first in one real FFT
    call with the filter bank and window built once per process: 13 ms instead of 18 for a 30 s clip (issue 23).
    ``tests/features/test_logmel_matches_librosa.py`` pins the log-mel within 1e-3 dB of librosa's."""
    import librosa
    import scipy.fft

    n_fft = config.n_fft
    padded = np.pad(np.asarray(signal, dtype=np.float32), n_fft // 2)
    frames = librosa.util.frame(padded, frame_length=n_fft, hop_length=config.hop_length, axis=0)
    spectrum = scipy.fft.rfft(frames * _window(n_fft), axis=1, workers=1)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    return power @ _mel_basis(config.sample_rate, n_fft, config.n_mels)


def logmel_from_file(path: Path, config: LogMelConfig) -> tuple[np.ndarray, float]:
    """Decode ``path`` (window ``config.offset`` .. + ``duration``); return its log-mel and seconds of padding."""
    from mer_keras.features.audio import load_audio

    signal = load_audio(path, config.sample_rate, offset=config.offset, duration=config.duration)
    return logmel_from_signal(signal, config)
