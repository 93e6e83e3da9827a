"""DEAM (Aljanaki, Yang & Soleymani 2017), in the layout of its archives.

- ``annotations/annotations averaged per song/song_level/static_annotations_averaged_songs_1_2000.csv``
  (header with spaces after the commas; 1,744 songs with 45 s excerpts, the study's set);
- ``MEMD_audio/<song_id>.mp3`` (audio excerpts), ``features/<song_id>.csv`` (openSMILE
  frames, ``;``-separated, first column ``frameTime``, one row per 0.5 s).

Labels are on the 1-9 scale. Songs without the requested input are listed in
``Dataset.skipped``, never dropped silently. Splits group by song.

Label versions (issue 8, :mod:`mer_keras.data.deam_labels`): in the shipped static file the
``valence_*`` and ``arousal_*`` columns of the 2013 songs (ids <= 1000) hold each other's
values. ``labels="corrected"`` (the default) swaps them back where the audit rule says so;
``labels="as-shipped"`` uses the file as it is.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd

from mer_keras.data.fourq import AUDIO_EXTENSIONS
from mer_keras.data.records import Dataset, Item
from mer_keras.data.deam_files import (DYNAMIC, HOW_TO_GET, LABEL_COLUMNS, LABEL_VERSIONS, SONG_LEVEL,  # noqa: F401
                                       STATIC_1_2000, STATIC_2000_2058, read_static_annotations)
from mer_keras.data.deam_labels import SUBSET_IDS, correct_static_labels, decide_label_swaps, describe_swap
from mer_keras.errors import DataError

def _input_index(folder: Path, extensions: set[str]) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in folder.iterdir() if path.suffix.lower() in extensions}


def deam_has_inputs(data_dir: Path, minimum: int = 100) -> bool:
    """True when ``data_dir`` has audio or features for at least ``minimum`` songs (enough to train)."""
    data_dir = Path(data_dir)
    return max(len(_input_index(data_dir / "MEMD_audio", AUDIO_EXTENSIONS)),
               len(_input_index(data_dir / "features", {".csv"}))) >= minimum


def static_labels(data_dir: Path, version: str = "corrected") -> tuple[pd.DataFrame, str]:
    """The static labels of ``static_annotations_averaged_songs_1_2000.csv`` in one label version.

    Parameters
    ----------
    data_dir : Path
        DEAM folder.
    version : str
        ``"corrected"``: swap valence/arousal back for the subsets the label audit finds swapped
        (decided on the folder's own dynamic annotations, else on the recorded outcome for the
        official file's sha256; a DataError when neither is available). ``"as-shipped"``: the
        file as it is.

    Returns
    -------
    (pandas.DataFrame, str)
        Labels indexed by ``song_id`` and the note for ``Dataset.notes`` saying which version was used.
        With ``"corrected"``, one line saying what was swapped and why also goes to stderr.
    """
    if version not in LABEL_VERSIONS:
        raise DataError(f"unknown DEAM label version {version!r}; use one of {LABEL_VERSIONS}")
    path = Path(data_dir) / STATIC_1_2000
    frame = read_static_annotations(path)
    if version == "as-shipped":
        return frame, ("Labels: DEAM static annotations as shipped (song means, 1-9 scale; --deam-labels as-shipped): "
                       "not corrected for the valence/arousal column swap of the label audit "
                       "(python -m mer_keras.audit deam).")
    decision = decide_label_swaps(Path(data_dir), frame, path)
    swapped = [subset for subset, flag in decision.swapped.items() if flag]
    print(describe_swap(decision, frame), file=sys.stderr, flush=True)
    if not swapped:
        return frame, (f"Labels: DEAM static annotations (song means, 1-9 scale), corrected version "
                       f"(--deam-labels corrected): the label audit found no swapped subset, by {decision.source}.")
    return correct_static_labels(frame, swapped), (
        f"Labels: DEAM static annotations (song means, 1-9 scale), corrected version (--deam-labels corrected): "
        f"valence_* and arousal_* swapped back for the "
        f"{', '.join(f'{subset} songs ({SUBSET_IDS[subset]})' for subset in swapped)}, whose shipped columns hold "
        f"each other's values, by {decision.source}.")


def load_deam(data_dir: Path, features: str = "mel", labels: str = "corrected") -> Dataset:
    """Load DEAM's 1,744 annotated excerpts with audio (``features="mel"``) or openSMILE features.

    ``labels`` is ``"corrected"`` (default) or ``"as-shipped"``; see :func:`static_labels`.
    """
    data_dir = Path(data_dir)
    if features not in ("mel", "opensmile"):
        raise DataError(f"unknown DEAM features {features!r}; use 'mel' or 'opensmile'")
    if not data_dir.is_dir():
        raise DataError(f"DEAM folder {data_dir} does not exist. {HOW_TO_GET}")
    annotations, label_note = static_labels(data_dir, labels)
    if features == "mel":
        folder, inputs = data_dir / "MEMD_audio", _input_index(data_dir / "MEMD_audio", AUDIO_EXTENSIONS)
    else:
        folder, inputs = data_dir / "features", _input_index(data_dir / "features", {".csv"})
    items, skipped = [], []
    for song_id, row in annotations.iterrows():
        key = str(song_id)
        if key not in inputs:
            skipped.append((key, f"no {'audio' if features == 'mel' else 'openSMILE feature'} file in {folder.name}/"))
            continue
        values = {name: float(row[name]) for name in LABEL_COLUMNS if not math.isnan(row[name])}
        items.append(Item(item_id=key, group=key, path=inputs[key],
                          labels={"valence": values["valence_mean"], "arousal": values["arousal_mean"]}))
    if not items:
        raise DataError(
            f"none of the {len(annotations)} annotated DEAM songs has a file in {folder}. {HOW_TO_GET}"
        )
    notes = [label_note]
    if skipped:
        notes.append(f"{len(skipped)} of {len(annotations)} annotated songs have no input file and are left out (listed in skipped.csv).")
    kind = "audio" if features == "mel" else "opensmile"
    return Dataset(name="deam", task="va", items=items, skipped=skipped, notes=notes, input_kind=kind,
                   description=f"DEAM listener ratings (static, 1-9) with {'audio excerpts' if kind == 'audio' else 'openSMILE frame features'}",
                   window_offset=15.0)
