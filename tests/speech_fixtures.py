"""Tiny speech datasets made in code: 1-2 s tone/noise clips in the RAVDESS and CREMA-D layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RAVDESS_SIX = {"01": "neutral", "03": "happy", "04": "sad", "05": "angry", "06": "fearful", "07": "disgust"}
CREMAD_CODES = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")


def speech_clip(path: Path, seconds: float = 1.5, rate: int = 16000, freq: float = 220.0, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    signal = 0.2 * np.sin(2 * np.pi * freq * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)) + 0.03 * rng.standard_normal(t.size)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, signal.astype(np.float32), rate)
    return path


def make_ravdess(root: Path, actors=(1, 2, 3, 4), extras: bool = True) -> Path:
    """``Actor_NN/03-01-EE-01-01-01-NN.wav`` for the six emotions (one .flac per actor), plus a calm and a
    surprised clip and a badly named file (``extras``)."""
    data = root / "ravdess"
    for a in actors:
        for k, code in enumerate(RAVDESS_SIX):
            ext = ".flac" if k == 0 else ".wav"
            speech_clip(data / f"Actor_{a:02d}" / f"03-01-{code}-01-01-01-{a:02d}{ext}",
                        seconds=1.0 + 0.2 * k, freq=150 + 60 * k + 5 * a, seed=10 * a + k)
        if extras:
            speech_clip(data / f"Actor_{a:02d}" / f"03-01-02-01-01-01-{a:02d}.wav", seed=a)        # calm
            speech_clip(data / f"Actor_{a:02d}" / f"03-01-08-02-01-01-{a:02d}.wav", seed=a + 50)   # surprised
    if extras:
        speech_clip(data / "Actor_01" / "notes take 2.wav", seed=99)
    return data


def make_cremad(root: Path, speakers=(1001, 1002, 1003, 1004), extras: bool = True) -> Path:
    """``AudioWAV/SSSS_SEN_EMO_XX.wav`` for the six emotions per speaker, plus one badly named file."""
    data = root / "cremad"
    for s in speakers:
        for k, code in enumerate(CREMAD_CODES):
            speech_clip(data / "AudioWAV" / f"{s}_DFA_{code}_XX.wav", seconds=1.0 + 0.15 * k,
                        freq=160 + 50 * k + (s - 1000), seed=s + k)
    if extras:
        speech_clip(data / "AudioWAV" / "1001_DFA_JOY_XX.wav", seed=7)
    return data


EMODB_LETTERS = ("W", "E", "A", "F", "N", "T")     # the six shared classes; L (boredom) is left out


def make_emodb(root: Path, speakers=(3, 8, 9, 10), extras: bool = True) -> Path:
    """``wav/SSa01Ea.wav`` for the six shared emotions per speaker (one .flac per speaker), plus a boredom
    utterance per speaker and one badly named file (``extras``)."""
    data = root / "emodb"
    for s in speakers:
        for k, letter in enumerate(EMODB_LETTERS):
            ext = ".flac" if k == 0 else ".wav"
            speech_clip(data / "wav" / f"{s:02d}a0{k + 1}{letter}a{ext}", seconds=1.0 + 0.15 * k,
                        freq=170 + 55 * k + 3 * s, seed=100 * s + k)
        if extras:
            speech_clip(data / "wav" / f"{s:02d}b01La.wav", seed=s + 500)
    if extras:
        speech_clip(data / "wav" / "03a01Xa.wav", seed=9)
    return data
