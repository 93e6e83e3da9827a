"""EmoDB, the Berlin Database of Emotional Speech (Burkhardt et al., Interspeech 2005), on the six
classes it shares with RAVDESS and CREMA-D.

Layout as distributed: ``wav/<speaker><text><version><emotion><take>.wav`` (16 kHz), e.g.
``03a01Fa.wav``: speaker (two digits), text code (a01-a07, b01-b10), the emotion's German initial at
position 6 (W Wut anger, L Langeweile boredom, E Ekel disgust, A Angst fear, F Freude happiness,
T Trauer sadness, N neutral), take letter. Read from ``wav/`` or the folder itself; .wav and .flac.
Boredom has no counterpart in the six classes: counted in the notes and left out. Splits group by
speaker (10 speakers).
"""

from __future__ import annotations

import re
from pathlib import Path

from mer_keras.data.emotions import EMOTIONS, collect_clips, require_dir, skipped_note, speech_audio_files
from mer_keras.data.records import Dataset, Item
from mer_keras.errors import DataError

LAYOUT = "wav/03a01Fa.wav (speaker, text, emotion letter, take), as EmoDB is distributed; .flac also read"
NAME = re.compile(r"^(\d\d)([ab]\d\d)([WLEAFTN])([a-z])$")
EMOTION_CODES = {"W": "angry", "E": "disgust", "A": "fearful", "F": "happy", "N": "neutral", "T": "sad", "L": "boredom"}
LEFT_OUT = ("boredom",)
assert sorted(set(EMOTION_CODES.values()) - set(LEFT_OUT)) == list(EMOTIONS)


def parse_emodb_name(stem: str) -> dict:
    """Fields of an EmoDB file name (without extension); DataError if it is not one."""
    match = NAME.match(stem)
    if not match:
        raise DataError(f"{stem!r} is not an EmoDB name (speaker, text a01-b10, emotion W/L/E/A/F/T/N, take; "
                        "e.g. 03a01Fa)")
    speaker, text, emotion, take = match.groups()
    return {"speaker": speaker, "text": text, "emotion": EMOTION_CODES[emotion], "take": take}


def load_emodb(data_dir: Path) -> Dataset:
    """Load EmoDB's six shared classes as a :class:`Dataset` with task ``"emotion"``."""
    data_dir = require_dir(data_dir, "EmoDB", LAYOUT)
    files = speech_audio_files(data_dir)
    if not files:
        raise DataError(f"no .wav or .flac files under {data_dir}; expected layout: {LAYOUT}")
    items, skipped, left_out, _ = collect_clips(
        files, data_dir, parse_emodb_name, "EmoDB", LEFT_OUT,
        lambda path, fields: Item(item_id=path.stem, group=f"speaker_{fields['speaker']}", path=path,
                                  labels={"emotion": fields["emotion"], "text": fields["text"]}))
    if not items:
        raise DataError(f"none of the {len(files)} audio files under {data_dir} is a six-class EmoDB utterance; "
                        f"expected layout: {LAYOUT}")
    speakers = sorted({item.group for item in items})
    notes = [f"Six classes {', '.join(EMOTIONS)} (German speech); left out by design (no counterpart in "
             f"RAVDESS or CREMA-D): {left_out['boredom']} boredom utterances.",
             f"{len(speakers)} speakers ({speakers[0]}..{speakers[-1]}); splits keep each speaker on one side."]
    notes += skipped_note(skipped)
    return Dataset(name="emodb", task="emotion", items=items,
                   description=f"EmoDB speech (German), 6 emotions, {len(items)} utterances from {len(speakers)} speakers",
                   input_kind="audio", skipped=skipped, notes=notes)
