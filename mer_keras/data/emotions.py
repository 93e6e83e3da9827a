"""The six speech-emotion classes shared by RAVDESS and CREMA-D, in one fixed order.

The order is CREMA-D's codes sorted (ANG DIS FEA HAP NEU SAD); a model's softmax output k is
``EMOTIONS[k]``. RAVDESS's calm and surprised have no CREMA-D counterpart and are left out.
"""

from __future__ import annotations

from pathlib import Path

from mer_keras.errors import DataError

EMOTIONS = ("angry", "disgust", "fearful", "happy", "neutral", "sad")
SPEECH_AUDIO_EXTENSIONS = {".wav", ".flac"}


def speech_audio_files(folder: Path) -> list[Path]:
    """Every .wav / .flac file under ``folder`` (recursively), sorted."""
    return sorted(path for path in Path(folder).rglob("*")
                  if path.suffix.lower() in SPEECH_AUDIO_EXTENSIONS and path.is_file())


def skipped_note(skipped: list[tuple[str, str]]) -> list[str]:
    """One note line counting the skips per reason (the full list goes to skipped.csv)."""
    counts: dict[str, int] = {}
    for _, reason in skipped:
        key = reason.split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    return [f"{n} file(s) skipped: {reason}" for reason, n in sorted(counts.items())]


def require_dir(data_dir: Path, name: str, layout: str) -> Path:
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{name} folder {data_dir} does not exist; pass --data DIR pointing at it. Expected layout: {layout}")
    return data_dir
