"""Handcrafted audio descriptors for the classic baselines, computed with librosa.

Every feature is listed here, in one place. Each frame-level descriptor is computed on the
same window as the log-mel (30 s at 22,050 Hz, FFT 2,048, hop 512) and summarised over time
by its mean and standard deviation; tempo is one number per clip.

=====================  ====  ==========================================================
descriptor             dims  what it captures
=====================  ====  ==========================================================
mfcc                   20    timbre: cepstrum of the log-mel spectrum
mfcc_delta             20    first temporal difference of the MFCCs
mfcc_delta2            20    second temporal difference of the MFCCs
chroma                 12    energy per pitch class (STFT chroma)
spectral_centroid      1     brightness: centre of mass of the spectrum (Hz)
spectral_bandwidth     1     spread of the spectrum around its centroid (Hz)
spectral_contrast      7     peak-valley difference in 6 octave bands + residual (dB)
spectral_rolloff       1     frequency below which 85% of the energy lies (Hz)
zero_crossing_rate     1     noisiness / high-frequency content
rms                    1     loudness (root-mean-square energy)
tonnetz                6     tonal centroid (fifths, minor and major thirds), from the chroma
tempo                  1     global tempo estimate (BPM), no time summary
=====================  ====  ==========================================================

90 frame-level dimensions x (mean, std) + tempo = 181 features. Tonnetz is computed from the
STFT chroma rather than after harmonic/percussive separation, which would triple the cost.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DESCRIPTORS = [("mfcc", 20), ("mfcc_delta", 20), ("mfcc_delta2", 20), ("chroma", 12),
               ("spectral_centroid", 1), ("spectral_bandwidth", 1), ("spectral_contrast", 7),
               ("spectral_rolloff", 1), ("zero_crossing_rate", 1), ("rms", 1), ("tonnetz", 6)]


def feature_names() -> list[str]:
    """Names of the 181 features, in the order of :func:`handcrafted_from_signal`'s vector."""
    names = []
    for statistic in ("mean", "std"):
        for name, dims in DESCRIPTORS:
            names += [f"{name}_{k + 1}_{statistic}" if dims > 1 else f"{name}_{statistic}" for k in range(dims)]
    return names + ["tempo"]


def handcrafted_from_signal(signal: np.ndarray, sample_rate: int = 22050, n_fft: int = 2048,
                            hop_length: int = 512) -> np.ndarray:
    """Feature vector of one clip.

    Returns
    -------
    np.ndarray, shape (1, 181), float32: frame-level descriptors' means, then their standard
    deviations, then tempo (BPM). Shaped (1, n) so it stacks like a one-frame sequence.
    """
    import librosa

    stft = np.abs(librosa.stft(signal, n_fft=n_fft, hop_length=hop_length))
    power = stft ** 2
    mel = librosa.feature.melspectrogram(S=power, sr=sample_rate, n_mels=128)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=20)
    chroma = librosa.feature.chroma_stft(S=power, sr=sample_rate)
    frames = {
        "mfcc": mfcc,
        "mfcc_delta": librosa.feature.delta(mfcc),
        "mfcc_delta2": librosa.feature.delta(mfcc, order=2),
        "chroma": chroma,
        "spectral_centroid": librosa.feature.spectral_centroid(S=stft, sr=sample_rate),
        "spectral_bandwidth": librosa.feature.spectral_bandwidth(S=stft, sr=sample_rate),
        "spectral_contrast": librosa.feature.spectral_contrast(S=stft, sr=sample_rate),
        "spectral_rolloff": librosa.feature.spectral_rolloff(S=stft, sr=sample_rate),
        "zero_crossing_rate": librosa.feature.zero_crossing_rate(signal, frame_length=n_fft, hop_length=hop_length),
        "rms": librosa.feature.rms(S=stft, frame_length=n_fft),
        "tonnetz": librosa.feature.tonnetz(chroma=chroma, sr=sample_rate),
    }
    stacked = np.concatenate([frames[name] for name, _ in DESCRIPTORS], axis=0)
    onset = librosa.onset.onset_strength(S=librosa.power_to_db(mel), sr=sample_rate)
    tempo = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=onset, sr=sample_rate, hop_length=hop_length))[0])
    vector = np.concatenate([stacked.mean(axis=1), stacked.std(axis=1), [tempo]])
    return np.nan_to_num(vector, nan=0.0).astype(np.float32)[None, :]


def handcrafted_from_file(path: Path, sample_rate: int = 22050, n_fft: int = 2048, hop_length: int = 512,
                          duration: float = 30.0, offset: float = 0.0) -> tuple[np.ndarray, float]:
    """Decode the clip's window (``offset`` .. + ``duration`` s); return (features (1, 181), seconds short of it)."""
    from mer_keras.features.audio import load_audio

    signal = load_audio(path, sample_rate, offset=offset, duration=duration)
    short = max(int(round(duration * sample_rate)) - signal.size, 0) / sample_rate
    return handcrafted_from_signal(signal, sample_rate, n_fft, hop_length), short
