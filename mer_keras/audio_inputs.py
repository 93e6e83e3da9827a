"""What ``predict.py`` is given: audio files and folders, checked before any model sees them.

- :func:`collect_inputs`: files and folders (searched recursively) -> the audio files, in order, and the
  files left out (a folder's non-audio files, missing paths). Audio means an extension in
  :data:`mer_keras.data.fourq.AUDIO_EXTENSIONS`, the project's one list.
- :func:`probe_audio`: a file's duration, or a :class:`~mer_keras.errors.DataError` with one line that
  names the cause (not found, empty, a format no installed decoder reads, corrupt).
- :func:`plan_windows`: the model windows that cover a file from start to end.
- :func:`speech_likeness`: whether a short clip looks like a spoken utterance (for a music model).
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mer_keras.data.fourq import AUDIO_EXTENSIONS
from mer_keras.errors import DataError

#: A file longer than the model's window by at most this much is read as one window (a 30.06 s 4Q clip
#: is one 30 s window, not two); the seconds left out are reported (``unheard_s``), never dropped silently.
TAIL_SECONDS = 1.0
#: A clip this short or shorter is checked for speech when a music model reads it.
UTTERANCE_SECONDS = 10.0
#: Share of 25 ms frames more than 20 dB below the clip's loud frames (the 95th percentile) from which a
#: short clip counts as speech-like: the pauses between words. Measured at 16 kHz on 50 RAVDESS and EmoDB
#: utterances (43 at or above 0.2; median 0.51) and 50 random 4 s cuts of 4Q songs (1 above: 0.29; median 0).
SPEECH_PAUSE_SHARE = 0.2


@dataclass
class Inputs:
    """``files``: the files to predict, in the order given (a folder's audio files sorted by path; a path
    that does not exist stays, for :func:`probe_audio` to report); ``left_out``: (path, reason) for the
    files of a folder that are not audio (by extension)."""

    files: list[str] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)


def is_audio_name(path: Path) -> bool:
    """Whether ``path``'s extension is one of :data:`AUDIO_EXTENSIONS` (case-insensitive)."""
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS


def _folder_files(folder: Path) -> list[Path]:
    """Every file under ``folder``, sorted; hidden files and folders (``.name``, e.g. macOS ``._song.mp3``) skipped."""
    found = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).parts
        if path.is_file() and not any(part.startswith(".") for part in relative):
            found.append(path)
    return sorted(found)


def collect_inputs(paths: list[str]) -> Inputs:
    """The audio files named by ``paths`` (files, or folders searched recursively), each once.

    A file named explicitly is kept whatever its extension (decoding it decides; a missing one is reported);
    a file found in a folder is kept when its extension is an audio one, else listed in ``left_out``. A path
    keeps its spelling (``file`` in the output is what the user typed, or the folder joined with the file's path).
    """
    inputs, seen = Inputs(), set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = _folder_files(path)
            candidates = [str(file) for file in found if is_audio_name(file)]
            inputs.left_out += [(str(file), f"not audio ({file.suffix or 'no extension'})")
                                for file in found if not is_audio_name(file)]
        else:
            candidates = [given]            # a file, or a missing path: reported as not found
        for file in candidates:
            key = str(Path(file).resolve())
            if key not in seen:
                seen.add(key)
                inputs.files.append(file)
    return inputs


#: Formats librosa decodes only through audioread's ffmpeg / GStreamer backends (soundfile cannot).
FFMPEG_ONLY = {".m4a", ".aac", ".mp4", ".wma", ".webm"}


def _has_ffmpeg_backend() -> bool:
    try:
        import audioread

        return any(backend.__name__ != "RawAudioFile" for backend in audioread.available_backends())
    except Exception:       # audioread missing or broken: librosa then has soundfile only
        return False


def _undecodable(path: Path, reason: str) -> DataError:
    """The one line for a file no installed decoder reads: why, and what to do."""
    suffix = path.suffix.lower()
    if not is_audio_name(path):
        return DataError(f"not audio: {path} ({suffix or 'no extension'} is not one of the audio extensions "
                         f"{' '.join(sorted(AUDIO_EXTENSIONS))}, and no decoder reads it)")
    if suffix in FFMPEG_ONLY and not _has_ffmpeg_backend():
        return DataError(f"cannot decode {path}: {suffix} files are read through ffmpeg, which is not installed "
                         "(install ffmpeg, or convert the file to wav / flac / mp3)")
    decoders = "soundfile" + (" and ffmpeg" if _has_ffmpeg_backend() else "")
    return DataError(f"cannot decode {path}: {decoders} cannot read it ({reason}); the file is corrupt or "
                     "truncated, or not the format its extension says")


def probe_audio(path: Path) -> float:
    """The duration in seconds of an audio file, read from its header (soundfile) or, for formats soundfile
    does not read (m4a, aac, ...), through audioread as librosa does.

    Raises
    ------
    DataError
        One line naming the cause: not found, empty, no samples, or no installed decoder reads it
        (corrupt, truncated, or a format that needs ffmpeg).
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise DataError(f"not found: {path}")
    if path.stat().st_size == 0:
        raise DataError(f"empty file (0 bytes): {path}")
    try:
        with _quiet_native_stderr():        # libsndfile's mpg123 prints "Note: Illegal Audio-MPEG-Header" lines
            info = sf.info(str(path))
        seconds = info.frames / info.samplerate if info.samplerate else 0.0
    except Exception as exc:  # soundfile raises LibsndfileError / RuntimeError / TypeError for what it cannot read
        seconds = _audioread_seconds(path)
        if seconds is None:
            raise _undecodable(path, _soundfile_reason(exc, path)) from None
    if not seconds > 0:
        raise DataError(f"no audio samples in {path}")
    return float(seconds)


def _soundfile_reason(exc: Exception, path: Path) -> str:
    """soundfile's message without the "Error opening 'PATH': " prefix; its "File does not exist" for a file
    that exists (what libsndfile says of a corrupt MPEG stream) as what it means."""
    reason = str(exc).strip().replace(f"Error opening {str(path)!r}: ", "").rstrip(".")
    if "does not exist" in reason and path.is_file():
        return "no valid audio stream in it"
    return reason or type(exc).__name__


@contextmanager
def _quiet_native_stderr():
    """Silence what C libraries write to file descriptor 2 (not Python's sys.stderr) within the block."""
    try:
        saved = os.dup(2)
    except OSError:             # no file descriptor 2: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _audioread_seconds(path: Path) -> float | None:
    try:
        import audioread

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with audioread.audio_open(str(path)) as stream:
                return float(stream.duration)
    except Exception:           # NoBackendError (no message), DecodeError, ...: the caller says why
        return None


def plan_windows(seconds: float, window: float, hop: float | None = None,
                 tail: float = TAIL_SECONDS) -> list[tuple[float, float]]:
    """The windows (start, end) in seconds that cover a file of ``seconds`` with the model's ``window``.

    A file no longer than ``window + tail`` is one window from 0 (a shorter one is padded to the window by
    the features). A longer one gets a window every ``hop`` seconds (default: ``window``, no overlap) while
    a whole window fits, plus, when more than ``tail`` seconds are left, one last window ending at the
    file's end; so every part is heard.

    Raises
    ------
    DataError
        When ``hop`` is not in (0, window]: a larger step would skip parts of the file.
    """
    hop = window if hop is None else float(hop)
    if not 0 < hop <= window:
        raise DataError(f"--segments {hop:g}: choose a step above 0 and at most the model's window ({window:g} s); "
                        "a longer step would leave parts of each file unheard")
    if seconds <= window + tail:
        return [(0.0, round(min(seconds, window), 3))]
    count = int(np.floor((seconds - window) / hop + 1e-9)) + 1
    starts = [round(k * hop, 3) for k in range(count)]
    if seconds - (starts[-1] + window) > tail:
        starts.append(round(seconds - window, 3))
    return [(start, round(start + window, 3)) for start in starts]


def speech_likeness(path: Path, sample_rate: int = 16000) -> float:
    """The share of a clip's 25 ms frames (10 ms hop) more than 20 dB below its loud frames (95th
    percentile of frame RMS): high for speech (pauses between words), near 0 for most music.
    Compare with :data:`SPEECH_PAUSE_SHARE`. Returns 0.0 for a clip that cannot be decoded."""
    import librosa

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            signal, _ = librosa.load(str(path), sr=sample_rate, mono=True, duration=UTTERANCE_SECONDS + TAIL_SECONDS)
    except Exception:           # the prediction itself reports an undecodable file
        return 0.0
    rms = librosa.feature.rms(y=signal, frame_length=400, hop_length=160, center=False)[0]
    if rms.size == 0:
        return 0.0
    loud = float(np.percentile(rms, 95))
    return float(np.mean(rms < 0.1 * loud)) if loud > 0 else 0.0
