"""RAVDESS speech (Livingstone & Russo 2018), six of its eight emotions.

Layout as distributed: ``Actor_01/ .. Actor_24/`` holding ``03-01-EE-II-SS-RR-AA.wav`` (48 kHz;
here 16 kHz FLAC; both are read). Fields: modality (03 audio-only), vocal channel (01 speech,
02 song), emotion EE (01 neutral, 02 calm, 03 happy, 04 sad, 05 angry, 06 fearful, 07 disgust,
08 surprised), intensity, statement, repetition, actor AA. Calm and surprised are not among
the six classes (:data:`mer_keras.data.emotions.EMOTIONS`) and are counted in the notes, not
as errors. Splits group by speaker (the actor).
"""

from __future__ import annotations

import re
from pathlib import Path

from mer_keras.data.emotions import EMOTIONS, collect_clips, require_dir, skipped_note, speech_audio_files
from mer_keras.data.records import Dataset, Item
from mer_keras.errors import DataError

LAYOUT = "Actor_NN/03-01-EE-II-SS-RR-AA.wav (or .flac), as RAVDESS is distributed"
NAME = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")
EMOTION_CODES = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry",
                 "06": "fearful", "07": "disgust", "08": "surprised"}
LEFT_OUT = ("calm", "surprised")
# The dataset's own duplicate (the same recording under two names); both stay, on the same side of any split.
KNOWN_DUPLICATES = ("03-01-03-01-02-01-07", "03-01-03-01-02-02-07")


def parse_ravdess_name(stem: str) -> dict:
    """Fields of a RAVDESS file name (without extension); DataError if it is not one."""
    match = NAME.match(stem)
    if not match:
        raise DataError(f"{stem!r} is not a RAVDESS name (03-01-EE-II-SS-RR-AA)")
    modality, channel, emotion, intensity, statement, repetition, actor = match.groups()
    if emotion not in EMOTION_CODES:
        raise DataError(f"{stem!r}: emotion code {emotion} is not 01-08")
    return {"modality": modality, "vocal_channel": channel, "emotion": EMOTION_CODES[emotion],
            "intensity": "strong" if intensity == "02" else "normal", "statement": statement,
            "repetition": repetition, "actor": actor}


def load_ravdess(data_dir: Path) -> Dataset:
    """Load the six-class RAVDESS speech set as a :class:`Dataset` with task ``"emotion"``."""
    data_dir = require_dir(data_dir, "RAVDESS", LAYOUT)
    files = speech_audio_files(data_dir)
    if not files:
        raise DataError(f"no .wav or .flac files under {data_dir}; expected layout: {LAYOUT}")
    items, skipped, left_out, seen = collect_clips(
        files, data_dir, parse_ravdess_name, "RAVDESS", LEFT_OUT,
        lambda path, fields: Item(item_id=path.stem, group=f"actor_{fields['actor']}", path=path,
                                  labels={"emotion": fields["emotion"], "intensity": fields["intensity"]}),
        reject=lambda fields: None if (fields["modality"], fields["vocal_channel"]) == ("03", "01")
        else "not audio-only speech (modality 03, vocal channel 01)")
    if not items:
        raise DataError(f"none of the {len(files)} audio files under {data_dir} is a six-class RAVDESS speech clip; "
                        f"expected layout: {LAYOUT}")
    actors = sorted({item.group for item in items})
    notes = [f"Six classes {', '.join(EMOTIONS)}; left out by design (no CREMA-D counterpart): "
             f"{left_out['calm']} calm and {left_out['surprised']} surprised clips.",
             f"{len(actors)} speakers ({actors[0]}..{actors[-1]}); splits keep each speaker on one side."]
    if all(stem in seen for stem in KNOWN_DUPLICATES):
        notes.append(f"{KNOWN_DUPLICATES[0]} and {KNOWN_DUPLICATES[1]} are the same recording (a quirk of RAVDESS); "
                     "one speaker, so always on the same side of a split.")
    notes += skipped_note(skipped)
    return Dataset(name="ravdess", task="emotion", items=items,
                   description=f"RAVDESS speech, 6 emotions, {len(items)} clips from {len(actors)} actors",
                   input_kind="audio", skipped=skipped, notes=notes)
