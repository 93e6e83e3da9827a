"""predict.py's work: valence/arousal (1-9) or quadrant for new audio files from a trained run, or the emotion
of speech files for a speech run.

Files and folders in, one row per file out (:func:`predict_paths`). The run is checked, then its model
loaded once; every file is cut into the model's windows (:func:`mer_keras.audio_inputs.plan_windows`: a
file longer than the window is heard whole, never cut to its first window), the windows' features are
computed (and cached) and predicted in batches. A file's value is its window's, or the mean over its
windows' outputs; ``segments`` lists the windows too. Files that cannot be read are skipped with one line
naming the cause; the others go on.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mer_keras.audio_inputs import (SPEECH_PAUSE_SHARE, UTTERANCE_SECONDS, collect_inputs, plan_windows,
                                    probe_audio, speech_likeness)
from mer_keras.data.fourq import AUDIO_EXTENSIONS
from mer_keras.data.targets import SCALE_CENTRE, decode_predictions
from mer_keras.errors import DataError, MerError, RunError
from mer_keras.features.cache import FeatureCache
from mer_keras.inference import check_run, latest_run, load_predictor  # noqa: F401  (latest_run re-exported)
from mer_keras.predict_output import listing
from mer_keras.runs import RunDir

PREDICTABLE_KINDS = ("logmel", "handcrafted", "waveform", "embeddings", "musicnn", "musicnn_mel")
# Kinds whose features pad a short clip with silence (zeros) up to the window; the others summarise what there is.
PADDED_KINDS = ("logmel", "waveform", "embeddings")
#: Windows predicted together (and the model's batch); results do not depend on it.
BATCH_WINDOWS = 32
#: Files whose features are computed ahead, in threads, while the model runs on the current ones.
PREFETCH_FILES = 2
#: A progress bar (tqdm, stderr, with ETA) is shown from this many files on.
PROGRESS_FILES = 10
#: Padding or an unheard tail below this (encoders' and decoders' rounding of a file's length: 4Q's 30 s clips
#: last 30.06 s) gets no note; ``padded_s`` counts from it, ``unheard_s`` is exact.
NOTE_SECONDS = 0.1


@dataclass
class Prediction:
    """What :func:`predict_paths` found.

    ``rows``: one per audio file (given, or found in a folder), in order: the prediction, or
    ``{"file", "error"}``. ``left_out``: (file, reason) for a folder's non-audio files (not predicted, no row).
    ``notes``: lines printed to stderr (``note: ...``) about the run or several files. ``about``: the model,
    its features and training data (and whether its labels are a proxy), as every row carries them."""

    rows: list[dict] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    about: dict = field(default_factory=dict)

    @property
    def skipped(self) -> list[dict]:
        """The rows of files that could not be predicted."""
        return [row for row in self.rows if "error" in row]


def model_window(config: dict) -> float:
    """Seconds of audio one model input holds (the run's training window)."""
    params = config["feature"]["params"]
    if config["feature"]["kind"] == "embeddings":
        return float(params["frames"]) * float(params.get("frame_seconds", 0.02))
    return float(params.get("duration") or 30.0)


def about_run(config: dict) -> dict:
    """Which model and training data made the predictions: ``model`` (with its protocol when tuned),
    ``features``, ``training_data`` (the run's dataset) and ``proxy_label`` (4Q-VA's proxy line, else None)."""
    from mer_keras.data.warriner import PROXY_LABEL

    protocol = config.get("protocol", "documented")
    model = config["model"] if protocol == "documented" or config.get("family") == "sklearn" else f"{config['model']}-{protocol}"
    return {"model": model, "features": config["feature"]["kind"], "training_data": config["dataset_name"],
            "proxy_label": PROXY_LABEL if config["dataset_name"] == "4q-va" else None}


def _check_config(run: RunDir, config: dict, segments: float | None) -> None:
    kind = config["feature"]["kind"]
    if kind not in PREDICTABLE_KINDS:
        raise RunError(f"run {run.path} was trained on {kind} features; predict.py needs a run "
                       "trained on audio (log-mel, handcrafted, waveform or musicnn features)")
    if segments is not None and kind == "embeddings":
        raise RunError(f"run {run.path} reads one precomputed embeddings file per clip, so it has no windows "
                       "over time: predict without --segments")


# --- features of one window, cached as training caches them ------------------------------------------

def _window_spec(spec, start: float):
    """``spec`` with its window starting ``start`` seconds into the file (kinds read from a time offset)."""
    from mer_keras.features.extract import FeatureSpec

    if "offset" not in spec.params:
        return spec
    return FeatureSpec(spec.kind, {**spec.params, "offset": float(start)})


def window_features(spec, path: str, start: float, cache: FeatureCache) -> tuple[np.ndarray, float]:
    """Features of the model window starting ``start`` s into ``path`` and the seconds it was padded (or
    short of the window); read from / written to ``cache`` under the same key training uses."""
    from mer_keras.features.extract import UNCACHED

    window = _window_spec(spec, start)
    if window.kind in UNCACHED:
        return window.compute(Path(path))
    key = FeatureCache.key(Path(path), window.kind, window.params)
    cached = cache.get(window.kind, key)
    if cached is not None:
        return cached["features"], float(cached["padding_seconds"])
    features, padding = window.compute(Path(path))
    cache.put(window.kind, key, {"features": features, "padding_seconds": np.array(padding)})
    return features, float(padding)


def _feature_failure(path: str, exc: Exception) -> str:
    """One line for a file whose features could not be computed (no "NoBackendError: ." without a cause)."""
    if isinstance(exc, DataError):
        return str(exc).replace(": . ", ": no decoder could read it. ")
    return f"cannot compute the features of {path}: {type(exc).__name__}: {str(exc).strip() or 'no message'}"


# --- the batched pass --------------------------------------------------------------------------------

@dataclass
class _File:
    file: str
    seconds: float = 0.0
    windows: list = field(default_factory=list)
    outputs: list = field(default_factory=list)     # one model output per window
    padding: float = 0.0
    error: str | None = None


class _Batches:
    """Window features collected until ``size`` are waiting, then predicted together."""

    def __init__(self, predictor, size: int):
        self.predictor, self.size, self.pending = predictor, max(int(size), 1), []

    def add(self, target: _File, features: np.ndarray) -> None:
        self.pending.append((target, features))
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        outputs = np.asarray(self.predictor(np.stack([features for _, features in self.pending])), dtype=np.float64)
        for (target, _), output in zip(self.pending, outputs):
            target.outputs.append(output)
        self.pending = []


def _progress(total: int, show: bool | None):
    from tqdm import tqdm

    show = total >= PROGRESS_FILES if show is None else show
    return tqdm(total=total, desc="predict", unit="file", file=sys.stderr, disable=not show, mininterval=0.5)


def _run_files(files: list[_File], spec, cache: FeatureCache, predictor, batch_size: int, progress) -> None:
    """Every window of every readable file through the model, ``batch_size`` windows at a time; a file whose
    features fail gets its ``error`` (and no outputs).

    The features of the next files are computed by :data:`PREFETCH_FILES` threads while this one feeds the model
    (decoding, resampling, FFTs and XLA release the GIL), results taken in file order, so rows and batches are
    those of a one-by-one pass."""
    from concurrent.futures import ThreadPoolExecutor

    batches, bar = _Batches(predictor, batch_size), _progress(len(files), progress)
    readable = [target for target in files if target.error is None]
    pool = ThreadPoolExecutor(PREFETCH_FILES, thread_name_prefix="predict-features")
    try:
        ahead = {}
        for index, target in enumerate(readable):
            for upcoming in readable[index:index + PREFETCH_FILES + 1]:
                if id(upcoming) not in ahead:
                    ahead[id(upcoming)] = pool.submit(_file_windows, upcoming, spec, cache)
            for window in ahead.pop(id(target)).result():
                batches.add(target, window)
            bar.update()
        bar.update(len(files) - len(readable))
        batches.flush()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        bar.close()
    pool.shutdown()


def _file_windows(target: _File, spec, cache: FeatureCache) -> list[np.ndarray]:
    """``target``'s window features, in order; a window that cannot be read ends the file with its ``error``
    (and the windows before it are dropped: a file is predicted whole or not at all)."""
    windows = []
    for start, _ in target.windows:
        try:
            window, padding = window_features(spec, target.file, start, cache)
        except MerError as exc:
            if not isinstance(exc, DataError):
                raise               # e.g. an unwritable cache: the run's problem, one line, not each file's
            target.error = _feature_failure(target.file, exc)
            return []
        except Exception as exc:    # any other failure on one file (decoder, librosa) skips that file, not the run
            target.error = _feature_failure(target.file, exc)
            return []
        target.padding += padding
        windows.append(window)
    return windows


# --- rows --------------------------------------------------------------------------------------------

def _decoded(outputs: np.ndarray, task: str, moods) -> dict:
    """One output vector -> the row's values: valence/arousal (1-9) with quadrant and mood words, the
    quadrant run's fields, or the emotion with its probabilities."""
    from mer_keras.data.fourq import quadrant_from_signs

    values = decode_predictions(np.asarray(outputs)[None, :], task)[0]
    if task == "va":
        values["quadrant"] = quadrant_from_signs(values["valence"] - SCALE_CENTRE, values["arousal"] - SCALE_CENTRE)
        if moods is not None:
            values["mood_words"] = moods(values["valence"], values["arousal"])
    return values


def _row(target: _File, task: str, about: dict, moods, segments: bool) -> dict:
    if target.error is not None:
        return {"file": target.file, "error": target.error}
    outputs = np.stack(target.outputs)
    row = {"file": target.file, **_decoded(outputs.mean(axis=0), task, moods)}
    end = target.windows[-1][1]
    row |= {"seconds": round(target.seconds, 3), "windows": len(target.windows),
            "padded_s": round(target.padding, 2) if target.padding >= NOTE_SECONDS else 0.0,
            "unheard_s": round(max(target.seconds - end, 0.0), 2) if len(target.windows) == 1 else 0.0}
    if len(target.windows) > 1:
        row["clip_value"] = f"mean of {len(target.windows)} windows"
    row |= about
    if segments:
        row["segments"] = [{"start": start, "end": stop, **_decoded(output, task, moods)}
                           for (start, stop), output in zip(target.windows, target.outputs)]
    return row


# --- notes and warnings ------------------------------------------------------------------------------

def _file_notes(rows: list[dict], config: dict, segments: float | None) -> list[str]:
    """Notes on padded, long and partly unheard files: one line each, naming a few files."""
    window, kind, notes = model_window(config), config["feature"]["kind"], []
    padded = [f"{row['file']} ({row['padded_s']:g} s)" for row in rows if row.get("padded_s")]
    if padded:
        how = ("were padded with silence to it (padded_s)" if kind in PADDED_KINDS else
               "their features summarise the seconds they have (padded_s: seconds short of it)")
        notes.append(f"{len(padded)} file(s) shorter than the model's {window:g} s window {how}: {listing(padded)}")
    long = [row["file"] for row in rows if row.get("windows", 1) > 1]
    if long:
        step = f"a window every {segments:g} s" if segments else "back-to-back windows, the last ending at the file's end"
        notes.append(f"{len(long)} file(s) longer than the model's {window:g} s window: each value is the mean over "
                     f"{step} (windows, clip_value), so the whole file is heard: {listing(long)}")
    unheard = [f"{row['file']} ({row['unheard_s']:g} s)" for row in rows if row.get("unheard_s", 0) >= NOTE_SECONDS]
    if unheard:
        notes.append(f"{len(unheard)} file(s) run at most 1 s past the {window:g} s window; that tail was not heard "
                     f"(unheard_s): {listing(unheard)}")
    offset = config["feature"]["params"].get("offset", 0.0)
    if offset:
        notes.append(f"this run was trained on windows from {offset:g} s into each clip; here the windows cover each "
                     "file from 0 s")
    return notes


#: A speech run's input is an utterance of a few seconds; far longer input is most likely not one.
LONGEST_UTTERANCE_SECONDS = 15.0


def speech_warning(path: Path, config: dict, seconds: float | None = None) -> str | None:
    """Why a file does not look like what a speech-emotion run was trained on (an utterance of a few
    seconds), or ``None``. Judged from the duration: music clips and long recordings are far longer."""
    if seconds is None:
        try:
            seconds = probe_audio(Path(path))
        except DataError:       # the prediction itself reports the file in one line
            return None
    window = config["feature"]["params"].get("duration") or 4.0
    if seconds > LONGEST_UTTERANCE_SECONDS:
        return (f"{seconds:.1f} s long: this is a speech-emotion model trained on single utterances of a few "
                f"seconds (it reads {window:g} s); on music or a long recording its emotion means little")
    return None


def music_warning(path: Path, config: dict, seconds: float) -> str | None:
    """Why a file does not look like what a music run was trained on (excerpts of songs), or ``None``: a
    clip of at most :data:`UTTERANCE_SECONDS` whose pauses make it look like speech (``speech_likeness``)."""
    if seconds > UTTERANCE_SECONDS:
        return None
    pauses = speech_likeness(Path(path))
    if pauses < SPEECH_PAUSE_SHARE:
        return None
    return (f"{seconds:.1f} s long with pauses like speech ({pauses:.0%} of it near-silent): this is a music model "
            f"trained on {config['dataset_name']} song excerpts ({model_window(config):g} s); on a spoken utterance "
            "its valence/arousal means little (a speech run predicts emotions: train.py --dataset ravdess)")


def _domain_warnings(files: list[_File], config: dict) -> dict[str, str]:
    """file -> warning, for files unlike the run's training data (music given to a speech run, or speech to a
    music run), each printed once on stderr."""
    warnings = {}
    for target in files:
        if target.error is not None:
            continue
        if config["task"] == "emotion":
            warning = speech_warning(Path(target.file), config, target.seconds)
        else:
            warning = music_warning(Path(target.file), config, target.seconds)
        if warning:
            warnings[target.file] = warning
            print(f"warning: {target.file}: {warning}", file=sys.stderr)
    return warnings


# --- mood words --------------------------------------------------------------------------------------

def norms_candidates(config: dict, norms: str | None = None) -> list[Path]:
    """Where the Warriner norms may be, in order: ``norms`` (--norms), the run's own (4Q-VA runs), beside
    ``$MER_DATA``, and ``../shared/data/warriner``."""
    import os

    from mer_keras.data.fourq import default_norms_path
    from mer_keras.data.registry import REPO
    from mer_keras.data.warriner import NORMS_FILE

    if norms:
        return [Path(norms)]
    data = config.get("data") or {}
    found = [Path(data["norms"])] if data.get("norms") else []
    if data.get("dataset") == "4q" and data.get("data_dir"):
        found.append(default_norms_path(Path(data["data_dir"])))
    if os.environ.get("MER_DATA"):
        found.append(Path(os.environ["MER_DATA"]) / "warriner" / NORMS_FILE)
    return found + [REPO.parent / "shared" / "data" / "warriner" / NORMS_FILE]


def mood_finder(config: dict, norms: str | None, k: int, notes: list[str]):
    """A function (valence, arousal) -> the ``k`` nearest mood words (:data:`~mer_keras.data.warriner.MOOD_WORDS`
    in the Warriner norms), or ``None`` (no mood words: not a valence/arousal run, ``k`` 0, or no norms file;
    the last adds one line to ``notes``)."""
    from mer_keras.data.warriner import load_norms, mood_points, nearest_words

    if config["task"] != "va" or k <= 0:
        return None
    candidates = norms_candidates(config, norms)
    path = next((candidate for candidate in candidates if candidate.is_file()), None)
    if path is None:
        notes.append("no mood words (mood_words is empty): the Warriner norms were not found at "
                     f"{', '.join(map(str, dict.fromkeys(candidates)))}; pass --norms PATH to Ratings_Warriner_et_al.csv")
        return lambda valence, arousal: []
    points = mood_points(load_norms(path))
    return lambda valence, arousal: nearest_words(valence, arousal, points, k)


# --- entry points ------------------------------------------------------------------------------------

def predict_paths(run_path: Path, paths: list[str], cache: str | None = None, trust_pickle: bool | None = None,
                  segments: float | None = None, norms: str | None = None, mood_words: int = 3,
                  batch_size: int = BATCH_WINDOWS, progress: bool | None = None) -> Prediction:
    """Predict every audio file in ``paths`` (files, or folders searched recursively) with the run at ``run_path``.

    Parameters
    ----------
    segments : float, optional
        Step in seconds between window starts (at most the model's window); each row then lists its windows
        (``segments``: start, end and values). Without it, windows follow each other (no overlap).
    norms, mood_words
        The Warriner norms CSV (default: see :func:`norms_candidates`) and how many mood words per row.
    batch_size
        Windows predicted together; the numbers do not depend on it.
    progress
        Show the progress bar (default: from :data:`PROGRESS_FILES` files on).

    The run is checked against its ``manifest.json`` before its model is opened and before any feature is
    computed; a run whose model is a pickle is refused unless ``trust_pickle``. Notes and warnings are
    printed to stderr (``note: ...``, ``warning: FILE: ...``)."""
    run = RunDir(run_path)
    config = run.read_config()
    _check_config(run, config, segments)
    check_run(run, config, trust_pickle)
    from mer_keras.features.extract import FeatureSpec

    spec = FeatureSpec(config["feature"]["kind"], config["feature"]["params"])
    window = model_window(config)
    inputs = collect_inputs(list(map(str, paths)))
    if not inputs.files:
        raise DataError(f"no audio file in {', '.join(map(str, paths))} ({len(inputs.left_out)} other file(s)); "
                        f"predict.py reads {' '.join(sorted(AUDIO_EXTENSIONS))}")
    files = [_planned(file, window, segments, config) for file in inputs.files]
    predictor = load_predictor(run, config, trust_pickle)
    prediction = Prediction(left_out=inputs.left_out, about=about_run(config))
    if config["feature"]["kind"] == "embeddings":
        prediction.notes.append(f"this run reads precomputed embeddings: each file needs "
                                f"{config['feature']['params']['directory']}/<file name>.npy")
    moods = mood_finder(config, norms, mood_words, prediction.notes)
    _run_files(files, spec, FeatureCache(cache), predictor, batch_size, progress)
    warnings = _domain_warnings(files, config)
    prediction.rows = [_row(target, config["task"], prediction.about, moods, segments is not None) for target in files]
    for row in prediction.rows:
        if row["file"] in warnings:
            row["warning"] = warnings[row["file"]]
    prediction.notes += _file_notes(prediction.rows, config, segments)
    for note in prediction.notes:
        print(f"note: {note}", file=sys.stderr)
    return prediction


def _planned(file: str, window: float, segments: float | None, config: dict) -> _File:
    """A file with its duration and windows, or with the one-line reason it cannot be read."""
    target = _File(file)
    try:
        target.seconds = probe_audio(Path(file))
    except DataError as exc:
        target.error = str(exc)
        return target
    if config["feature"]["kind"] == "embeddings":
        target.windows = [(0.0, round(min(target.seconds, window), 3))]
    else:
        target.windows = plan_windows(target.seconds, window, segments)
    return target


def predict_files(run_path: Path, files: list[str], cache: str | None = None,
                  trust_pickle: bool | None = None, **options) -> list[dict]:
    """The rows of :func:`predict_paths` (``options``: its keywords): per file ``{"file", "valence",
    "arousal", "quadrant", "mood_words", ...}`` (1-9), ``{"file", "quadrant", ...}``, ``{"file", "emotion",
    "probabilities", ...}`` (speech runs), or ``{"file", "error"}``."""
    return predict_paths(run_path, files, cache=cache, trust_pickle=trust_pickle, **options).rows


def predict_tags(files: list[str], weights: str = "MSD_musicnn", top: int = 10) -> list[dict]:
    """``predict.py --tags``: one row per file, ``{"file", "tags": {tag: probability}}`` (the ``top`` most
    likely of the pretrained musicnn's tags, over the whole file, most likely first) or ``{"file", "error"}``.
    No run is read. Raises ``MerError`` (one line) when the musicnn wheel is not installed."""
    from mer_keras.features.musicnn_mel import clip_tags

    rows = []
    for file in files:
        try:
            tags = clip_tags(Path(file), weights)
        except DataError as exc:
            rows.append({"file": file, "error": str(exc)})
            continue
        best = sorted(tags.items(), key=lambda pair: -pair[1])[:top]
        rows.append({"file": file, "tags": {tag: round(p, 4) for tag, p in best}})
    return rows
