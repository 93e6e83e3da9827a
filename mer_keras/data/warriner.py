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


#: The 152 AllMusic mood words of the 4Q dataset's metadata (``MoodsFoundStr``, Panda et al. 2018): the
#: vocabulary whose Warriner norms made 4Q's quadrants and 4Q-VA. ``predict.py`` names the ones nearest to a
#: prediction; their valence/arousal come from the norms file at run time, never from here.
MOOD_WORDS = (
    "aggressive", "agreeable", "amiable", "angry", "anguished", "anxious", "atmospheric", "belligerent",
    "bitter", "bittersweet", "bleak", "brash", "bravado", "bright", "brittle", "brooding", "calm", "carefree",
    "cerebral", "cheerful", "circular", "clinical", "cold", "complex", "confident", "crunchy", "cynical",
    "delicate", "detached", "difficult", "distraught", "dramatic", "dreamy", "earnest", "earthy", "eccentric",
    "eerie", "elaborate", "elegant", "energetic", "epic", "erotic", "euphoric", "exciting", "explosive",
    "fierce", "fiery", "fun", "gentle", "giddy", "gloomy", "greasy", "gritty", "gutsy", "happy", "harsh",
    "hostile", "humorous", "hungry", "hypnotic", "indulgent", "innocent", "intense", "intimate", "ironic",
    "jittery", "joyous", "lazy", "light", "lively", "lonely", "lush", "majestic", "manic", "melancholy",
    "mellow", "menacing", "messy", "mighty", "mystical", "naive", "negative", "nervous", "nocturnal",
    "nostalgic", "ominous", "optimistic", "organic", "outraged", "outrageous", "paranoid", "passionate",
    "peaceful", "playful", "poignant", "positive", "powerful", "precious", "provocative", "pure", "quiet",
    "quirky", "rebellious", "reckless", "refined", "reflective", "regretful", "relaxed", "reserved", "reverent",
    "romantic", "rousing", "rowdy", "rustic", "sad", "sarcastic", "sensual", "sentimental", "serious", "sexual",
    "sexy", "silly", "sleazy", "slick", "smooth", "snide", "soft", "soothing", "sophisticated", "sparkling",
    "spicy", "spiritual", "spooky", "stately", "strong", "stylish", "sweet", "technical", "tense", "theatrical",
    "thoughtful", "thrilling", "tragic", "trashy", "uncompromising", "uplifting", "urgent", "volatile", "warm",
    "weary", "whimsical", "witty",
)


def mood_points(norms: dict[str, tuple[float, float]], words=MOOD_WORDS) -> dict[str, tuple[float, float]]:
    """``words`` that are in ``norms``, with their (valence, arousal)."""
    return {word: norms[word] for word in words if word in norms}


def nearest_words(valence: float, arousal: float, points: dict[str, tuple[float, float]], k: int = 3) -> list[str]:
    """The ``k`` words of ``points`` (word -> (valence, arousal), e.g. :func:`mood_points`) nearest to
    (``valence``, ``arousal``) in the valence/arousal plane (1-9, Euclidean), nearest first; ties by word."""
    distances = sorted(((valence - v) ** 2 + (arousal - a) ** 2, word) for word, (v, a) in points.items())
    return [word for _, word in distances[:max(k, 0)]]
