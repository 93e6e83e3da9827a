"""How figures are written in reports: one formatter for every report, summary and comparison."""

from __future__ import annotations


def fmt(value, digits: int = 3) -> str:
    """A figure as report text: ``None`` -> ``-``, ints with thousands separators, floats to ``digits``
    places, lists and tuples (intervals, bands) as ``low-high``."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return "-".join(fmt(v, digits) for v in value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
