"""4Q audio emotion dataset (Panda, Malheiro & Paiva 2018).

Layout: ``Q1/ .. Q4/<Song>.<ext>`` (mp3 as distributed, any format librosa reads),
``panda_dataset_taffc_annotations.csv`` (``Song,Quadrant``) and
``panda_dataset_taffc_metadata.csv`` (latin-1: ``Artist``, ``MoodsFoundStr``, ...).

Targets
-------
``quadrant``: the quadrant; models that regress (CRNN) learn its (valence sign, arousal sign).
``va``: 4Q-VA, each song's valence/arousal from its mood words through the Warriner norms
(1-9 scale, a proxy for listener ratings; see :mod:`mer_keras.data.warriner`).
Splits group by artist.
"""

from __future__ import annotations

from pathlib import Path

from mer_keras.data.csvutil import read_table, require_columns
from mer_keras.data.records import Dataset, Item
from mer_keras.data.warriner import NORMS_FILE, PROXY_LABEL, load_norms, mood_words_va
from mer_keras.errors import DataError

ANNOTATIONS = "panda_dataset_taffc_annotations.csv"
METADATA = "panda_dataset_taffc_metadata.csv"
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
# Russell quadrants as (valence sign, arousal sign).
QUADRANT_SIGNS = {"Q1": (1, 1), "Q2": (-1, 1), "Q3": (-1, -1), "Q4": (1, -1)}
AUDIO_EXTENSIONS = {".mp3", ".opus", ".ogg", ".oga", ".wav", ".w64", ".flac", ".m4a", ".mp4", ".aac", ".aif", ".aiff",
                    ".aifc", ".au", ".caf", ".wma", ".webm"}


def quadrant_from_signs(valence: float, arousal: float) -> str:
    """Quadrant of a (valence, arousal) point around the centre (0 for signs)."""
    if valence >= 0:
        return "Q1" if arousal >= 0 else "Q4"
    return "Q2" if arousal >= 0 else "Q3"


def default_norms_path(data_dir: Path) -> Path:
    """The norms beside the 4Q folder, as in ../shared/data: ``<data>/../warriner/<file>``."""
    return Path(data_dir).resolve().parent / "warriner" / NORMS_FILE


def _audio_index(data_dir: Path) -> dict[str, Path]:
    index = {}
    for quadrant in QUADRANTS:
        folder = data_dir / quadrant
        if folder.is_dir():
            for path in folder.iterdir():
                if path.suffix.lower() in AUDIO_EXTENSIONS:
                    index[path.stem] = path
    return index


def load_4q(data_dir: Path, target: str = "quadrant", norms_path: Path | None = None) -> Dataset:
    """Load 4Q as a :class:`Dataset` for ``target`` in {"quadrant", "va"}.

    Songs listed in the annotations without an audio file are listed in ``skipped``.
    """
    data_dir = Path(data_dir)
    if target not in ("quadrant", "va"):
        raise DataError(f"unknown 4Q target {target!r}; use 'quadrant' or 'va'")
    if not data_dir.is_dir():
        raise DataError(f"4Q folder {data_dir} does not exist; pass --data DIR pointing at the folder with Q1..Q4")
    fix = f"The 4Q folder must hold {ANNOTATIONS} and {METADATA} beside Q1..Q4 (as distributed)."
    annotations = read_table(data_dir / ANNOTATIONS, what="4Q annotations", fix=fix, dtype=str)
    require_columns(annotations, ["Song", "Quadrant"], data_dir / ANNOTATIONS, "4Q annotations")
    metadata = read_table(data_dir / METADATA, what="4Q metadata", fix=fix, encoding="latin-1", dtype=str)
    require_columns(metadata, ["Song", "Artist", "MoodsFoundStr"], data_dir / METADATA, "4Q metadata")
    if annotations.empty:
        raise DataError(f"4Q annotations {data_dir / ANNOTATIONS} list no songs")
    meta = metadata.set_index(metadata["Song"].str.strip())

    norms = None
    if target == "va":
        norms = load_norms(Path(norms_path) if norms_path else default_norms_path(data_dir))

    audio = _audio_index(data_dir)
    if not audio:
        raise DataError(
            f"no audio found under {data_dir}/Q1..Q4 (extensions {sorted(AUDIO_EXTENSIONS)}); "
            "point --data at the 4Q folder that holds the audio"
        )
    items, skipped = [], []
    for song, quadrant in zip(annotations["Song"].str.strip(), annotations["Quadrant"].str.strip()):
        if quadrant not in QUADRANTS:
            raise DataError(f"4Q song {song}: quadrant {quadrant!r} in {data_dir / ANNOTATIONS} is not one of {QUADRANTS}")
        if song not in meta.index:
            raise DataError(f"4Q song {song} is in {ANNOTATIONS} but not in {METADATA}")
        if song not in audio:
            skipped.append((song, "no audio file"))
            continue
        row = meta.loc[song]
        artist = str(row["Artist"]).strip() or f"unknown-artist-{song}"
        if target == "va":
            valence, arousal = mood_words_va(song, row["MoodsFoundStr"], norms)
            labels = {"valence": valence, "arousal": arousal, "quadrant": quadrant}
        else:
            labels = {"quadrant": quadrant}
        items.append(Item(item_id=song, group=artist, path=audio[song], labels=labels))
    if not items:
        raise DataError(f"none of the {len(annotations)} songs in {data_dir / ANNOTATIONS} has an audio file under {data_dir}")

    if target == "va":
        name, description = "4q-va", f"4Q audio with tag-derived valence/arousal ({PROXY_LABEL})"
        notes = [f"Note, {PROXY_LABEL}.", "Valence/arousal: mean Warriner et al. (2013) norm of each song's AllMusic mood words."]
    else:
        name, description = "4q", "4Q audio with Russell quadrant labels (Q1-Q4)"
        notes = ["Regression models learn the quadrant's (valence sign, arousal sign) in {-1, +1}."]
    return Dataset(name=name, task=target, items=items, description=description,
                   input_kind="audio", skipped=skipped, notes=notes, window_offset=0.0)
