"""Raw waveform input (the attention CRNN's wav2vec 2.0-style encoder): mono, fixed rate and length."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mer_keras.specs import load_spec


@dataclass(frozen=True)
class WaveformConfig:
    """Sample rate and window (defaults: ``specs/features.yaml`` ``speech.waveform``): 16 kHz, 4 s from the start."""

    sample_rate: int = 16000
    duration: float = 4.0
    offset: float = 0.0

    @classmethod
    def from_spec(cls) -> "WaveformConfig":
        spec = load_spec("features")["speech"]["waveform"]
        return cls(sample_rate=int(spec["sample_rate"]), duration=float(spec["duration"]))

    @property
    def samples(self) -> int:
        return int(round(self.duration * self.sample_rate))

    def to_dict(self) -> dict:
        return asdict(self)


def waveform_from_signal(signal: np.ndarray, config: WaveformConfig) -> tuple[np.ndarray, float]:
    """Crop or zero-pad a mono signal to the window.

    Returns
    -------
    waveform : np.ndarray, shape (config.samples, 1), float32
        Time first, one channel (the encoder's Conv1D input).
    padding : float
        Seconds of silence appended (0.0 when the signal filled the window).
    """
    target = config.samples
    padding = max(target - signal.size, 0) / config.sample_rate
    signal = np.pad(signal, (0, target - signal.size)) if padding else signal[:target]
    return np.ascontiguousarray(signal[:, None], dtype=np.float32), padding


def waveform_from_file(path: Path, config: WaveformConfig) -> tuple[np.ndarray, float]:
    """Decode ``path`` at ``config.sample_rate`` (resampled if needed); return its window and seconds of padding."""
    from mer_keras.features.audio import load_audio

    signal = load_audio(path, config.sample_rate, offset=config.offset, duration=config.duration)
    return waveform_from_signal(signal, config)
