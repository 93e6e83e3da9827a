"""openSMILE frame features in DEAM's layout: read from DEAM's files, or computed from audio.

DEAM ships ``features/<song_id>.csv`` (``;``-separated, first column ``frameTime``, one row per
0.5 s, 260 columns): openSMILE's ComParE low-level descriptors (65 LLDs, 10 ms frames) and their
deltas, each summarised over 1 s windows every 0.5 s by its standard deviation and mean.
:func:`read_opensmile` reads those files.

For audio datasets (4Q, or DEAM's own mp3s) :func:`opensmile_from_file` computes the same layout
with the ``opensmile`` package (2.6.0, ComParE_2016, one pass over the levels ``lld;lld_de``):

- audio decoded with :func:`mer_keras.features.audio.load_audio` at 16 kHz mono (``specs/features.yaml``
  ``opensmile_audio``), over the log-mel's window (30 s from the dataset's offset);
- window ``k`` covers the LLD frames that start in ``[0.5 k, 0.5 k + 1)`` s; only complete
  windows are kept (59 for 30 s of audio), shorter clips are edge-padded like DEAM's short files;
- per window and column: ``stddev`` (population, openSMILE's) then ``amean``; columns in DEAM's
  order: the 65 LLDs, then the 65 deltas, each as ``<name>_stddev``, ``<name>_amean``.

Names: DEAM's wherever the two differ. ComParE_2016 in the ``opensmile`` package names the MFCCs
``mfcc_sma[i]`` / ``mfcc_sma_de[i]`` (i = 1..14); DEAM names them ``pcm_fftMag_mfcc_sma[i]`` /
``pcm_fftMag_mfcc_sma_de[i]``. Every other LLD has the same name in both (``F0final_sma``,
``audSpec_Rfilt_sma[0]``, ``audSpec_Rfilt_sma_de[0]``, ``pcm_fftMag_spectralFlux_sma``, ...).
DEAM computed its files from 44.1 kHz audio; at 16 kHz the spectral LLDs (centroid, roll-off,
entropy, flux, ...) see the band up to 8 kHz only, so their values are not DEAM's numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mer_keras.errors import DataError, MerError
from mer_keras.specs import load_spec

# ComParE_2016 name -> DEAM name, where they differ (prefixes; the index in brackets is kept).
DEAM_NAMES = {"mfcc_sma[": "pcm_fftMag_mfcc_sma[", "mfcc_sma_de[": "pcm_fftMag_mfcc_sma_de["}
STATISTICS = ("stddev", "amean")          # per window, in DEAM's column order
LLD_LEVELS = "lld;lld_de"                 # ComParE_2016's LLD and delta levels, read in one pass


def opensmile_params() -> dict:
    spec = load_spec("features")["opensmile"]
    return {"frames": int(spec["frames"]), "excerpt_seconds": float(spec["excerpt_seconds"])}


def read_opensmile(path: Path, frames: int = 90, excerpt_seconds: float = 45.0,
                   start: float = 0.0, frame_step: float = 0.5) -> tuple[np.ndarray, float]:
    """Read one song's openSMILE frames cut to its annotated excerpt.

    Rows with ``start <= frameTime < start + excerpt_seconds`` are kept (full-length songs:
    their first 45 s unless segment times are given), then truncated or edge-padded to ``frames``.

    Returns
    -------
    features : np.ndarray, shape (frames, n_features), float32
    padding : float
        Seconds of edge padding (missing rows x ``frame_step``).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"openSMILE feature file not found: {path}")
    try:
        table = pd.read_csv(path, sep=";")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read openSMILE features {path} ({exc}); expected DEAM's ';'-separated CSV") from None
    table.columns = [str(column).strip() for column in table.columns]
    if "frameTime" not in table.columns or table.shape[1] < 2:
        raise DataError(f"openSMILE features {path}: expected a ';'-separated file whose first column is frameTime")
    times = pd.to_numeric(table["frameTime"], errors="coerce").to_numpy()
    values = table.drop(columns=["frameTime"]).apply(pd.to_numeric, errors="coerce").to_numpy(np.float32)
    keep = (times >= start) & (times < start + excerpt_seconds)
    values = values[keep]
    if values.shape[0] == 0:
        raise DataError(f"openSMILE features {path} have no rows between {start} and {start + excerpt_seconds} s")
    if not np.all(np.isfinite(values)):
        raise DataError(f"openSMILE features {path} contain NaN or non-numeric values")
    missing = max(frames - values.shape[0], 0)
    if missing:
        values = np.pad(values, ((0, missing), (0, 0)), mode="edge")
    return np.ascontiguousarray(values[:frames]), missing * frame_step


def summarise_opensmile(frames: np.ndarray) -> np.ndarray:
    """Per-song summary for the classic baselines: each feature's mean, then its standard deviation.

    ``frames`` (n_frames, n_features) -> (1, 2 * n_features), float32.
    """
    return np.concatenate([frames.mean(axis=0), frames.std(axis=0)])[None, :].astype(np.float32)


def summary_feature_names(columns: list[str]) -> list[str]:
    """Names of :func:`summarise_opensmile`'s output for frame columns ``columns``: ``<column>_mean`` then ``<column>_std``."""
    return [f"{c}_mean" for c in columns] + [f"{c}_std" for c in columns]


def opensmile_feature_names(path: Path) -> list[str]:
    """Names of the summary features from a feature file's header: ``<column>_mean`` then ``<column>_std``."""
    return summary_feature_names([c.strip() for c in Path(path).read_text().splitlines()[0].split(";")[1:]])


# --- computed from audio -------------------------------------------------------------------------

def opensmile_audio_params(offset: float = 0.0) -> dict:
    """Parameters of :func:`opensmile_from_file` (all part of the cache key): ``specs/features.yaml``
    ``opensmile_audio``, over the log-mel's window (its duration; ``offset``: the dataset's window start)."""
    spec = load_spec("features")
    audio, duration = spec["opensmile_audio"], float(spec["logmel"]["duration"])
    window, hop = float(audio["window_seconds"]), float(audio["hop_seconds"])
    return {"sample_rate": int(audio["sample_rate"]), "offset": float(offset), "duration": duration,
            "window_seconds": window, "hop_seconds": hop, "frames": window_count(duration, window, hop)}


def window_count(seconds: float, window_seconds: float = 1.0, hop_seconds: float = 0.5) -> int:
    """Complete windows of ``window_seconds`` every ``hop_seconds`` in ``seconds`` of audio (59 for 30 s)."""
    total, window, hop = (int(round(value * 1000)) for value in (seconds, window_seconds, hop_seconds))
    return 0 if total < window else (total - window) // hop + 1


_SMILE = None   # one extractor per process (workers build their own)


def import_opensmile():
    """``import opensmile``, with its C library first loaded so that it calls its own functions.

    libSMILEapi.so and TensorFlow's libtensorflow_framework.so.2 both export Ooura's FFT (``rdft``,
    ``cdft``, ``makewt``, ...), openSMILE's in float and TensorFlow's in double. TensorFlow loads its
    libraries RTLD_GLOBAL (Keras imports it, even on the JAX backend), and from then on openSMILE's
    FFT calls resolve to TensorFlow's and corrupt the heap: the process aborts with
    ``malloc(): invalid size``. Loaded once with RTLD_DEEPBIND (Linux), libSMILEapi resolves its
    own symbols first, whatever is imported before or after; the package's own ``LoadLibrary`` of
    the same file then reuses that load.
    """
    import sys

    if sys.platform.startswith("linux") and "opensmile.core.lib" not in sys.modules:
        import ctypes
        import importlib.util
        import os
        import platform

        spec = importlib.util.find_spec("opensmile")
        if spec is not None and spec.submodule_search_locations:
            root = Path(list(spec.submodule_search_locations)[0]) / "core" / "bin"
            for library in sorted(root.glob(f"*{platform.machine()}/libSMILEapi.so")):
                ctypes.CDLL(str(library), mode=os.RTLD_NOW | os.RTLD_LOCAL | os.RTLD_DEEPBIND)
                break
    try:
        import opensmile
    except ImportError:
        raise MerError("--features opensmile on audio needs the opensmile package: pip install opensmile==2.6.0") from None
    return opensmile


def _smile():
    """The ComParE_2016 extractor for LLDs + deltas, one per process."""
    global _SMILE
    if _SMILE is None:
        opensmile = import_opensmile()
        _SMILE = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016, feature_level=LLD_LEVELS)
    return _SMILE


def _deam_name(name: str) -> str:
    for compare, deam in DEAM_NAMES.items():
        if name.startswith(compare):
            return deam + name[len(compare):]
    return name


def opensmile_lld_names() -> list[str]:
    """The 130 ComParE_2016 LLD and delta names in DEAM's spelling: 65 LLDs, then their 65 deltas."""
    return [_deam_name(name) for name in _smile().feature_names]


def opensmile_audio_columns() -> list[str]:
    """The 260 columns of :func:`opensmile_frames_from_signal`, DEAM's names and order:
    ``F0final_sma_stddev, F0final_sma_amean, ..., pcm_fftMag_mfcc_sma_de[14]_amean``."""
    return [f"{name}_{statistic}" for name in opensmile_lld_names() for statistic in STATISTICS]


def opensmile_frames_from_signal(signal: np.ndarray, sample_rate: int, window_seconds: float = 1.0,
                                 hop_seconds: float = 0.5) -> np.ndarray:
    """DEAM-layout openSMILE rows of a mono signal: ComParE LLDs + deltas, sd and mean per window.

    Parameters
    ----------
    signal : np.ndarray, shape (n_samples,), float32
        Mono audio in [-1, 1] (clipped there before openSMILE's 16-bit conversion).
    sample_rate : int
        Hz.
    window_seconds, hop_seconds : float
        Summary windows: ``window_seconds`` long, one every ``hop_seconds`` (DEAM: 1 s, 0.5 s).

    Returns
    -------
    np.ndarray, shape (n_windows, 260), float32
        Row ``k`` summarises the 10 ms LLD frames starting in ``[k * hop, k * hop + window)`` s;
        ``n_windows = window_count(n_samples / sample_rate, ...)`` (complete windows only, may be 0).
        Columns as :func:`opensmile_audio_columns`, each in its LLD's unit (Hz for ``F0final_sma``
        and the spectral centroid and roll-offs; per 10 ms frame for the deltas).
    """
    n_windows = window_count(signal.size / sample_rate, window_seconds, hop_seconds)
    n_columns = 2 * len(_smile().feature_names)
    if n_windows == 0:
        return np.empty((0, n_columns), np.float32)
    clipped = np.clip(signal, -1.0, 32767 / 32768).astype(np.float32)   # openSMILE casts x * 32768 to int16
    table = _smile().process_signal(clipped, sample_rate)
    starts_ms = np.round(table.index.get_level_values("start").total_seconds().to_numpy() * 1000).astype(np.int64)
    # openSMILE repeats the last start time for frames clamped at the end of the signal: keep the first
    first = np.concatenate([[True], np.diff(starts_ms) > 0])
    starts_ms, values = starts_ms[first], table.to_numpy(np.float64)[first]
    window_ms, hop_ms = int(round(window_seconds * 1000)), int(round(hop_seconds * 1000))
    frames = np.empty((n_windows, values.shape[1], len(STATISTICS)), np.float64)
    for k in range(n_windows):
        rows = values[(starts_ms >= k * hop_ms) & (starts_ms < k * hop_ms + window_ms)]
        frames[k, :, 0] = rows.std(axis=0) if len(rows) else np.nan
        frames[k, :, 1] = rows.mean(axis=0) if len(rows) else np.nan
    return frames.reshape(n_windows, -1).astype(np.float32)


def opensmile_from_file(path: Path, sample_rate: int = 16000, offset: float = 0.0, duration: float = 30.0,
                        window_seconds: float = 1.0, hop_seconds: float = 0.5, frames: int = 59) -> tuple[np.ndarray, float]:
    """DEAM-layout openSMILE rows of one audio file over its window, padded to ``frames`` rows.

    Parameters
    ----------
    path : Path
        Any format :func:`~mer_keras.features.audio.load_audio` reads (mp3, ogg/opus, wav, flac, ...).
    sample_rate : int
        Decoding rate, Hz (16,000 by default: ``specs/features.yaml`` ``opensmile_audio``).
    offset, duration : float
        The window in seconds (the log-mel's: 30 s from the dataset's offset).
    window_seconds, hop_seconds : float
        Summary windows (1 s every 0.5 s).
    frames : int
        Rows returned: ``window_count(duration, window_seconds, hop_seconds)``, 59 for 30 s.

    Returns
    -------
    features : np.ndarray, shape (frames, 260), float32
        See :func:`opensmile_frames_from_signal`; a clip shorter than the window has its last row
        repeated (edge padding, as :func:`read_opensmile` does for DEAM's short files).
    padding : float
        Seconds of padding (repeated rows x ``hop_seconds``).

    Raises
    ------
    DataError
        The file is missing, empty, cannot be decoded (from ``load_audio``), is shorter than one
        window, or openSMILE returns non-finite values; the message names the file.
    """
    from mer_keras.features.audio import load_audio

    signal = load_audio(path, sample_rate, offset=offset, duration=duration)
    rows = opensmile_frames_from_signal(signal, sample_rate, window_seconds, hop_seconds)
    if rows.shape[0] == 0:
        raise DataError(f"audio {path} has {signal.size / sample_rate:.2f} s from {offset} s on: shorter than one "
                        f"{window_seconds} s openSMILE window")
    if not np.all(np.isfinite(rows)):
        raise DataError(f"openSMILE features of {path} contain NaN or inf; the audio may be corrupt")
    rows = rows[:frames]
    missing = frames - rows.shape[0]
    if missing:
        rows = np.pad(rows, ((0, missing), (0, 0)), mode="edge")
    return np.ascontiguousarray(rows), missing * hop_seconds


# --- eGeMAPS functionals (speech) ----------------------------------------------------------------

_EGEMAPS = {}   # (feature set, level) -> extractor, one per process


def egemaps_params() -> dict:
    """Parameters of :func:`egemaps_from_file` (all part of the cache key): ``specs/features.yaml``
    ``speech.egemaps``, plus the opensmile version (its configs define the numbers)."""
    from importlib.metadata import PackageNotFoundError, version

    spec = load_spec("features")["speech"]["egemaps"]
    try:
        package = version("opensmile")
    except PackageNotFoundError:
        raise MerError("--features egemaps needs the opensmile package: pip install opensmile==2.6.0") from None
    return {"sample_rate": int(spec["sample_rate"]), "feature_set": str(spec["feature_set"]),
            "feature_level": str(spec["feature_level"]), "opensmile": package}


def _egemaps_smile(feature_set: str = "eGeMAPSv02", feature_level: str = "Functionals"):
    """The openSMILE extractor of ``feature_set`` at ``feature_level`` (eGeMAPS v02 functionals), one per process."""
    if (feature_set, feature_level) not in _EGEMAPS:
        opensmile = import_opensmile()
        try:
            smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set),
                                    feature_level=getattr(opensmile.FeatureLevel, feature_level))
        except AttributeError:
            raise MerError(f"opensmile {getattr(opensmile, '__version__', '?')} has no feature set {feature_set!r} at "
                           f"level {feature_level!r} (specs/features.yaml speech.egemaps); install opensmile==2.6.0") from None
        _EGEMAPS[(feature_set, feature_level)] = smile
    return _EGEMAPS[(feature_set, feature_level)]


def egemaps_feature_names(feature_set: str = "eGeMAPSv02", feature_level: str = "Functionals") -> list[str]:
    """The 88 eGeMAPS v02 functional names, openSMILE's own, in its column order
    (``F0semitoneFrom27.5Hz_sma3nz_amean``, ..., ``equivalentSoundLevel_dBp``)."""
    return list(_egemaps_smile(feature_set, feature_level).feature_names)


def egemaps_from_signal(signal: np.ndarray, sample_rate: int, feature_set: str = "eGeMAPSv02",
                        feature_level: str = "Functionals") -> np.ndarray:
    """eGeMAPS functionals of a mono signal: shape (1, 88), float32, columns as :func:`egemaps_feature_names`.

    ``signal`` in [-1, 1] (clipped there before openSMILE's 16-bit conversion), the whole clip summarised.
    """
    clipped = np.clip(np.asarray(signal, np.float32), -1.0, 32767 / 32768).astype(np.float32)
    table = _egemaps_smile(feature_set, feature_level).process_signal(clipped, sample_rate)
    return table.to_numpy(np.float32)[:1]


def egemaps_from_file(path: Path, sample_rate: int = 16000, feature_set: str = "eGeMAPSv02",
                      feature_level: str = "Functionals") -> tuple[np.ndarray, float]:
    """eGeMAPS functionals of one audio clip (decoded at ``sample_rate`` Hz mono, the whole clip).

    Returns
    -------
    features : np.ndarray, shape (1, 88), float32
        One row per clip (the feature cache and the baselines' (items, frames, features) layout).
    padding : float
        Always 0.0: functionals need no fixed length.

    Raises
    ------
    DataError
        The file is missing, empty or undecodable (from ``load_audio``), or openSMILE returns no row
        or non-finite values (a clip too short to analyse); the message names the file.
    """
    from mer_keras.features.audio import load_audio

    signal = load_audio(path, sample_rate)
    row = egemaps_from_signal(signal, sample_rate, feature_set, feature_level)
    if row.shape[0] != 1:
        raise DataError(f"openSMILE gave no eGeMAPS functionals for {path} ({signal.size / sample_rate:.2f} s of audio)")
    if not np.all(np.isfinite(row)):
        raise DataError(f"eGeMAPS functionals of {path} contain NaN or inf ({signal.size / sample_rate:.2f} s of audio); "
                        "the clip may be too short or corrupt")
    return np.ascontiguousarray(row), 0.0
