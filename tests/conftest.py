"""Tiny datasets made in code: a few seconds of synthetic audio, a handful of songs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import mer_keras  # noqa: F401  (sets the default Keras backend before any test imports keras)

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


def make_deam(root: Path, n_songs: int = 8, audio: bool = True, features: bool = True, feature_columns: int = 6,
              dynamic: bool = True) -> Path:
    """A DEAM folder in the archive's layout: static CSV (spaces after commas), MEMD_audio, features, and
    (``dynamic``) per-half-second annotations consistent with the static labels (no swap planted)."""
    data = root / "deam"
    static = data / DEAM_STATIC
    static.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    rows = ["song_id, valence_mean, valence_std, arousal_mean, arousal_std"]
    labels = {}
    for song in range(2, 2 + n_songs):
        labels[song] = (round(rng.uniform(2, 8), 1), round(rng.uniform(2, 8), 1))
        rows.append(f"{song},{labels[song][0]:.1f},1.0,{labels[song][1]:.1f},1.1")
    static.write_text("\n".join(rows) + "\n")
    if dynamic:
        write_deam_dynamic(data, labels)
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


# --- DEAM label audit (issue 8): static files with a planted swap, dynamic files from the true labels ---

DEAM_DYNAMIC = Path("annotations", "annotations averaged per song", "dynamic (per second annotations)")
DEAM_STATIC_2015 = Path("annotations", "annotations averaged per song", "song_level",
                        "static_annotations_averaged_songs_2000_2058.csv")


def write_deam_static(path: Path, labels: dict, swap: set = frozenset()) -> Path:
    """DEAM's 1_2000 static layout; ``labels``: song -> (valence, arousal); songs in ``swap`` get the columns crossed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["song_id, valence_mean, valence_std, arousal_mean, arousal_std"]
    for song, (valence, arousal) in labels.items():
        valence_std, arousal_std = 1.0 + valence / 100, 1.5 + arousal / 100   # distinct, so a std swap shows
        if song in swap:
            valence, arousal, valence_std, arousal_std = arousal, valence, arousal_std, valence_std
        rows.append(f"{song},{valence:.2f},{valence_std:.3f},{arousal:.2f},{arousal_std:.3f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def write_deam_static_2015(path: Path, labels: dict) -> Path:
    """DEAM's 2000_2058 layout: 13 columns, the header typo ``valence_ max_mean``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["song_id, valence_mean, valence_std, valence_ max_mean, valence_max_std, valence_min_mean, valence_min_std, "
            "arousal_mean, arousal_std, arousal_max_mean, arousal_max_std, arousal_min_mean, arousal_min_std"]
    for song, (valence, arousal) in labels.items():
        rows.append(f"{song},{valence:.2f},1.0,{min(valence + 1, 9):.1f},1.0,{max(valence - 1, 1):.1f},1.0,"
                    f"{arousal:.2f},1.1,{min(arousal + 1, 9):.1f},1.0,{max(arousal - 1, 1):.1f},1.0")
    path.write_text("\n".join(rows) + "\n")
    return path


def write_deam_dynamic(data: Path, labels: dict, samples: int = 60, seed: int = 0) -> Path:
    """``arousal.csv`` and ``valence.csv`` (CRLF) whose per-song time means follow ``labels`` (1-9 -> -1..1).

    Songs above 2000 get twice the samples and shorter songs leave trailing cells empty, as in
    DEAM; every fourth song's row is cut short (ragged).
    """
    rng = np.random.default_rng(seed)
    folder = data / DEAM_DYNAMIC
    folder.mkdir(parents=True, exist_ok=True)
    width = samples * 2 if any(song > 2000 for song in labels) else samples
    header = ",".join(["song_id"] + [f"sample_{15000 + 500 * k}ms" for k in range(width)])
    for index, dimension in enumerate(("valence", "arousal")):
        lines = [header]
        for row, (song, values) in enumerate(labels.items()):
            count = samples * 2 if song > 2000 else samples
            centre = (values[index] - 5) / 4
            trace = np.clip(centre + 0.03 * rng.standard_normal(count), -1, 1)
            cells = [f"{value:.5f}" for value in trace] + [""] * (width - count)
            if row % 4 == 3:
                cells = cells[:count - 7]
            lines.append(",".join([str(song), *cells]))
        (folder / f"{dimension}.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return folder


def deam_true_labels(songs, seed: int = 3) -> dict:
    """song -> (valence, arousal), independent uniform 2-8 draws."""
    rng = np.random.default_rng(seed)
    return {song: (float(round(rng.uniform(2, 8), 2)), float(round(rng.uniform(2, 8), 2))) for song in songs}


def make_deam_label_audit(root: Path, swap_2013: bool = True, n_per_subset: int = 20, features: bool = True,
                          dynamic: bool = True, with_2015: bool = True) -> tuple[Path, dict]:
    """DEAM folder with 2013 (ids 2-...), 2014 (ids 1001-...) and 2015 (ids 2001-...) songs.

    The static 1_2000 file has the 2013 songs' valence/arousal columns crossed when ``swap_2013``;
    the dynamic files follow the true labels. Returns the folder and the true labels.
    """
    data = root / "deam"
    main = deam_true_labels([*range(2, 2 + n_per_subset), *range(1001, 1001 + n_per_subset)])
    write_deam_static(data / DEAM_STATIC, main, swap={song for song in main if song <= 1000} if swap_2013 else set())
    full_songs = deam_true_labels(range(2001, 2001 + max(n_per_subset // 2, 5)), seed=4) if with_2015 else {}
    if with_2015:
        write_deam_static_2015(data / DEAM_STATIC_2015, full_songs)
    if dynamic:
        write_deam_dynamic(data, main | full_songs)
    if features:
        for index, song in enumerate(main):
            write_opensmile(data / "features" / f"{song}.csv", rows=92, columns=4, seed=index)
    return data, main | full_songs


# --- the tiny GAN both GAN test modules train against (issue 22) ------------------------------------------

def gan_common(workspace: dict, preset: bool = True) -> list[str]:
    """train.py options of the GAN tests: the specs' `tiny` presets, one epoch, batches of 4, one worker."""
    return [*(["--preset", "tiny"] if preset else []), "--epochs", "1", "--batch-size", "4", "--workers", "1",
            "--data", workspace["data"], "--cache", workspace["cache"]]


@pytest.fixture(scope="session")
def gan_workspace(tmp_path_factory) -> dict:
    """Tiny 4Q data, a feature cache and one trained tiny GAN (``"gan"``), shared by the GAN test modules; each
    module writes its own runs under its own ``root`` (see their ``workspace`` fixtures)."""
    from mer_keras.cli import train_main

    root = tmp_path_factory.mktemp("gan_shared")
    shared = {"root": root, "data": str(make_4q(root / "data")), "cache": str(root / "cache")}
    run = root / "gan"
    assert train_main(["--model", "gan", "--out", str(run), *gan_common(shared)]) == 0
    return {**shared, "gan": run}
