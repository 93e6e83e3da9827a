"""Tiny datasets made in code: a few seconds of synthetic audio, a handful of songs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# Word norms for the fixtures (valence, arousal), including the words "null" and "nan".
NORMS = {"happy": (8.5, 6.0), "calm": (7.0, 2.0), "sad": (2.0, 3.0), "angry": (2.5, 7.5),
         "excited": (7.5, 8.0), "gloomy": (2.2, 2.5), "null": (4.0, 3.0), "nan": (5.0, 5.0)}
# (song, artist, quadrant, mood words)
SONGS = [("S1", "Ann", "Q1", "happy; excited"), ("S2", "Bob", "Q1", "Happy; excited; null"),
         ("S3", "Cid", "Q2", "angry; excited"), ("S4", "Dee", "Q2", "angry"),
         ("S5", "Eve", "Q3", "sad; gloomy"), ("S6", "Fay", "Q3", "gloomy; Sad"),
         ("S7", "Gus", "Q4", "calm; happy"), ("S8", "Ann", "Q4", "calm"),
         ("S9", "Hal", "Q1", "excited"), ("S10", "Ivy", "Q3", "sad")]


def tone(seconds: float = 3.0, rate: int = 22050, freq: float = 440.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


def write_audio(path: Path, seconds: float = 3.0, rate: int = 22050, freq: float = 440.0, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(seconds, rate, freq, seed), rate)
    return path


def write_norms(path: Path, norms=NORMS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",Word,V.Mean.Sum,V.SD.Sum,A.Mean.Sum,A.SD.Sum"]
    lines += [f"{i},{w},{v},1.0,{a},1.0" for i, (w, (v, a)) in enumerate(norms.items(), 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


def make_4q(root: Path, songs=SONGS, ext: str = ".wav", seconds: float = 3.0) -> Path:
    """A 4Q folder in the distributed layout plus the norms at ../warriner, like ../shared/data."""
    data = root / "4q"
    for index, (song, _, quadrant, _) in enumerate(songs):
        write_audio(data / quadrant / f"{song}{ext}", seconds, freq=200 + 80 * index, seed=index)
    (data / "panda_dataset_taffc_annotations.csv").write_text(
        "Song,Quadrant\n" + "".join(f"{s},{q}\n" for s, _, q, _ in songs))
    meta = ['"Song","Artist","Title","Quadrant","MoodsFoundStr"']
    meta += [f'"{s}","{a}","Títle {s}","{q}","{m}"' for s, a, q, m in songs]
    (data / "panda_dataset_taffc_metadata.csv").write_bytes(("\r\n".join(meta) + "\r\n").encode("latin-1"))
    write_norms(root / "warriner" / "Ratings_Warriner_et_al.csv")
    return data


DEAM_STATIC = Path("annotations", "annotations averaged per song", "song_level",
                   "static_annotations_averaged_songs_1_2000.csv")


def make_deam(root: Path, n_songs: int = 8, audio: bool = True, features: bool = True, feature_columns: int = 6) -> Path:
    """A DEAM folder in the archive's layout: static CSV (spaces after commas), MEMD_audio, features."""
    data = root / "deam"
    static = data / DEAM_STATIC
    static.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    rows = ["song_id, valence_mean, valence_std, arousal_mean, arousal_std"]
    for song in range(2, 2 + n_songs):
        rows.append(f"{song},{rng.uniform(2, 8):.1f},1.0,{rng.uniform(2, 8):.1f},1.1")
    static.write_text("\n".join(rows) + "\n")
    for index, song in enumerate(range(2, 2 + n_songs)):
        if audio:
            write_audio(data / "MEMD_audio" / f"{song}.mp3", seconds=18.0, rate=22050, freq=150 + 50 * index, seed=index)
        if features:
            write_opensmile(data / "features" / f"{song}.csv", rows=92, columns=feature_columns, seed=index)
    return data


def write_opensmile(path: Path, rows: int = 90, columns: int = 6, seed: int = 0, step: float = 0.5) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    header = ";".join(["frameTime"] + [f"F{k}_sma_amean" for k in range(columns)])
    lines = [header] + [";".join([f"{i * step:.1f}"] + [f"{v:.5f}" for v in rng.standard_normal(columns)]) for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MER_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MER_DATA", raising=False)


@pytest.fixture
def fourq_dir(tmp_path) -> Path:
    return make_4q(tmp_path / "data")


@pytest.fixture
def deam_dir(tmp_path) -> Path:
    return make_deam(tmp_path / "data")


def needs_shared(*parts: str):
    path = SHARED_DATA.joinpath(*parts)
    return pytest.mark.skipif(not path.exists(), reason=f"{path} not present")
