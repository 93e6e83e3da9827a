"""train.py's work: data -> split -> features -> model -> run directory."""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mer_keras.data.registry import DataChoice, load_dataset, resolve_data
from mer_keras.data.splits import check_disjoint, load_split, make_split, save_split
from mer_keras.data.targets import encode_targets
from mer_keras.errors import RunError
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import FeatureSpec, extract_features
from mer_keras.features.for_dataset import feature_spec
from mer_keras.features.normalize import FeatureScaler
from mer_keras.training.run_dir import RunDir


@dataclass
class TrainRequest:
    """Everything ``train.py`` accepts; defaults follow ``specs/<model>.yaml``."""

    model: str = "crnn"
    dataset: str | None = None
    data: str | None = None
    target: str | None = None
    features: str | None = None
    norms: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    patience: int | None = None
    seed: int = 0
    limit: int | None = None
    out: str | None = None
    resume: bool = False
    cache: str | None = None
    workers: int | None = None
    command: str = ""


def default_out(request: TrainRequest, choice: DataChoice) -> Path:
    name = f"{request.model}-{choice.dataset}-{choice.target}-{choice.features}-seed{request.seed}"
    return Path("runs") / name


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare_features(items, spec: FeatureSpec, cache: FeatureCache, workers: int | None, desc: str):
    """Extract features for items; return (kept items, features, skipped rows, padded ids)."""
    feature_set = extract_features(items, spec, cache=cache, workers=workers, desc=desc)
    keep = set(feature_set.item_ids)
    kept = [item for item in items if item.item_id in keep]
    skipped = [(item_id, "features", reason) for item_id, reason in feature_set.skipped]
    return kept, feature_set.features, skipped, feature_set.padded


def train(request: TrainRequest) -> RunDir:
    """Train ``request.model``; write model.keras, config.json, split.json, history.csv to the run dir."""
    from mer_keras.models.registry import build_model, model_spec
    from mer_keras.runtime import configure, versions
    from mer_keras.training.fit import fit_model, load_resume_state

    spec = model_spec(request.model)
    training = spec["training"]
    epochs = request.epochs or training["epochs"]
    batch_size = request.batch_size or training["batch_size"]
    patience = request.patience or training["early_stopping"]["patience"]

    choice = resolve_data(request.dataset, request.data, request.target, request.features)
    if request.norms:
        choice.norms = str(Path(request.norms).resolve())
    if choice.message:
        _log(choice.message)
    run = RunDir(Path(request.out) if request.out else default_out(request, choice))
    if run.config.is_file() and not request.resume:
        raise RunError(f"{run.path} already holds a run; pass --resume to continue it or --out NEW_DIR")
    run.create()
    configure(request.seed)

    dataset = load_dataset(choice)
    _log(f"dataset: {dataset.description}; {len(dataset.items)} items"
         + (f", {len(dataset.skipped)} without input (listed in {run.skipped})" if dataset.skipped else ""))
    items = dataset.items
    if request.limit and request.limit < len(items):
        items = sorted(random.Random(request.seed).sample(items, request.limit), key=lambda item: item.item_id)
        _log(f"--limit {request.limit}: a seeded random subset of the {len(dataset.items)} items")

    if request.resume and run.split.is_file():
        split = load_split(run.split)
    else:
        split = make_split(items, seed=request.seed)
        split["group_by"] = {"4q": "artist", "deam": "song"}.get(choice.dataset, "group")
        check_disjoint(split, items)
        save_split(split, run.split)
    _log(f"split by {split['group_by']} (seed {split['seed']}): " + ", ".join(f"{p} {len(split[p])}" for p in ("train", "validation", "test")))

    by_id = dataset.by_id()
    spec_features = feature_spec(dataset, choice.features)
    cache = FeatureCache(request.cache)
    parts, skipped_rows, padded = {}, [(i, "input", r) for i, r in dataset.skipped], []
    for part in ("train", "validation"):  # the test part is touched by evaluate.py only
        kept, features, skipped, part_padded = prepare_features(
            [by_id[i] for i in split[part]], spec_features, cache, request.workers, desc=part)
        parts[part] = (kept, features)
        skipped_rows += skipped
        padded += part_padded
    run.write_skipped(skipped_rows)

    scaler = FeatureScaler().fit(parts["train"][1])
    scaler.save(run.scaler)
    arrays = {part: (scaler.transform(features), encode_targets(kept, dataset.task))
              for part, (kept, features) in parts.items()}
    frames, n_features = arrays["train"][0].shape[1:]

    model, state = (load_resume_state(run) if request.resume else (None, None))
    if model is None:
        model = build_model(request.model, frames, n_features, spec)
    config = {
        "model": request.model, "data": choice.to_dict(), "dataset_name": dataset.name, "task": dataset.task,
        "description": dataset.description, "notes": dataset.notes,
        "feature": {"kind": spec_features.kind, "params": spec_features.params},
        "input_shape": [int(frames), int(n_features)],
        "training": {"optimizer": training["optimizer"], "learning_rate": training["learning_rate"],
                     "loss": training["loss"], "epochs": epochs, "batch_size": batch_size,
                     "patience": patience, "seed": request.seed, "limit": request.limit},
        "parameters": int(model.count_params()),
        "claimed_parameters": spec.get("documented", {}).get("claimed_parameters"),
        "n_items": {part: len(parts[part][0]) for part in parts} | {"test": len(split["test"])},
        "n_annotated_without_input": len(dataset.skipped),
        "padded": padded, "command": request.command, "versions": versions(), "status": "training",
    }
    run.write_json(run.config, config)
    _log(f"model {request.model}: {config['parameters']:,} parameters; input {frames} x {n_features}; "
         f"training on {len(arrays['train'][0])} items, early stopping on {len(arrays['validation'][0])}")

    started = time.time()
    state = fit_model(model, arrays["train"], arrays["validation"], run, epochs=epochs, batch_size=batch_size,
                      patience=patience, state=state)
    model.save(run.model)
    config.update(status="finished", best_epoch=state["best_epoch"] + 1, epochs_run=state["epoch"] + 1,
                  best_val_loss=state["best"], train_seconds=round(history_seconds(run), 1),
                  wall_seconds_this_session=round(time.time() - started, 1))
    run.write_json(run.config, config)
    _log(f"finished: best epoch {config['best_epoch']} of {config['epochs_run']}; run saved to {run.path}. "
         f"Next: python evaluate.py {run.path}")
    return run


def history_seconds(run: RunDir) -> float:
    """Training seconds summed over history.csv, so a resumed run counts every epoch once."""
    import csv

    if not run.history.is_file():
        return 0.0
    with open(run.history, newline="") as handle:
        return float(sum(float(row.get("seconds", 0) or 0) for row in csv.DictReader(handle)))
