"""Audio loading with the checks a user needs: missing, unreadable, empty or non-finite audio."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from mer_keras.errors import DataError

# librosa's audioread fallback (formats libsndfile cannot read) warns on every file; a failure still raises.
# Filters set once here, not per call: extraction decodes in threads, and catch_warnings is not thread-safe.
warnings.filterwarnings("ignore", message="PySoundFile failed", category=UserWarning)
warnings.filterwarnings("ignore", message=r".*__audioread_load", category=FutureWarning)


def load_audio(path: Path, sample_rate: int, offset: float = 0.0, duration: float | None = None) -> np.ndarray:
    """Decode ``path`` to mono float32 at ``sample_rate`` Hz.

    Parameters
    ----------
    path : Path
        Any format librosa reads (wav, flac, mp3, ogg/opus, ...).
    sample_rate : int
        Target rate in Hz; the file is resampled (soxr) when it differs.
    offset, duration : float
        Window in seconds. A clip shorter than ``offset`` yields an empty array, which is an error.

    Returns
    -------
    np.ndarray, shape (n_samples,), float32
    """
    import librosa

    path = Path(path)
    if not path.is_file():
        raise DataError(f"audio file not found: {path}")
    if path.stat().st_size == 0:
        raise DataError(f"audio file is empty (0 bytes): {path}; re-copy it from the dataset")
    try:
        signal, _ = librosa.load(path, sr=sample_rate, mono=True, offset=offset, duration=duration)
    except Exception as exc:  # soundfile/audioread raise many types for corrupt data
        raise DataError(f"cannot decode audio {path}: {type(exc).__name__}: {exc}. The file is corrupt or truncated; re-copy it") from None
    if signal.size == 0:
        raise DataError(f"audio {path} has no samples from {offset} s on; it is shorter than the window start")
    if not np.all(np.isfinite(signal)):
        raise DataError(f"audio {path} decodes to NaN/inf samples; the file is corrupt")
    return signal.astype(np.float32, copy=False)
