"""A run directory: every file a run writes, and nothing downstream needs training's memory."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from mer_keras.errors import RunError


class RunDir:
    """Paths and readers for one run (``model.keras``, ``config.json``, ``split.json``, ``history.csv``, ...)."""

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

    def create(self) -> "RunDir":
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    def write_json(self, path: Path, data: dict) -> None:
        temp = Path(str(path) + ".tmp")
        temp.write_text(json.dumps(data, indent=1, default=str))
        temp.replace(path)

    def read_config(self) -> dict:
        if not self.config.is_file():
            raise RunError(f"{self.path} is not a run directory (no config.json); pass the --out folder of a train.py run")
        return json.loads(self.config.read_text())

    def read_history(self) -> dict[str, list[float]]:
        """history.csv as columns (``epoch``, ``loss``, ``val_loss``, ``seconds``, ...); empty if absent."""
        if not self.history.is_file():
            return {}
        with open(self.history, newline="") as handle:
            rows = list(csv.DictReader(handle))
        return {name: [float(row[name]) for row in rows] for name in rows[0]} if rows else {}

    def write_skipped(self, rows: list[tuple[str, str, str]]) -> None:
        """Rows of (item_id, stage, reason) for every item left out of the run."""
        with open(self.skipped, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["item_id", "stage", "reason"])
            writer.writerows(rows)

    def read_skipped(self) -> list[dict]:
        if not self.skipped.is_file():
            return []
        with open(self.skipped, newline="") as handle:
            return list(csv.DictReader(handle))

    def require(self, *names: str) -> None:
        missing = [name for name in names if not (self.path / name).is_file()]
        if missing:
            raise RunError(f"run {self.path} lacks {missing}; did training finish? (train.py --resume continues it)")
