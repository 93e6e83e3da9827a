"""Audio clips for the benches: the first ``n`` real 4Q clips when ``../shared/data/4q`` is there, else synthetic
30 s tone-plus-noise clips written to a folder. One place, so every bench times the same inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

FOURQ = Path(__file__).resolve().parents[2] / "shared" / "data" / "4q"


def real_4q(n: int) -> list[Path]:
    """The first ``n`` 4Q clips (Ogg Opus, 30 s) by path, or fewer when the folder holds fewer (none without it)."""
    return sorted(FOURQ.glob("Q*/*.opus"))[:n] if FOURQ.is_dir() else []


def synthetic(n: int, folder: Path, suffix: str = ".wav", rate: int = 22050, seconds: float = 30.0) -> list[Path]:
    """``n`` mono clips of a tone plus a little seeded noise, ``seconds`` long at ``rate`` Hz, written to ``folder``
    as ``c<k><suffix>`` (any format soundfile writes: .wav, .mp3, .flac)."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        t = np.arange(int(seconds * rate)) / rate
        signal = 0.2 * np.sin(2 * np.pi * (200 + 10 * k) * t) + 0.05 * np.random.default_rng(k).standard_normal(t.size)
        path = folder / f"c{k}{suffix}"
        sf.write(path, signal.astype("float32"), rate)
        paths.append(path)
    return paths


def clips(n: int, folder: Path) -> tuple[str, list[Path]]:
    """``n`` real 4Q clips when there are that many, else ``n`` synthetic 30 s wav clips in ``folder``; and what
    they are, for the results table."""
    files = real_4q(n)
    if len(files) == n:
        return "4Q clips (Ogg Opus, 30 s)", files
    return "synthetic 30 s wav, 22,050 Hz", synthetic(n, folder)
