"""Small CSV helpers shared by the loaders: read, strip header spaces, check columns."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mer_keras.errors import DataError

if TYPE_CHECKING:
    import pandas as pd


def read_table(path: Path, *, what: str, fix: str, **kwargs) -> "pd.DataFrame":
    """Read a CSV into a DataFrame with stripped column names, or raise a DataError naming it."""
    import pandas as pd        # here, not at import: predict.py never reads a table (0.3 s of its start-up)

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} not found: {path}. {fix}")
    try:
        frame = pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{what} {path} could not be read as CSV ({exc}). {fix}") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    return frame


def require_columns(frame: "pd.DataFrame", columns: list[str], path: Path, what: str) -> None:
    """Raise a DataError listing the columns ``frame`` lacks."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(
            f"{what} {path} lacks column(s) {missing}; it has {list(frame.columns)[:12]}. "
            "Check that the file is the dataset's own, unmodified."
        )
