"""CREMA-D (Cao et al. 2014) in its own layout: ``AudioWAV/1001_DFA_ANG_XX.wav``.

Name fields: speaker (1001-1091), sentence code (3 letters), emotion (ANG DIS FEA HAP NEU SAD),
intensity (LO MD HI XX). The folder given may be the dataset root (holding ``AudioWAV/``) or
``AudioWAV`` itself; .wav and .flac are read. Splits group by speaker.
"""

from __future__ import annotations

import re
from pathlib import Path

from mer_keras.data.emotions import EMOTIONS, require_dir, skipped_note, speech_audio_files
from mer_keras.data.records import Dataset, Item
from mer_keras.errors import DataError

LAYOUT = "AudioWAV/SSSS_SEN_EMO_IN.wav, e.g. AudioWAV/1001_DFA_ANG_XX.wav, as CREMA-D is distributed"
NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")
EMOTION_CODES = {"ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
INTENSITIES = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
assert sorted(EMOTION_CODES.values()) == list(EMOTIONS)


def parse_cremad_name(stem: str) -> dict:
    """Fields of a CREMA-D file name (without extension); DataError if it is not one."""
    match = NAME.match(stem)
    if not match:
        raise DataError(f"{stem!r} is not a CREMA-D name (SSSS_SEN_EMO_IN, e.g. 1001_DFA_ANG_XX)")
    speaker, sentence, emotion, intensity = match.groups()
    if emotion not in EMOTION_CODES:
        raise DataError(f"{stem!r}: emotion {emotion} is not one of {sorted(EMOTION_CODES)}")
    if intensity not in INTENSITIES:
        raise DataError(f"{stem!r}: intensity {intensity} is not one of {sorted(INTENSITIES)}")
    return {"speaker": speaker, "sentence": sentence, "emotion": EMOTION_CODES[emotion],
            "intensity": INTENSITIES[intensity]}


def load_cremad(data_dir: Path) -> Dataset:
    """Load CREMA-D as a :class:`Dataset` with task ``"emotion"``."""
    data_dir = require_dir(data_dir, "CREMA-D", LAYOUT)
    audio_dir = data_dir / "AudioWAV" if (data_dir / "AudioWAV").is_dir() else data_dir
    files = speech_audio_files(audio_dir)
    if not files:
        raise DataError(f"no .wav or .flac files under {audio_dir}; expected layout: {LAYOUT}")
    items, skipped = [], []
    for path in files:
        try:
            fields = parse_cremad_name(path.stem)
        except DataError as exc:
            skipped.append((str(path.relative_to(audio_dir)), f"not a CREMA-D file name: {exc}"))
            continue
        items.append(Item(item_id=path.stem, group=f"speaker_{fields['speaker']}", path=path,
                          labels={"emotion": fields["emotion"], "intensity": fields["intensity"]}))
    if not items:
        raise DataError(f"none of the {len(files)} audio files under {audio_dir} has a CREMA-D name; expected layout: {LAYOUT}")
    speakers = sorted({item.group for item in items})
    notes = [f"Six classes {', '.join(EMOTIONS)}.",
             f"{len(speakers)} speakers; splits keep each speaker on one side."] + skipped_note(skipped)
    return Dataset(name="cremad", task="emotion", items=items,
                   description=f"CREMA-D speech, 6 emotions, {len(items)} clips from {len(speakers)} speakers",
                   input_kind="audio", skipped=skipped, notes=notes)
