"""predict.py's work: valence/arousal (1-9) or quadrant for new audio files from a trained run."""

from __future__ import annotations

import sys
from pathlib import Path

from mer_keras.data.records import Item
from mer_keras.data.targets import decode_predictions
from mer_keras.errors import RunError
from mer_keras.features.cache import FeatureCache
from mer_keras.inference import latest_run, predict_run_items  # noqa: F401  (latest_run re-exported)
from mer_keras.runs import RunDir


def predict_files(run_path: Path, files: list[str], cache: str | None = None,
                  trust_pickle: bool | None = None) -> list[dict]:
    """One row per file: ``{"file", "valence", "arousal"}`` (1-9), ``{"file", "quadrant", ...}``,
    ``{"file", "emotion", "probabilities"}`` (speech runs), or ``{"file", "error"}``.

    The run is checked against its ``manifest.json`` before its model is opened; a run whose model is a
    pickle (``model.joblib``) is refused unless ``trust_pickle`` (None: as ``inference.trusting_pickles`` says)."""
    run = RunDir(run_path)
    config = run.read_config()
    if config["feature"]["kind"] not in ("logmel", "handcrafted", "waveform", "embeddings", "musicnn"):
        raise RunError(f"run {run.path} was trained on {config['feature']['kind']} features; predict.py needs a run "
                       "trained on audio (log-mel, handcrafted, waveform or musicnn features)")
    if config["feature"]["kind"] == "embeddings":
        print(f"note: this run reads precomputed embeddings: each file needs {config['feature']['params']['directory']}"
              "/<file name>.npy", file=sys.stderr)
    items = [Item(item_id=str(index), group=str(index), path=Path(file)) for index, file in enumerate(files)]
    rows = {index: {"file": file} for index, file in enumerate(files)}
    kept, outputs, skipped = predict_run_items(run, config, items, cache=FeatureCache(cache), workers=1,
                                               require_any=False, trust_pickle=trust_pickle)
    for item, decoded in zip(kept, decode_predictions(outputs, config["task"])):
        rows[int(item.item_id)].update(decoded)
    for item_id, reason in skipped:
        rows[int(item_id)]["error"] = reason
    if config["task"] == "emotion":
        for index, file in enumerate(files):
            warning = speech_warning(Path(file), config)
            if warning and "error" not in rows[index]:
                rows[index]["warning"] = warning
                print(f"warning: {file}: {warning}", file=sys.stderr)
    offset = config["feature"]["params"].get("offset", 0.0)
    if offset:
        print(f"note: this run reads each file from {offset} s on (its training window)", file=sys.stderr)
    return [rows[index] for index in range(len(files))]


def predict_tags(files: list[str], weights: str = "MSD_musicnn", top: int = 10) -> list[dict]:
    """``predict.py --tags``: one row per file, ``{"file", "tags": {tag: probability}}`` (the ``top`` most
    likely of the pretrained musicnn's tags, over the whole file, most likely first) or ``{"file", "error"}``.
    No run is read. Raises ``MerError`` (one line) when the musicnn wheel is not installed."""
    from mer_keras.errors import DataError
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


#: A speech run's input is an utterance of a few seconds; far longer input is most likely not one.
LONGEST_UTTERANCE_SECONDS = 15.0


def speech_warning(path: Path, config: dict) -> str | None:
    """Why a file does not look like what a speech-emotion run was trained on (an utterance of a few
    seconds), or ``None``. Judged from the duration: music clips and long recordings are far longer."""
    import soundfile as sf

    try:
        seconds = float(sf.info(str(path)).duration)
    except Exception:           # undecodable here: the prediction itself reports the file in one line
        try:
            import librosa

            seconds = float(librosa.get_duration(path=str(path)))
        except Exception:
            return None
    window = config["feature"]["params"].get("duration") or 4.0
    if seconds > LONGEST_UTTERANCE_SECONDS:
        return (f"{seconds:.1f} s long: this is a speech-emotion model trained on single utterances of a few "
                f"seconds (it reads {window:g} s); on music or a long recording its emotion means little")
    return None
