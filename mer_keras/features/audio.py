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
    path = Path(path)
    if not path.is_file():
        raise DataError(f"audio file not found: {path}")
    if path.stat().st_size == 0:
        raise DataError(f"audio file is empty (0 bytes): {path}; re-copy it from the dataset")
    try:
        signal = _soundfile_load(path, sample_rate, offset, duration)
        if signal is None:                      # a format libsndfile does not read: librosa's audioread path
            import librosa

            signal, _ = librosa.load(path, sr=sample_rate, mono=True, offset=offset, duration=duration)
    except Exception as exc:  # soundfile/audioread raise many types for corrupt data
        raise DataError(f"cannot decode audio {path}: {type(exc).__name__}: {exc}. The file is corrupt or truncated; re-copy it") from None
    if signal.size == 0:
        raise DataError(f"audio {path} has no samples from {offset} s on; it is shorter than the window start")
    if not np.all(np.isfinite(signal)):
        raise DataError(f"audio {path} decodes to NaN/inf samples; the file is corrupt")
    return signal.astype(np.float32, copy=False)


def _soundfile_load(path: Path, sample_rate: int, offset: float, duration: float | None) -> np.ndarray | None:
    """``librosa.load(path, sr=sample_rate, mono=True, offset=offset, duration=duration)`` for the formats
    libsndfile reads, step for step (seek, read, mean over channels, soxr 'HQ' resampling, length fixed to
    ceil(n x ratio)) but without importing librosa's own dependencies (scipy.signal, numba: 1.2 s of a cold
    ``predict.py``); ``tests/features/test_audio_load.py`` pins it bit for bit. None when libsndfile cannot
    open the file (the caller then uses librosa.load, which tries audioread)."""
    import soundfile as sf

    try:
        handle = sf.SoundFile(path)
    except sf.LibsndfileError:
        return None
    with handle:
        native = handle.samplerate
        if offset:
            if int(offset * native) >= handle.frames:
                return np.zeros(0, np.float32)          # the window starts after the end (an error above)
            handle.seek(int(offset * native))
        frames = int(duration * native) if duration is not None else -1
        signal = handle.read(frames=frames, dtype="float32", always_2d=False).T
    if signal.ndim > 1:
        signal = np.mean(signal, axis=0)
    if native != sample_rate and signal.size:
        import soxr

        target = int(np.ceil(signal.size * float(sample_rate) / native))
        signal = np.asarray(soxr.resample(signal, native, sample_rate, quality="soxr_hq"), dtype=np.float32)
        signal = signal[:target] if signal.size >= target else np.pad(signal, (0, target - signal.size))
    return signal
