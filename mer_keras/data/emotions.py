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


def collect_clips(files: list[Path], root: Path, parse, corpus: str, left_out: tuple[str, ...], make_item,
                  reject=None):
    """Items from speech files named by a corpus's code, with every file that is not one listed.

    ``parse(stem)`` returns the name's fields (with ``"emotion"``) or raises DataError; ``reject(fields)``
    may return why a well-named file is not used; emotions in ``left_out`` are counted, not kept; a name
    seen twice is a listed skip. Returns ``(items, skipped, left_out_counts, seen {stem: path})``.
    """
    items, skipped, counts, seen = [], [], {name: 0 for name in left_out}, {}
    for path in files:
        try:
            fields = parse(path.stem)
        except DataError as exc:
            skipped.append((str(path.relative_to(root)), f"not a{'n' if corpus[0] in 'AEIOU' else ''} {corpus} "
                                                          f"file name: {exc}"))
            continue
        why = reject(fields) if reject else None
        if why:
            skipped.append((path.stem, why))
            continue
        if fields["emotion"] in left_out:
            counts[fields["emotion"]] += 1
            continue
        if path.stem in seen:
            skipped.append((path.stem, f"duplicate name: also {seen[path.stem]}"))
            continue
        seen[path.stem] = path
        items.append(make_item(path, fields))
    return items, skipped, counts, seen


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
