"""DEAM label audit (issue 8): are the static valence/arousal columns swapped for a subset?

DEAM ships two kinds of listener annotations for the same songs: static song-level ratings
(1-9, ``song_level/static_annotations_*.csv``) and dynamic per-half-second ratings (-1..1,
``dynamic (per second annotations)/valence.csv`` and ``arousal.csv``). Averaged over time, a
song's dynamic valence should agree with its static valence, and the same for arousal. This
module measures that agreement per collection year and decides, by a rule written in code
(:func:`swap_rule`), whether a subset's static ``valence_*`` and ``arousal_*`` columns hold
each other's values. No list of songs is hard-coded: subsets are id ranges, the decision
comes from the correlations.

Subsets (DEAM's collection years):

- ``"2013"``: song ids <= 1000 in ``static_annotations_averaged_songs_1_2000.csv``;
- ``"2014"``: song ids 1001-2000 in the same file;
- ``"2015"``: ``static_annotations_averaged_songs_2000_2058.csv`` (ids 2001-2058, full songs).

When the dynamic files are absent, :data:`KNOWN_OUTCOMES` records the rule's outcome for the
official shipped static file, identified by its sha256.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mer_keras.data.deam_files import (DYNAMIC, HOW_TO_GET, STATIC_1_2000, STATIC_2000_2058,
                                 read_static_annotations)
from mer_keras.errors import DataError

DIMENSIONS = ("valence", "arousal")
DYNAMIC_FILES = {dimension: DYNAMIC / f"{dimension}.csv" for dimension in DIMENSIONS}
SUBSET_IDS = {"2013": "ids <= 1000", "2014": "ids 1001-2000", "2015": "ids 2001-2058"}
SUBSETS = {
    "2013": "song ids <= 1000 in static_annotations_averaged_songs_1_2000.csv",
    "2014": "song ids 1001-2000 in static_annotations_averaged_songs_1_2000.csv",
    "2015": "static_annotations_averaged_songs_2000_2058.csv (ids 2001-2058)",
}
# (static column, dynamic dimension) pairs, named for tables and audit.json.
STRAIGHT_PAIRS = {"static valence ~ dynamic valence": ("valence", "valence"),
                  "static arousal ~ dynamic arousal": ("arousal", "arousal")}
CROSSED_PAIRS = {"static valence ~ dynamic arousal": ("valence", "arousal"),
                 "static arousal ~ dynamic valence": ("arousal", "valence")}
SWAP_MARGIN = 0.2
MIN_SONGS = 5
RULE = (
    f"Per subset, correlate (Pearson) each song's static valence_mean and arousal_mean with its "
    f"time-averaged dynamic valence and arousal. swapped = True when both crossed correlations "
    f"(static valence ~ dynamic arousal, static arousal ~ dynamic valence) exceed both straight "
    f"ones (valence ~ valence, arousal ~ arousal) by at least {SWAP_MARGIN}, i.e. "
    f"min(crossed) - max(straight) >= {SWAP_MARGIN}; otherwise False (labels kept as shipped). "
    f"Undecided (None) with fewer than {MIN_SONGS} songs having both annotations or an undefined correlation."
)
# The rule's outcome for the official static_annotations_averaged_songs_1_2000.csv (1,744 songs),
# measured by `python -m mer_keras.audit deam` on DEAM's own dynamic files (issue 8):
# 2013: crossed r 0.96 / 0.95 vs straight 0.58 / 0.57; 2014: straight 0.91 / 0.94 vs crossed 0.59 / 0.57.
KNOWN_OUTCOMES = {
    "b07312724c1add58c09849eeee90c5b53cc54b5e4a97ff3e4f9505d5aa2a1b94": {"2013": True, "2014": False},
}


@dataclass
class SubsetAudit:
    """Correlations and the rule's decision for one subset.

    Attributes
    ----------
    subset : str
        ``"2013"``, ``"2014"`` or ``"2015"``.
    n_static : int
        Songs with static labels in the subset.
    n : int
        Songs with both static labels and a time-averaged dynamic annotation (the correlations' n).
    straight, crossed : dict
        Pearson r per named pair (see :data:`STRAIGHT_PAIRS`, :data:`CROSSED_PAIRS`); NaN when undefined.
    swapped : bool or None
        The rule's decision (:func:`swap_rule`); None when it cannot decide.
    reason : str
        Why, in words.
    pairs : pandas.DataFrame
        Per song: ``static_valence, static_arousal, dynamic_valence, dynamic_arousal`` (for plots).
    """

    subset: str
    n_static: int
    n: int
    straight: dict
    crossed: dict
    swapped: bool | None
    reason: str
    pairs: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def to_dict(self) -> dict:
        def rounded(values: dict) -> dict:
            return {name: (None if math.isnan(r) else round(float(r), 4)) for name, r in values.items()}

        return {"subset": self.subset, "songs": SUBSETS[self.subset], "n_static": self.n_static, "n": self.n,
                "straight": rounded(self.straight), "crossed": rounded(self.crossed),
                "swapped": self.swapped, "reason": self.reason}


@dataclass
class LabelDecision:
    """Which subsets of a static file to swap back, and on what evidence (for the loader)."""

    swapped: dict[str, bool]
    source: str
    audits: dict[str, SubsetAudit] = field(default_factory=dict)


def subset_of_song(song_id: int) -> str:
    """DEAM collection year of a song id: ``"2013"`` (<= 1000), ``"2014"`` (<= 2000), else ``"2015"``."""
    if song_id <= 1000:
        return "2013"
    return "2014" if song_id <= 2000 else "2015"


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dynamic_files_present(data_dir: Path) -> bool:
    """True when both dynamic annotation files exist under ``data_dir``."""
    return all((Path(data_dir) / relative).is_file() for relative in DYNAMIC_FILES.values())


def read_dynamic_annotation(path: Path, dimension: str) -> pd.Series:
    """Time-average one DEAM dynamic annotation file.

    Parameters
    ----------
    path : Path
        ``valence.csv`` or ``arousal.csv``: a header ``song_id,sample_15000ms,...`` and one row
        per song, values in [-1, 1], CRLF line ends. Rows may be ragged (fewer or more cells than
        the header, empty cells): each song's mean is over its non-empty cells.
    dimension : str
        ``"valence"`` or ``"arousal"``, for messages and the series name.

    Returns
    -------
    pandas.Series
        Mean of each song's non-missing samples, indexed by ``song_id`` (int); songs without any
        sample are left out.

    Raises
    ------
    DataError
        The file is missing or lacks the ``song_id,sample_*`` header, a song id is not an integer
        or appears twice, a cell is not a number or lies outside [-1, 1]; the message names the file.
    """
    path = Path(path)
    what = f"DEAM dynamic {dimension} annotations"
    if not path.is_file():
        raise DataError(f"{what} not found: {path}. {HOW_TO_GET}")
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        rows = csv.reader(handle)
        header = [cell.strip() for cell in next(rows, [])]
        if len(header) < 2 or header[0] != "song_id" or not header[1].startswith("sample_"):
            raise DataError(
                f"{what} {path} does not have DEAM's dynamic layout (header song_id,sample_15000ms,...); "
                f"it starts with {header[:3]}"
            )
        means = {}
        for line, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            song = _song_id(row[0], path, line)
            if song in means:
                raise DataError(f"{path}, line {line}: song {song} appears a second time")
            samples = _samples(row[1:], path, line)
            if samples.size:
                means[song] = float(samples.mean())
    series = pd.Series(means, name=dimension, dtype=float)
    series.index.name = "song_id"
    return series


def _song_id(cell: str, path: Path, line: int) -> int:
    try:
        value = float(cell)
    except ValueError:
        value = float("nan")
    if not value.is_integer():
        raise DataError(f"{path}, line {line}: song_id {cell!r} is not an integer")
    return int(value)


def _samples(cells: list[str], path: Path, line: int) -> np.ndarray:
    filled = [cell.strip() for cell in cells if cell.strip()]
    try:
        samples = np.array(filled, dtype=float)
    except ValueError:
        raise DataError(f"{path}, line {line}: a sample is not a number") from None
    outside = samples[np.isnan(samples) | (samples < -1) | (samples > 1)]
    if outside.size:
        raise DataError(
            f"{path}, line {line}: sample value {outside[0]} outside [-1, 1]; "
            "check the file is DEAM's dynamic (-1..1) annotation, not the static (1-9) one"
        )
    return samples


def read_dynamic_means(data_dir: Path) -> pd.DataFrame:
    """Time-averaged dynamic ``valence`` and ``arousal`` per song (index ``song_id``), from ``data_dir``."""
    series = [read_dynamic_annotation(Path(data_dir) / DYNAMIC_FILES[dimension], dimension) for dimension in DIMENSIONS]
    return pd.concat(series, axis=1, join="inner")


def static_subsets(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Static labels split into the subsets; ``"2015"`` only when its file exists."""
    data_dir = Path(data_dir)
    main = read_static_annotations(data_dir / STATIC_1_2000)
    subset_names = main.index.map(subset_of_song)
    subsets = {subset: main[subset_names == subset] for subset in ("2013", "2014")}
    if (data_dir / STATIC_2000_2058).is_file():
        subsets["2015"] = read_static_annotations(data_dir / STATIC_2000_2058)
    return subsets


def _pearson(x: pd.Series, y: pd.Series) -> float:
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def swap_rule(straight: dict, crossed: dict, n: int) -> tuple[bool | None, str]:
    """Decide whether a subset's static valence and arousal columns hold each other's values.

    The rule: with at least :data:`MIN_SONGS` songs, ``swapped`` is True when both crossed
    correlations (static valence ~ dynamic arousal, static arousal ~ dynamic valence) exceed
    both straight ones (static valence ~ dynamic valence, static arousal ~ dynamic arousal) by
    :data:`SWAP_MARGIN` (0.2) or more: ``min(crossed) - max(straight) >= 0.2``. Each static
    column then agrees clearly better with the *other* dimension's dynamic rating. Otherwise
    False: the labels are kept as shipped (the reason says whether the straight pairs win
    clearly or the evidence is unclear).

    Parameters
    ----------
    straight, crossed : dict
        Pearson r per named pair.
    n : int
        Songs the correlations are computed on.

    Returns
    -------
    (bool or None, str)
        The decision (None: too few songs or an undefined correlation) and the reason in words.
    """
    values = [*straight.values(), *crossed.values()]
    if n < MIN_SONGS:
        return None, f"undecided: {n} songs with both annotations (the rule needs {MIN_SONGS})"
    if any(math.isnan(r) for r in values):
        return None, "undecided: a correlation is undefined (constant labels)"
    lead = min(crossed.values()) - max(straight.values())
    if lead >= SWAP_MARGIN:
        return True, f"both crossed r exceed both straight r by {lead:.2f} >= {SWAP_MARGIN}"
    straight_lead = min(straight.values()) - max(crossed.values())
    if straight_lead >= SWAP_MARGIN:
        return False, f"both straight r exceed both crossed r by {straight_lead:.2f}: labelled as they should be"
    return False, f"unclear (crossed lead {lead:.2f} < {SWAP_MARGIN}): kept as shipped"


def audit_subset(subset: str, static: pd.DataFrame, dynamic: pd.DataFrame) -> SubsetAudit:
    """Correlate a subset's static labels with the time-averaged dynamic ones and apply :func:`swap_rule`."""
    songs = static.index.intersection(dynamic.index)
    pairs = pd.DataFrame({
        "static_valence": static.loc[songs, "valence_mean"], "static_arousal": static.loc[songs, "arousal_mean"],
        "dynamic_valence": dynamic.loc[songs, "valence"], "dynamic_arousal": dynamic.loc[songs, "arousal"],
    })

    def correlations(named_pairs: dict) -> dict:
        return {name: _pearson(pairs[f"static_{s}"], pairs[f"dynamic_{d}"]) for name, (s, d) in named_pairs.items()}

    straight, crossed = correlations(STRAIGHT_PAIRS), correlations(CROSSED_PAIRS)
    swapped, reason = swap_rule(straight, crossed, len(songs))
    return SubsetAudit(subset, len(static), len(songs), straight, crossed, swapped, reason, pairs)


def audit_static_frame(static: pd.DataFrame, dynamic: pd.DataFrame) -> dict[str, SubsetAudit]:
    """Audit each subset present in one static frame (indexed by ``song_id``)."""
    by_subset = static.groupby(static.index.map(subset_of_song))
    return {subset: audit_subset(subset, frame, dynamic) for subset, frame in sorted(by_subset)}


def audit_deam(data_dir: Path) -> dict[str, SubsetAudit]:
    """Run the audit on a DEAM folder: every subset whose static file is there, against the dynamic files."""
    dynamic = read_dynamic_means(data_dir)
    return {subset: audit_subset(subset, static, dynamic) for subset, static in static_subsets(data_dir).items()}


def correct_static_labels(frame: pd.DataFrame, swapped_subsets) -> pd.DataFrame:
    """Swap ``valence_mean <-> arousal_mean`` and ``valence_std <-> arousal_std`` for songs in swapped subsets.

    Parameters
    ----------
    frame : pandas.DataFrame
        Static labels indexed by ``song_id``, as :func:`mer_keras.data.deam.read_static_annotations` returns.
    swapped_subsets : iterable of str
        Subset names (``"2013"``, ``"2014"``, ``"2015"``) whose columns hold each other's values.

    Returns
    -------
    pandas.DataFrame
        A corrected copy; ``frame`` itself is not changed.
    """
    swapped_subsets = set(swapped_subsets)
    unknown = swapped_subsets - set(SUBSETS)
    if unknown:
        raise DataError(f"unknown DEAM subset(s) {sorted(unknown)}; choose from {list(SUBSETS)}")
    corrected = frame.copy()
    rows = frame.index.map(subset_of_song).isin(list(swapped_subsets))
    for statistic in ("mean", "std"):
        valence, arousal = f"valence_{statistic}", f"arousal_{statistic}"
        corrected.loc[rows, valence] = frame.loc[rows, arousal]
        corrected.loc[rows, arousal] = frame.loc[rows, valence]
    return corrected


def decide_label_swaps(data_dir: Path, static: pd.DataFrame, static_path: Path) -> LabelDecision:
    """Which subsets of ``static`` to swap back: by the audit rule, else by :data:`KNOWN_OUTCOMES`.

    The rule runs on ``data_dir``'s own dynamic files when both are present and it decides every
    subset the frame holds. Otherwise the static file's sha256 is looked up in
    :data:`KNOWN_OUTCOMES`. When neither answers, a DataError says how to proceed.
    """
    needed = sorted(set(static.index.map(subset_of_song)))
    problem = f"the dynamic annotations ({DYNAMIC}/valence.csv, arousal.csv) are not in {data_dir}"
    if dynamic_files_present(data_dir):
        audits = audit_static_frame(static, read_dynamic_means(data_dir))
        undecided = [subset for subset in needed if audits[subset].swapped is None]
        if not undecided:
            return LabelDecision({subset: bool(audits[subset].swapped) for subset in needed},
                                 "the label audit of this folder's dynamic annotations", audits)
        problem = "the label audit cannot decide subset(s) " + ", ".join(
            f"{subset} ({audits[subset].reason})" for subset in undecided)
    checksum = file_sha256(static_path)
    known = KNOWN_OUTCOMES.get(checksum)
    if known is not None and all(subset in known for subset in needed):
        return LabelDecision({subset: known[subset] for subset in needed},
                             f"the recorded audit outcome for the official file (sha256 {checksum[:12]}...)")
    raise DataError(
        f"cannot tell whether DEAM's static valence/arousal columns are swapped: {problem}, and "
        f"{static_path} (sha256 {checksum[:12]}...) is not the official file whose audit outcome is known. "
        "Add DEAM's dynamic annotation files, or use the labels as they are with labels=\"as-shipped\" "
        "(train.py --deam-labels as-shipped)."
    )


def describe_swap(decision: LabelDecision, static: pd.DataFrame) -> str:
    """One line: what was swapped (subsets, song counts, the correlations) and on what evidence."""
    swapped = [subset for subset, flag in decision.swapped.items() if flag]
    if not swapped:
        return f"DEAM labels: nothing swapped, no subset has valence/arousal columns swapped (by {decision.source})"
    counts = static.index.map(subset_of_song).value_counts()
    parts = []
    for subset in swapped:
        part = f"{subset} songs ({SUBSET_IDS[subset]}, {counts.get(subset, 0)} songs)"
        audit = decision.audits.get(subset)
        if audit is not None:
            part += (f": static valence ~ dynamic arousal r = {audit.crossed['static valence ~ dynamic arousal']:.2f} "
                     f"vs ~ dynamic valence r = {audit.straight['static valence ~ dynamic valence']:.2f}")
        parts.append(part)
    return ("DEAM labels: swapped valence_mean/std <-> arousal_mean/std back for the " + "; ".join(parts)
            + f" (by {decision.source})")
