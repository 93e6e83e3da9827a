"""Valence/arousal of mood words from the Warriner, Kuperman & Brysbaert (2013) norms.

The 4Q dataset's quadrants were derived from AllMusic mood tags through these norms; the
same norms give each 4Q song a continuous valence and arousal (1-9 scale): the 4Q-VA
proxy target. The rule is :func:`mood_words_va`; nothing is precomputed.
"""

from __future__ import annotations

from pathlib import Path

from mer_keras.data.csvutil import read_table, require_columns
from mer_keras.errors import DataError

NORMS_FILE = "Ratings_Warriner_et_al.csv"
PROXY_LABEL = "proxy target: 4Q tag-derived valence/arousal, not DEAM listener ratings"


def load_norms(path: Path) -> dict[str, tuple[float, float]]:
    """Map lower-case word -> (valence mean, arousal mean) from the norms CSV.

    ``keep_default_na=False`` matters: the norms contain the words "null" and "nan".
    """
    frame = read_table(
        path,
        what="Warriner word norms",
        fix="Pass --norms PATH to Ratings_Warriner_et_al.csv (see README, Data).",
        keep_default_na=False,
        low_memory=False,
    )
    require_columns(frame, ["Word", "V.Mean.Sum", "A.Mean.Sum"], path, "Warriner word norms")
    norms = {}
    for word, valence, arousal in zip(frame["Word"], frame["V.Mean.Sum"], frame["A.Mean.Sum"]):
        norms[str(word).strip().lower()] = (float(valence), float(arousal))
    return norms


def split_mood_words(moods: str) -> list[str]:
    """``"Circular; Greasy"`` -> ``["circular", "greasy"]`` (split on ';', stripped, lower-cased)."""
    if not isinstance(moods, str):
        return []
    return [word.strip().lower() for word in moods.split(";") if word.strip()]


def mood_words_va(song_id: str, moods: str, norms: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """Valence and arousal of one song: the means over its mood words (1-9 scale).

    Raises
    ------
    DataError
        When the song has no mood word, or a word is not in the norms.
    """
    words = split_mood_words(moods)
    if not words:
        raise DataError(f"4Q song {song_id}: MoodsFoundStr is empty; cannot derive valence/arousal")
    unknown = [word for word in words if word not in norms]
    if unknown:
        raise DataError(
            f"4Q song {song_id}: mood word(s) {unknown} not in the Warriner norms; "
            "check that --norms points at the unmodified Ratings_Warriner_et_al.csv"
        )
    valence = sum(norms[word][0] for word in words) / len(words)
    arousal = sum(norms[word][1] for word in words) / len(words)
    return valence, arousal
