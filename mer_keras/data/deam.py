"""DEAM (Aljanaki, Yang & Soleymani 2017), in the layout of its archives.

- ``annotations/annotations averaged per song/song_level/static_annotations_averaged_songs_1_2000.csv``
  (header with spaces after the commas; 1,744 songs with 45 s excerpts, the study's set);
- ``MEMD_audio/<song_id>.mp3`` (audio excerpts), ``features/<song_id>.csv`` (openSMILE
  frames, ``;``-separated, first column ``frameTime``, one row per 0.5 s).

Labels are on the 1-9 scale. Songs without the requested input are listed in
``Dataset.skipped``, never dropped silently. Splits group by song.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from mer_keras.data.csvutil import read_table, require_columns
from mer_keras.data.fourq import AUDIO_EXTENSIONS
from mer_keras.data.records import Dataset, Item
from mer_keras.errors import DataError

SONG_LEVEL = Path("annotations", "annotations averaged per song", "song_level")
STATIC_1_2000 = SONG_LEVEL / "static_annotations_averaged_songs_1_2000.csv"
STATIC_2000_2058 = SONG_LEVEL / "static_annotations_averaged_songs_2000_2058.csv"
DYNAMIC = Path("annotations", "annotations averaged per song", "dynamic (per second annotations)")
LABEL_COLUMNS = ["valence_mean", "valence_std", "arousal_mean", "arousal_std"]
HOW_TO_GET = (
    "DEAM is at https://cvml.unige.ch/databases/DEAM/ (annotations, MEMD_audio, features); "
    "unpack it and pass --data DIR (or set MER_DATA) with DIR holding annotations/, MEMD_audio/ and/or features/."
)


def read_static_annotations(path: Path) -> pd.DataFrame:
    """Read a DEAM static annotation file; columns selected by stripped name.

    Returns a frame indexed by ``song_id`` (int) with ``valence_mean, valence_std,
    arousal_mean, arousal_std``. A missing column, NaN or a mean outside 1-9 raises a
    DataError naming the file and the song.
    """
    frame = read_table(path, what="DEAM static annotations", fix=HOW_TO_GET, skipinitialspace=True)
    require_columns(frame, ["song_id", *LABEL_COLUMNS], path, "DEAM static annotations")
    frame = frame[["song_id", *LABEL_COLUMNS]].copy()
    for column in frame.columns:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in ["song_id", "valence_mean", "arousal_mean"]:
        bad = frame[frame[column].isna()]
        if len(bad):
            row = bad.index[0] + 2
            raise DataError(f"{path}, line {row}: {column} is missing or not a number; fix or remove that row")
    for column in ["valence_mean", "arousal_mean"]:
        bad = frame[(frame[column] < 1) | (frame[column] > 9)]
        if len(bad):
            song = int(bad["song_id"].iloc[0])
            raise DataError(
                f"{path}: song {song} has {column} = {bad[column].iloc[0]} outside the 1-9 scale; "
                "check the file is DEAM's static (1-9) file, not the dynamic (-1..1) one"
            )
    frame["song_id"] = frame["song_id"].astype(int)
    return frame.set_index("song_id")


def _input_index(folder: Path, extensions: set[str]) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in folder.iterdir() if path.suffix.lower() in extensions}


def deam_has_inputs(data_dir: Path, minimum: int = 100) -> bool:
    """True when ``data_dir`` has audio or features for at least ``minimum`` songs (enough to train)."""
    data_dir = Path(data_dir)
    return max(len(_input_index(data_dir / "MEMD_audio", AUDIO_EXTENSIONS)),
               len(_input_index(data_dir / "features", {".csv"}))) >= minimum


def load_deam(data_dir: Path, features: str = "mel") -> Dataset:
    """Load DEAM's 1,744 annotated excerpts with audio (``features="mel"``) or openSMILE features."""
    data_dir = Path(data_dir)
    if features not in ("mel", "opensmile"):
        raise DataError(f"unknown DEAM features {features!r}; use 'mel' or 'opensmile'")
    if not data_dir.is_dir():
        raise DataError(f"DEAM folder {data_dir} does not exist. {HOW_TO_GET}")
    labels = read_static_annotations(data_dir / STATIC_1_2000)
    if features == "mel":
        folder, inputs = data_dir / "MEMD_audio", _input_index(data_dir / "MEMD_audio", AUDIO_EXTENSIONS)
    else:
        folder, inputs = data_dir / "features", _input_index(data_dir / "features", {".csv"})
    items, skipped = [], []
    for song_id, row in labels.iterrows():
        key = str(song_id)
        if key not in inputs:
            skipped.append((key, f"no {'audio' if features == 'mel' else 'openSMILE feature'} file in {folder.name}/"))
            continue
        values = {name: float(row[name]) for name in LABEL_COLUMNS if not math.isnan(row[name])}
        items.append(Item(item_id=key, group=key, path=inputs[key],
                          labels={"valence": values["valence_mean"], "arousal": values["arousal_mean"]}))
    if not items:
        raise DataError(
            f"none of the {len(labels)} annotated DEAM songs has a file in {folder}. {HOW_TO_GET}"
        )
    notes = ["Labels: DEAM static annotations as shipped (song means, 1-9 scale)."]
    if skipped:
        notes.append(f"{len(skipped)} of {len(labels)} annotated songs have no input file and are left out (listed in skipped.csv).")
    kind = "audio" if features == "mel" else "opensmile"
    return Dataset(name="deam", task="va", items=items, skipped=skipped, notes=notes, input_kind=kind,
                   description=f"DEAM listener ratings (static, 1-9) with {'audio excerpts' if kind == 'audio' else 'openSMILE frame features'}",
                   window_offset=15.0)
