"""The run directory: every file a run writes, and the only writer of them.

Training writes the model, ``config.json``, ``split.json``, ``history.csv``, ``normalization.npz``,
``skipped.csv`` and the resume checkpoints; evaluation writes ``metrics.json``, ``predictions.csv``,
``report.md`` and plots into a run or report folder. Every text file goes through the atomic writers
below (a temporary file, then a rename), so an interrupted write never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from mer_keras.errors import RunError


def _atomic_write(path: Path, text: str) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + ".tmp")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}; choose a writable folder "
                       "(--out / --report-dir) with free space") from None
    return path


def write_json(path: Path, data) -> Path:
    """``data`` as indented JSON (non-JSON values as ``str``), atomically."""
    return _atomic_write(path, json.dumps(data, indent=1, default=_json_default) + "\n")


def _json_default(value):
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:   # pragma: no cover
        pass
    return str(value)


def write_text(path: Path, text: str) -> Path:
    """A text file (a report), atomically."""
    return _atomic_write(path, text if text.endswith("\n") else text + "\n")


def write_csv(path: Path, header: list[str], rows) -> Path:
    """A CSV file with ``header`` and ``rows``, atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return _atomic_write(path, buffer.getvalue())


def save_figure(figure, path: Path, dpi: int = 110) -> Path:
    """A matplotlib figure as PNG, atomically."""
    path = Path(path)
    temp = path.with_name(path.stem + ".tmp.png")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(temp, dpi=dpi)
        os.replace(temp, path)
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}; choose a writable --report-dir") from None
    return path


def read_json(path: Path, what: str = "file") -> dict:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RunError(f"{path} not found; {what}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path} is not valid JSON ({exc}); the run is damaged: train it again") from None


class RunDir:
    """Paths, readers and writers for one run (``model.keras``, ``config.json``, ``split.json``, ...)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    config = property(lambda self: self.path / "config.json")
    split = property(lambda self: self.path / "split.json")
    history = property(lambda self: self.path / "history.csv")
    model = property(lambda self: self.path / "model.keras")
    scaler = property(lambda self: self.path / "normalization.npz")
    skipped = property(lambda self: self.path / "skipped.csv")
    state = property(lambda self: self.path / "state.json")
    last_model = property(lambda self: self.path / "last.keras")
    best_weights = property(lambda self: self.path / "best.weights.h5")
    metrics = property(lambda self: self.path / "metrics.json")

    def create(self) -> "RunDir":
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"cannot create the run directory {self.path}: {exc.strerror or exc}; "
                           "pass --out a writable folder") from None
        return self

    # writers ---------------------------------------------------------------------------------

    def write_json(self, path: Path, data: dict) -> Path:
        return write_json(path, data)

    def write_config(self, config: dict) -> Path:
        return write_json(self.config, config)

    def write_split(self, split: dict) -> Path:
        return write_json(self.split, split)

    def write_skipped(self, rows: list[tuple[str, str, str]]) -> Path:
        """Rows of (item_id, stage, reason) for every item left out of the run."""
        return write_csv(self.skipped, ["item_id", "stage", "reason"], rows)

    def append_history(self, names: list[str], values: list[str]) -> None:
        """One epoch's row of ``history.csv`` (header written with the first row)."""
        new_file = not self.history.is_file()
        with open(self.history, "a", newline="") as handle:
            writer = csv.writer(handle)
            if new_file:
                writer.writerow(names)
            writer.writerow(values)

    def truncate_history(self, last_epoch: int) -> None:
        """Drop history rows after ``last_epoch`` (an epoch logged but not checkpointed before a crash)."""
        if not self.history.is_file():
            return
        with open(self.history, newline="") as handle:
            rows = list(csv.reader(handle))
        kept = [row for row in rows[1:] if int(row[0]) <= last_epoch]
        write_csv(self.history, rows[0], kept)

    # readers ---------------------------------------------------------------------------------

    def read_config(self) -> dict:
        if not self.config.is_file():
            raise RunError(f"{self.path} is not a run directory (no config.json); pass the --out folder of a train.py run")
        return read_json(self.config)

    def read_split(self) -> dict:
        from mer_keras.data.splits import check_split_record

        return check_split_record(read_json(self.split, "the run has no split.json: train it again"), self.split)

    def read_history(self) -> dict[str, list[float]]:
        """history.csv as columns (``epoch``, ``loss``, ``val_loss``, ``seconds``, ...); empty if absent."""
        if not self.history.is_file():
            return {}
        with open(self.history, newline="") as handle:
            rows = list(csv.DictReader(handle))
        return {name: [float(row[name]) for row in rows] for name in rows[0]} if rows else {}

    def read_skipped(self) -> list[dict]:
        if not self.skipped.is_file():
            return []
        with open(self.skipped, newline="") as handle:
            return list(csv.DictReader(handle))

    def require(self, *names: str) -> None:
        missing = [name for name in names if not (self.path / name).is_file()]
        if missing:
            raise RunError(f"run {self.path} lacks {missing}; did training finish? (train.py --resume continues it)")
