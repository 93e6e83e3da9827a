"""DEAM's archive layout and its static annotation file: what the loader and the label correction share."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mer_keras.data.csvutil import read_table, require_columns
from mer_keras.errors import DataError

SONG_LEVEL = Path("annotations", "annotations averaged per song", "song_level")
STATIC_1_2000 = SONG_LEVEL / "static_annotations_averaged_songs_1_2000.csv"
STATIC_2000_2058 = SONG_LEVEL / "static_annotations_averaged_songs_2000_2058.csv"
DYNAMIC = Path("annotations", "annotations averaged per song", "dynamic (per second annotations)")
LABEL_COLUMNS = ["valence_mean", "valence_std", "arousal_mean", "arousal_std"]
LABEL_VERSIONS = ("corrected", "as-shipped")
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
