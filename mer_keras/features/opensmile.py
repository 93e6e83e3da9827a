"""DEAM's openSMILE frame features: ``features/<song_id>.csv``, ``;``-separated, 0.5 s per row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mer_keras.errors import DataError
from mer_keras.specs import load_spec


def opensmile_params() -> dict:
    spec = load_spec("features")["opensmile"]
    return {"frames": int(spec["frames"]), "excerpt_seconds": float(spec["excerpt_seconds"])}


def read_opensmile(path: Path, frames: int = 90, excerpt_seconds: float = 45.0,
                   start: float = 0.0, frame_step: float = 0.5) -> tuple[np.ndarray, float]:
    """Read one song's openSMILE frames cut to its annotated excerpt.

    Rows with ``start <= frameTime < start + excerpt_seconds`` are kept (full-length songs:
    their first 45 s unless segment times are given), then truncated or edge-padded to ``frames``.

    Returns
    -------
    features : np.ndarray, shape (frames, n_features), float32
    padding : float
        Seconds of edge padding (missing rows x ``frame_step``).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"openSMILE feature file not found: {path}")
    try:
        table = pd.read_csv(path, sep=";")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read openSMILE features {path} ({exc}); expected DEAM's ';'-separated CSV") from None
    table.columns = [str(column).strip() for column in table.columns]
    if "frameTime" not in table.columns or table.shape[1] < 2:
        raise DataError(f"openSMILE features {path}: expected a ';'-separated file whose first column is frameTime")
    times = pd.to_numeric(table["frameTime"], errors="coerce").to_numpy()
    values = table.drop(columns=["frameTime"]).apply(pd.to_numeric, errors="coerce").to_numpy(np.float32)
    keep = (times >= start) & (times < start + excerpt_seconds)
    values = values[keep]
    if values.shape[0] == 0:
        raise DataError(f"openSMILE features {path} have no rows between {start} and {start + excerpt_seconds} s")
    if not np.all(np.isfinite(values)):
        raise DataError(f"openSMILE features {path} contain NaN or non-numeric values")
    missing = max(frames - values.shape[0], 0)
    if missing:
        values = np.pad(values, ((0, missing), (0, 0)), mode="edge")
    return np.ascontiguousarray(values[:frames]), missing * frame_step


def summarise_opensmile(frames: np.ndarray) -> np.ndarray:
    """Per-song summary for the classic baselines: each feature's mean, then its standard deviation.

    ``frames`` (n_frames, n_features) -> (1, 2 * n_features), float32.
    """
    return np.concatenate([frames.mean(axis=0), frames.std(axis=0)])[None, :].astype(np.float32)


def opensmile_feature_names(path: Path) -> list[str]:
    """Names of the summary features from a feature file's header: ``<column>_mean`` then ``<column>_std``."""
    columns = [c.strip() for c in Path(path).read_text().splitlines()[0].split(";")[1:]]
    return [f"{c}_mean" for c in columns] + [f"{c}_std" for c in columns]
