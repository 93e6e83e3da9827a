"""On-disk feature cache keyed by the file's content (sha256) and every extraction parameter: a moved,
copied or re-mounted dataset still hits the cache; an edited file does not."""

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


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


class FeatureCache:
    """Named arrays stored as ``<root>/<kind>/<key>.npz``; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else default_cache_dir()

    @staticmethod
    def key(path: Path, kind: str, params: dict) -> str:
        """The entry name for ``path``'s features of ``kind`` with ``params``: from the file's bytes, not its
        path or modification time (datasets get copied and re-mounted; their features do not change)."""
        blob = json.dumps({"format": 3, "content": file_digest(path), "kind": kind, "params": params}, sort_keys=True)
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
        """Store ``arrays`` atomically; an unwritable or full cache folder is one RunError naming the file."""
        file = self._file(kind, key)
        temp = None
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
            with os.fdopen(handle, "wb") as stream:
                np.savez(stream, **arrays)
            os.replace(temp, file)
        except BaseException as exc:
            if temp:
                Path(temp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                from mer_keras.errors import RunError

                raise RunError(f"cannot write the feature cache {file}: {exc.strerror or exc}; pass --cache (or set "
                               "MER_CACHE to) a writable folder with free space") from None
            raise
