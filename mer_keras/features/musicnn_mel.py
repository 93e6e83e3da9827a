"""musicnn's input pipeline and its clip embeddings (``--features musicnn``), shared by extraction and
``predict.py --tags``.

The pipeline is the ``musicnn`` wheel's ``extractor.batch_data`` (numbers in ``specs/musicnn.yaml``
``input``): audio decoded to 16 kHz mono; librosa's mel power spectrogram (n_fft 512, hop 256, 96
Slaney bands); rounded to float16 and mapped to ``log10(1 + 10000 x)`` in float32 (as the wheel did under
its numpy < 1.17; under numpy 2 its float16 arithmetic overflows loud bins to inf); cut into non-overlapping
patches of 187 frames (3 s), a last partial patch dropped. Two choices the wheel leaves open, made here:

- STFT edge padding ``reflect``: the default of the librosa (0.6) the weights were trained with;
  librosa 0.11 defaults to ``constant`` (only the first and last frame differ);
- a clip shorter than one patch is repeated to fill it (the training set-up's ``pad_short:
  repeat-pad``); the wheel's extractor fails on it.

A clip's embedding (the frozen-backbone features for the classic heads) is the mean and the standard
deviation over its patches of the 200-d ``penultimate`` output: (1, 400), ``musicnn_mean_000`` ..
``musicnn_sd_199``. Model weights are converted once into ``<cache>/musicnn/`` (``$MER_CACHE``).

``musicnn_mel`` (the input of ``--model musicnn``, :mod:`mer_keras.models.musicnn_regressor`) is the same log-mel
of the whole window, not cut into patches: (1 + window samples // 256, 96), 1,876 frames for 30 s; the model cuts
it into patches itself. A clip shorter than the window has its log-mel frames repeated to fill it (as a clip
shorter than one patch is above), so the patches hold only the clip's own sound.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from mer_keras.errors import DataError
from mer_keras.specs import load_spec

MEL_KEYS = ("sample_rate", "n_fft", "hop_length", "n_mels", "log_scale", "pad_mode")    # musicnn_mel's arguments
INPUT_KEYS = MEL_KEYS + ("patch_frames", "patch_hop")
_MODELS: dict = {}    # weights name -> embedding model, one per process
_MODEL_LOCK = threading.Lock()


def musicnn_params(offset: float = 0.0, weights: str = "MSD_musicnn") -> dict:
    """Parameters of :func:`musicnn_from_file` (all part of the cache key): ``specs/musicnn.yaml`` ``input``,
    over the log-mel's window (``specs/features.yaml`` duration, 30 s, from the dataset's ``offset``)."""
    spec = load_spec("musicnn")["input"]
    return {"weights": weights, **{key: spec[key] for key in INPUT_KEYS}, "offset": float(offset),
            "duration": float(load_spec("features")["logmel"]["duration"])}


def musicnn_mel_params(offset: float = 0.0) -> dict:
    """Parameters of :func:`musicnn_mel_from_file` (all part of the cache key): the log-mel's ``specs/musicnn.yaml``
    ``input`` over the window (``specs/features.yaml`` duration, 30 s, from the dataset's ``offset``)."""
    spec = load_spec("musicnn")["input"]
    return {**{key: spec[key] for key in MEL_KEYS}, "offset": float(offset),
            "duration": float(load_spec("features")["logmel"]["duration"])}


def window_frames(duration: float, sample_rate: int = 16000, hop_length: int = 256) -> int:
    """Log-mel frames of a full window (librosa's centred framing): 1 + samples // hop; 1,876 for 30 s."""
    return 1 + int(round(duration * sample_rate)) // hop_length


def musicnn_mel_from_file(path: Path, offset: float = 0.0, duration: float = 30.0,
                          **mel_params) -> tuple[np.ndarray, float]:
    """musicnn's log-mel of ``path``'s window (``offset`` .. + ``duration`` s), for ``--model musicnn``;
    ``mel_params``: :data:`MEL_KEYS` (default ``specs/musicnn.yaml``), as :func:`musicnn_mel_params` gives them.

    Returns
    -------
    features : np.ndarray, shape (window_frames(duration), n_mels), float32
        A clip shorter than the window has its frames repeated (in order) to fill it.
    padding : float
        Seconds the clip falls short of the window.
    """
    from mer_keras.features.audio import load_audio

    params = {**{key: load_spec("musicnn")["input"][key] for key in MEL_KEYS}, **mel_params}
    rate = params["sample_rate"]
    signal = load_audio(path, rate, offset=offset, duration=duration)
    mel = musicnn_mel(signal, **{key: params[key] for key in MEL_KEYS})
    frames = window_frames(duration, rate, params["hop_length"])
    if mel.shape[0] < frames:
        mel = np.resize(mel, (frames, mel.shape[1]))        # repeats the rows in order
    return np.ascontiguousarray(mel[:frames]), max(int(round(duration * rate)) - signal.size, 0) / rate


def musicnn_mel(signal: np.ndarray, sample_rate: int = 16000, n_fft: int = 512, hop_length: int = 256,
                n_mels: int = 96, log_scale: float = 10000.0, pad_mode: str = "reflect") -> np.ndarray:
    """musicnn's log-mel of a mono 16 kHz signal.

    Returns
    -------
    np.ndarray, shape (1 + n_samples // hop_length, n_mels), float32: ``log10(1 + log_scale * mel power)``
    (mel power rounded to float16 first, as the wheel does; 0 for silence, about 8 at most).
    """
    from mer_keras.features.logmel import mel_power

    mel = mel_power(signal, sample_rate, n_fft, hop_length, n_mels, pad_mode=pad_mode)
    mel = np.minimum(mel, np.finfo(np.float16).max).astype(np.float16).astype(np.float32)
    return np.log10(log_scale * mel + 1.0).astype(np.float32)


def musicnn_patches(mel: np.ndarray, patch_frames: int = 187, patch_hop: int = 187) -> np.ndarray:
    """Patches of ``mel`` (frames, n_mels) -> (n_patches, patch_frames, n_mels), starting every ``patch_hop``
    frames; a last partial patch is dropped; a mel shorter than one patch is repeated to fill one."""
    if mel.shape[0] == 0:
        raise DataError("no audio frames to cut into musicnn patches")
    if mel.shape[0] < patch_frames:
        mel = np.resize(mel, (patch_frames, mel.shape[1]))     # repeats the rows in order
    starts = range(0, mel.shape[0] - patch_frames + 1, patch_hop)
    return np.stack([mel[start:start + patch_frames] for start in starts])


def musicnn_outputs(patches: np.ndarray, weights: str = "MSD_musicnn") -> tuple[np.ndarray, np.ndarray]:
    """(embeddings (n_patches, 200), tag probabilities (n_patches, 50)) of ``patches``; the model is loaded
    once per process (weights converted once into the cache)."""
    with _MODEL_LOCK:     # threads (extraction, predict's prefetch) share one model; it runs on both cores itself
        if weights not in _MODELS:
            from mer_keras.features.cache import default_cache_dir
            from mer_keras.models.musicnn import embedding_model, load_musicnn

            _MODELS[weights] = embedding_model(load_musicnn(weights, default_cache_dir()))
        embeddings, tags = _MODELS[weights].predict_on_batch(np.asarray(patches, np.float32))
    return np.asarray(embeddings), np.asarray(tags)


def summarise_embeddings(embeddings: np.ndarray) -> np.ndarray:
    """Patch embeddings (n_patches, dim) -> the clip's (1, 2 * dim): mean, then standard deviation (population)."""
    return np.concatenate([embeddings.mean(axis=0), embeddings.std(axis=0)])[None, :].astype(np.float32)


def musicnn_feature_names(dim: int = 200) -> list[str]:
    """Names of :func:`summarise_embeddings`'s columns: ``musicnn_mean_000`` .. then ``musicnn_sd_000`` .."""
    return [f"musicnn_{statistic}_{k:03d}" for statistic in ("mean", "sd") for k in range(dim)]


def patches_of_file(path: Path, input_params: dict, offset: float = 0.0, duration: float | None = None):
    """(patches (n, 187, 96), decoded samples) of ``path``'s window; ``input_params``: :data:`INPUT_KEYS`."""
    from mer_keras.features.audio import load_audio

    signal = load_audio(path, input_params["sample_rate"], offset=offset, duration=duration)
    mel = musicnn_mel(signal, **{key: input_params[key] for key in MEL_KEYS})
    return musicnn_patches(mel, input_params["patch_frames"], input_params["patch_hop"]), signal.size


def musicnn_from_file(path: Path, weights: str = "MSD_musicnn", offset: float = 0.0, duration: float = 30.0,
                      **input_params) -> tuple[np.ndarray, float]:
    """A clip's musicnn embedding over its window (``offset`` .. + ``duration`` s); ``input_params``:
    :data:`INPUT_KEYS` (default ``specs/musicnn.yaml``), as :func:`musicnn_params` gives them.

    Returns
    -------
    features : np.ndarray, shape (1, 400), float32
        Mean then standard deviation over the clip's 3 s patches of the 200-d penultimate output.
    padding : float
        Seconds the clip falls short of the window.
    """
    input_params = {**load_spec("musicnn")["input"], **input_params}
    patches, n_samples = patches_of_file(path, input_params, offset, duration)
    embeddings, _ = musicnn_outputs(patches, weights)
    rate = input_params["sample_rate"]
    return summarise_embeddings(embeddings), max(int(round(duration * rate)) - n_samples, 0) / rate


def clip_tags(path: Path, weights: str = "MSD_musicnn") -> dict[str, float]:
    """Tag probabilities of a whole file, averaged over its 3 s patches (like the wheel's ``top_tags``):
    ``{tag: probability}`` in the model's tag order."""
    from mer_keras.models.musicnn import musicnn_tags

    patches, _ = patches_of_file(Path(path), load_spec("musicnn")["input"])
    _, tags = musicnn_outputs(patches, weights)
    return dict(zip(musicnn_tags(weights), map(float, tags.mean(axis=0))))
