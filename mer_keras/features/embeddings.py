"""Precomputed wav2vec2 frame embeddings: ``<DIR>/<clip stem>.npy``, shape (frames, dim), one per clip.

For users who ran a pretrained wav2vec2 model themselves; nothing is downloaded here. Each clip's
frames are cropped or zero-padded to a fixed count (wav2vec2 gives one frame per 20 ms).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mer_keras.errors import DataError
from mer_keras.specs import load_spec


def embeddings_params(directory: str | Path) -> dict:
    """Reader parameters: the folder (absolute) and ``specs/features.yaml`` ``speech.embeddings``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"--embeddings {directory} is not a folder; it must hold one <clip name>.npy per clip "
                        "(wav2vec2 frame embeddings, shape (frames, dim))")
    spec = load_spec("features")["speech"]["embeddings"]
    return {"directory": str(directory.resolve()), "frames": int(spec["frames"]),
            "frame_seconds": float(spec["frame_seconds"])}


def embeddings_path(audio_path: Path, directory: str | Path) -> Path:
    return Path(directory) / f"{Path(audio_path).stem}.npy"


def read_embeddings(audio_path: Path, directory: str, frames: int, frame_seconds: float = 0.02) -> tuple[np.ndarray, float]:
    """The embeddings of the clip ``audio_path``, cropped / padded to ``frames``; and seconds of padding.

    Raises
    ------
    DataError
        Missing, unreadable, not 2-D or non-finite file (the clip is then skipped and listed).
    """
    path = embeddings_path(audio_path, directory)
    if not path.is_file():
        raise DataError(f"no embeddings file {path} for {Path(audio_path).name}; write one (frames, dim) .npy per clip")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"cannot read embeddings {path}: {exc}; rewrite it with numpy.save") from None
    if array.ndim != 2 or array.shape[0] == 0:
        raise DataError(f"embeddings {path} have shape {array.shape}; expected (frames, dim)")
    if not np.all(np.isfinite(array)):
        raise DataError(f"embeddings {path} contain NaN/inf")
    padding = max(frames - array.shape[0], 0)
    array = np.pad(array, ((0, padding), (0, 0))) if padding else array[:frames]
    return np.ascontiguousarray(array, dtype=np.float32), padding * frame_seconds
