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
    if config["feature"]["kind"] not in ("logmel", "handcrafted", "waveform", "embeddings"):
        raise RunError(f"run {run.path} was trained on {config['feature']['kind']} features; predict.py needs a run "
                       "trained on audio (log-mel, handcrafted or waveform features)")
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
    offset = config["feature"]["params"].get("offset", 0.0)
    if offset:
        print(f"note: this run reads each file from {offset} s on (its training window)", file=sys.stderr)
    return [rows[index] for index in range(len(files))]
