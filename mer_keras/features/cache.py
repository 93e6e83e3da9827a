"""On-disk feature cache keyed by the file (path, size, mtime) and every extraction parameter."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np


def default_cache_dir() -> Path:
    """``$MER_CACHE``, else ``~/.cache/mer_keras``."""
    return Path(os.environ.get("MER_CACHE", Path.home() / ".cache" / "mer_keras"))


class FeatureCache:
    """Named arrays stored as ``<root>/<kind>/<key>.npz``; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else default_cache_dir()

    @staticmethod
    def key(path: Path, kind: str, params: dict) -> str:
        path = Path(path).resolve()
        stat = path.stat()
        blob = json.dumps({"format": 2, "path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                           "kind": kind, "params": params}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()

    def _file(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{key}.npz"

    def get(self, kind: str, key: str) -> dict[str, np.ndarray] | None:
        file = self._file(kind, key)
        if not file.is_file():
            return None
        try:
            with np.load(file, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        except (ValueError, OSError, EOFError, KeyError):
            file.unlink(missing_ok=True)  # unreadable entry: drop it and recompute
            return None

    def put(self, kind: str, key: str, arrays: dict[str, np.ndarray]) -> None:
        file = self._file(kind, key)
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, **arrays)
            os.replace(temp, file)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
