"""The record every dataset loader returns, whatever the dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Item:
    """One song or clip.

    Attributes
    ----------
    item_id : str
        Song or clip id, unique within the dataset.
    group : str
        What splits must keep together: the artist (4Q), the song (DEAM), the speaker (speech).
    path : Path or None
        Audio file or feature file; None when the dataset has labels but no input for it.
    labels : dict
        Named labels, e.g. ``{"valence": 5.2, "arousal": 3.1}`` on the 1-9 scale, or
        ``{"quadrant": "Q2"}``. Never bare column positions.
    """

    item_id: str
    group: str
    path: Path | None
    labels: dict = field(default_factory=dict)


@dataclass
class Dataset:
    """Items plus what a report must say about where they came from.

    ``task`` is ``"va"`` (valence/arousal regression on the 1-9 scale) or ``"quadrant"``.
    ``skipped`` lists ``(item_id, reason)`` for every item left out, so nothing is lost silently.
    """

    name: str
    task: str
    items: list[Item]
    description: str
    input_kind: str                      # "audio" or "opensmile"
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    window_offset: float = 0.0           # seconds into each clip where the log-mel window starts

    def by_id(self) -> dict[str, Item]:
        return {item.item_id: item for item in self.items}
