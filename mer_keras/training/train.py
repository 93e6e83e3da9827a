"""train.py's work: data -> split -> features -> model -> run directory."""

from __future__ import annotations

import random
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from pathlib import Path

from mer_keras.data.registry import SPLIT_GROUPS, DataChoice, load_dataset, resolve_data
from mer_keras.data.splits import check_disjoint, make_split, subsample_train
from mer_keras.data.targets import encode_targets
from mer_keras.errors import DataError, MerError, RunError, SpecError
from mer_keras.features.cache import FeatureCache
from mer_keras.features.extract import FeatureSpec, extract_features
from mer_keras.features.for_dataset import feature_spec
from mer_keras.features.normalize import FeatureScaler
from mer_keras.runs import RunDir, write_json, write_with
from mer_keras.runtime import peak_rss_mib


@dataclass
class TrainRequest:
    """Everything ``train.py`` accepts; defaults follow ``specs/<model>.yaml``."""

    model: str = "crnn"
    dataset: str | None = None
    data: str | None = None
    target: str | None = None
    features: str | None = None
    norms: str | None = None
    deam_labels: str | None = None       # "corrected" / "as-shipped"; None: the default, corrected
    epochs: int | None = None
    batch_size: int | None = None
    patience: int | None = None
    seed: int = 0
    limit: int | None = None
    out: str | None = None
    resume: bool = False
    cache: str | None = None
    workers: int | None = None
    precision: str = "float32"          # or "mixed_bfloat16" (opt-in, issue 10)
    protocol: str = "documented"        # or "tuned" (specs/protocols.yaml); Keras models only
    ablate: list | None = None           # tuned choices turned off (protocols.ABLATIONS), to measure each one
    validation_fold: str | None = None   # "K/N": validation = fold K of a grouped N-fold split of training songs
    test_fold: str | None = None         # "K/N": test = fold K of a grouped N-fold partition (cross-validation)
    train_fraction: float = 1.0          # a seeded share of the training groups (learning curves over data size)
    weights: str | None = None           # transformers: local pretrained weights (preset folder or .weights.h5)
    preset: str | None = None            # a named size in specs/<model>.yaml `presets` (e.g. ast_paper)
    embeddings: str | None = None        # attn_crnn: folder of precomputed wav2vec2 embeddings (<clip>.npy)
    distribution: str = "none"           # or "data-parallel": keras.distribution over the visible devices (JAX)
    backbone: str | None = None          # musicnn: frozen (its spec's default) / finetune / scratch
    synthetic_ratio: float | None = None  # vit_gan: generated crops per real crop (0 = the same ViT on crops, no GAN)
    gan_run: str | None = None           # vit_gan: the GAN run (train.py --model gan) whose generator makes them
    synthetic_only: bool = False         # vit_gan: train on generated crops only, test on real songs (TSTR)
    swap_va_fraction: float | None = None  # valence/arousal exchanged for this seeded share of TRAINING songs (label_swap)
    command: str = ""


def parse_fold(text: str | None, option: str = "--validation-fold") -> tuple[int, int] | None:
    """``"K/N"`` (``--validation-fold`` / ``--test-fold``) as ``(K, N)``; ``None`` for the default part."""
    if not text:
        return None
    try:
        fold, folds = (int(part) for part in text.split("/"))
    except ValueError:
        raise DataError(f"{option} {text!r}: write K/N, e.g. 0/5 (fold 0 of 5)") from None
    return fold, folds


def default_out(request: TrainRequest, choice: DataChoice) -> Path:
    labels = "-as-shipped" if choice.dataset == "deam" and choice.deam_labels == "as-shipped" else ""
    protocol = "" if request.protocol == "documented" else f"-{request.protocol}"
    protocol += "".join(f"-no-{name}" for name in sorted(request.ablate or []))
    fold = f"-fold{request.validation_fold.replace('/', 'of')}" if request.validation_fold else ""
    if request.test_fold:
        fold = f"-test{request.test_fold.replace('/', 'of')}" + fold
    if request.train_fraction < 1.0:
        fold = f"-train{round(100 * request.train_fraction)}" + fold
    backbone = f"-{request.backbone}" if request.backbone else ""
    if request.swap_va_fraction:
        backbone += f"-swapva{round(100 * request.swap_va_fraction)}"
    if request.synthetic_only:
        backbone += "-tstr"             # train on synthetic, test on real
    elif request.synthetic_ratio is not None:
        backbone += f"-r{request.synthetic_ratio:g}"
    name = (f"{request.model}-{choice.dataset}-{choice.target}-{choice.features}{backbone}{labels}{protocol}"
            f"-seed{request.seed}{fold}")
    return Path("runs") / name


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare_features(items, spec: FeatureSpec, cache: FeatureCache, workers: int | None, desc: str):
    """Extract features for items; return (kept items, features, skipped rows, padded {id: seconds})."""
    feature_set = extract_features(items, spec, cache=cache, workers=workers, desc=desc)
    keep = set(feature_set.item_ids)
    kept = [item for item in items if item.item_id in keep]
    skipped = [(item_id, "features", reason) for item_id, reason in feature_set.skipped]
    return kept, feature_set.features, skipped, feature_set.padded


@dataclass
class PreparedRun:
    """What every model family trains from: the run directory, data, split and training features."""

    run: RunDir
    choice: DataChoice
    dataset: object
    split: dict
    feature_spec: FeatureSpec
    parts: dict            # "train" / "validation" -> (items, features (n, frames, n_features))
    padded: dict           # item id -> seconds of padding
    family: str
    label_swap: dict | None = None   # train.py --swap-va-fraction: what was exchanged (training part only)


def prepare(request: TrainRequest, family: str) -> PreparedRun:
    """Resolve the data, create the run directory, split by group and extract the training features.

    The test part's features are not computed here: the test songs are touched by evaluate.py only.
    """
    from mer_keras.models.registry import check_task, default_features
    from mer_keras.runtime import configure

    if request.embeddings and request.features not in (None, "embeddings"):
        raise DataError(f"--embeddings reads precomputed embeddings; it cannot be combined with --features {request.features}")
    features = request.features or default_features(request.model, request.embeddings)
    choice = resolve_data(request.dataset, request.data, request.target, features)
    check_task(request.model, choice.target, choice.dataset)
    if request.norms:
        choice.norms = str(Path(request.norms).resolve())
    if request.deam_labels:
        if choice.dataset != "deam":
            raise DataError(f"--deam-labels applies to DEAM only; this run uses {choice.dataset}")
        choice.deam_labels = request.deam_labels
    if choice.message:
        _log(choice.message)
    run = RunDir(Path(request.out) if request.out else default_out(request, choice))
    if run.config.is_file() and not request.resume:
        raise RunError(f"{run.path} already holds a run; pass --resume to continue it or --out NEW_DIR")
    configure(request.seed, request.precision)
    if request.precision != "float32":
        from mer_keras.runtime import cpu_has_bf16

        _log(f"precision {request.precision}" + ("" if cpu_has_bf16() else ": this CPU reports no bfloat16 "
             "instructions (avx512_bf16/amx_bf16), so expect it to be slower than float32 here"))

    dataset = load_dataset(choice)
    _log(f"dataset: {dataset.description}; {len(dataset.items)} items"
         + (f", {len(dataset.skipped)} without input (listed in {run.skipped})" if dataset.skipped else ""))
    items = dataset.items
    if request.limit and request.limit < len(items):
        items = sorted(random.Random(request.seed).sample(items, request.limit), key=lambda item: item.item_id)
        _log(f"--limit {request.limit}: a seeded random subset of the {len(dataset.items)} items")
    run.create()            # after the data checks: a failed check leaves no run folder behind
    with removed_on_error(run):
        return _split_and_extract(request, run, choice, dataset, items, family)


@contextmanager
def removed_on_error(run: RunDir):
    """A project error inside the block removes the run folder if this invocation created it and no epoch
    was checkpointed yet (a failed check leaves no run folder behind; completed epochs stay for --resume).
    An interrupt keeps it: ``--resume`` continues from its split and cached features."""
    try:
        yield
    except MerError:
        if not run.state.is_file():
            run.discard_if_new()
        raise


def _split_and_extract(request: TrainRequest, run: RunDir, choice: DataChoice, dataset, items: list,
                       family: str) -> PreparedRun:
    """The split (new, or the run's own on --resume) and the training and validation parts' features."""
    if request.resume and run.split.is_file():
        split = run.read_split()
    else:
        split = make_split(items, seed=request.seed, validation_fold=parse_fold(request.validation_fold),
                           test_fold=parse_fold(request.test_fold, "--test-fold"))
        split = subsample_train(split, items, request.train_fraction, request.seed)
        split["group_by"] = SPLIT_GROUPS.get(choice.dataset, "group")
        check_disjoint(split, items)
        run.write_split(split)
    _log(f"split by {split['group_by']} (seed {split['seed']}): " + ", ".join(f"{p} {len(split[p])}" for p in ("train", "validation", "test")))

    by_id = dataset.by_id()
    spec_features = feature_spec(dataset, choice.features, family, embeddings=request.embeddings)
    cache = FeatureCache(request.cache)
    parts, skipped_rows, padded = {}, [(i, "input", r) for i, r in dataset.skipped], {}
    for part in ("train", "validation"):
        kept, features, skipped, part_padded = prepare_features(
            [by_id[i] for i in split[part]], spec_features, cache, request.workers, desc=part)
        parts[part] = (kept, features)
        skipped_rows += skipped
        padded |= part_padded
    run.write_skipped(skipped_rows)
    swap = None
    if request.swap_va_fraction:        # the training part only: validation and test keep their labels
        from mer_keras.training.label_swap import swap_record, swap_valence_arousal

        kept, features = parts["train"]
        kept, swapped = swap_valence_arousal(kept, request.swap_va_fraction, request.seed)
        parts["train"] = (kept, features)
        swap = swap_record(request.swap_va_fraction, request.seed, swapped, len(kept))
        _log(f"--swap-va-fraction {request.swap_va_fraction}: valence and arousal exchanged for {len(swapped)} of "
             f"{len(kept)} training items (validation and test labels untouched)")
    return PreparedRun(run, choice, dataset, split, spec_features, parts, padded, family, swap)


def base_config(request: TrainRequest, prepared: PreparedRun) -> dict:
    """The config.json fields every family writes."""
    from mer_keras.runtime import versions

    dataset, parts = prepared.dataset, prepared.parts
    return {
        "model": request.model, "family": prepared.family, "data": prepared.choice.to_dict(),
        "dataset_name": dataset.name, "task": dataset.task, "description": dataset.description, "notes": dataset.notes,
        "feature": {"kind": prepared.feature_spec.kind, "params": prepared.feature_spec.params},
        "input_shape": [int(n) for n in parts["train"][1].shape[1:]],
        "n_items": {part: len(parts[part][0]) for part in parts} | {"test": len(prepared.split["test"])},
        "n_annotated_without_input": len(dataset.skipped), "padded": prepared.padded,
        "command": request.command, "versions": versions(), "status": "training",
        **({"label_corruption": prepared.label_swap} if prepared.label_swap else {}),
    }


def with_backbone(request: TrainRequest) -> TrainRequest:
    """``--backbone`` checked against the model before any data is read, and defaulted: models whose spec's
    ``model`` section names a ``backbone`` (musicnn) take it (default: that one); any other model refuses it."""
    from dataclasses import replace

    from mer_keras.models.registry import MODELS, get_row, model_spec

    def default(name: str):
        return (model_spec(name).get("model") or {}).get("backbone") if MODELS[name].family == "keras" else None

    choice = default(get_row(request.model).name)   # get_row: one clear error for an unknown model
    if request.backbone and not choice:
        takers = [name for name in MODELS if default(name)]
        raise SpecError(f"--backbone applies to {' / '.join(takers)} (a pretrained backbone: frozen, finetune or "
                        f"scratch), not to model {request.model}")
    return replace(request, backbone=request.backbone or choice) if choice else request


def train(request: TrainRequest) -> RunDir:
    """Train ``request.model`` and write its run directory; see the README for the files."""
    from mer_keras.models.registry import feature_family, model_family

    family = model_family(request.model)
    request = with_backbone(request)
    if family == "sklearn" and request.protocol != "documented":
        raise SpecError(f"--protocol {request.protocol} applies to the Keras models; {request.model} is tuned by its own "
                        "grouped grid search (specs/baselines.yaml)")
    trainer = _own_trainer(request)
    if trainer:
        prepared = prepare(request, feature_family(request.model))        # the log-mel of the Keras models
        with removed_on_error(prepared.run):
            return trainer(request, prepared)
    if request.distribution not in (None, "none"):
        return _train_distributed(request, family)
    prepared = prepare(request, family)
    with removed_on_error(prepared.run):
        if family == "keras":
            return _train_keras(request, prepared)
        return _train_sklearn(request, prepared)


def _own_trainer(request: TrainRequest):
    """The trainer of a model trained outside the shared loops (registry ``trainer``: the GAN, vit_gan), or None;
    the options only such models take are refused, in one line, for the others."""
    from mer_keras.models.registry import models_on_crops, trainer_for

    trainer = trainer_for(request.model)
    crop_models = " / ".join(models_on_crops())
    if request.protocol == "leaky" and request.model not in models_on_crops():
        raise SpecError("--protocol leaky (GAN augmentation replayed before a random split, for illustration) applies to "
                        f"{crop_models} only, not to {request.model}")
    if request.synthetic_only and request.model not in models_on_crops():
        raise SpecError(f"--synthetic-only (train on generated crops, test on real songs) applies to {crop_models}, not to "
                        f"{request.model}")
    if (request.synthetic_ratio is not None or request.gan_run) and trainer is None:
        raise SpecError(f"--synthetic-ratio and --gan-run apply to {crop_models} (a model on real plus generated crops), "
                        f"not to {request.model}")
    if trainer and request.distribution not in (None, "none"):
        raise SpecError(f"--distribution {request.distribution} does not apply to {request.model} yet (one process)")
    check = getattr(sys.modules[trainer.__module__], "check_request", None) if trainer else None
    if check:
        check(request)      # the model's own options, before any data is read
    return trainer


def _train_distributed(request: TrainRequest, family: str) -> RunDir:
    """``--distribution data-parallel``: join the other processes first (before any JAX computation); a
    process other than 0 trains in a scratch folder, removed at the end, so only process 0 writes the run."""
    import shutil
    from dataclasses import replace

    from mer_keras.training.distribution import process_count_requested, scratch_out, start_processes

    if family != "keras":
        raise SpecError(f"--distribution {request.distribution} applies to the Keras models; {request.model} trains "
                        "on one process (drop --distribution)")
    if request.resume and not request.out and process_count_requested() > 1:
        raise RunError("--resume over several processes needs --out RUN_DIR (the run every process continues)")
    process_id = start_processes(request.distribution)
    if not process_id:
        prepared = prepare(request, family)
        with removed_on_error(prepared.run):
            return _train_keras(request, prepared)
    scratch = Path(scratch_out(request.out, request.resume, process_id))
    try:
        return _train_keras(request, prepare(replace(request, out=str(scratch)), family))
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)


def _train_keras(request: TrainRequest, prepared: PreparedRun) -> RunDir:
    from mer_keras.models.registry import build_model, resolved_spec
    from mer_keras.training.fit import fit_model, load_resume_state
    from mer_keras.training.protocols import compile_settings, training_plan

    spec = resolved_spec(request.model, prepared.choice.features, request.preset)
    run, task = prepared.run, prepared.dataset.task
    plan = training_plan(request.protocol, request.model, task, spec["training"], epochs=request.epochs,
                         batch_size=request.batch_size, patience=request.patience, ablations=request.ablate or ())
    distribution = None
    if request.distribution not in (None, "none"):      # before the model is built or loaded
        from mer_keras.training.distribution import check_multi_process_plan, data_parallel

        distribution = data_parallel(plan["batch_size"])
        check_multi_process_plan(plan, distribution)

    n_inputs = prepared.parts["train"][1].shape[-1]
    standardised = bool(spec.get("input", {}).get("standardise", True))
    # A model whose spec says standardise: false (musicnn: its pretrained weights expect the raw log-mel) gets an
    # identity scaler, saved like any other so evaluate.py and predict.py need not know.
    scaler = (FeatureScaler().fit(prepared.parts["train"][1]) if standardised
              else FeatureScaler(np.zeros(n_inputs, np.float32), np.ones(n_inputs, np.float32)))
    write_with(run.scaler, scaler.save)
    arrays = {part: (scaler.transform(features), encode_targets(kept, task))
              for part, (kept, features) in prepared.parts.items()}
    frames, n_features = arrays["train"][0].shape[1:]

    model, state = (load_resume_state(run) if request.resume else (None, None))
    if model is None:
        options = {"weights": request.weights} if request.weights else {}
        if request.backbone:
            options["backbone"] = request.backbone
        model = build_model(request.model, frames, n_features, spec, **options)
        if plan["utterance_norm"]:                # tuned only: each clip standardised over its own frames first
            from mer_keras.models.utterance_norm import with_utterance_norm

            model = with_utterance_norm(model)
        if plan["batchnorm_momentum"] is not None:  # tuned only: moving statistics that settle on a small corpus
            from mer_keras.models.batchnorm import set_batchnorm_momentum

            set_batchnorm_momentum(model, plan["batchnorm_momentum"])
        if request.protocol != "documented":      # the same layers, compiled with the protocol's optimizer
            from mer_keras.models.compile import compile_from_spec

            steps = -(-len(arrays["train"][0]) // plan["batch_size"])
            metrics = ["accuracy"] if task == "emotion" else []
            built = model.optimizer
            compile_from_spec(model, compile_settings(plan, steps), metrics=metrics)
            if hasattr(built, "carry_over"):    # per-layer learning rates (musicnn --backbone finetune) are kept
                model.compile(optimizer=built.carry_over(model.optimizer), loss=plan["loss"], metrics=metrics)
    config = base_config(request, prepared) | {
        "protocol": request.protocol, "ablations": plan["ablations"],
        "validation_fold": prepared.split.get("validation_fold"),
        "train_fraction": prepared.split.get("train_fraction", 1.0), "test_fold": prepared.split.get("test_fold"),
        "training": {"optimizer": plan["optimizer"], "learning_rate": plan["learning_rate"],
                     "loss": plan["loss"], "epochs": plan["epochs"], "batch_size": plan["batch_size"],
                     "patience": plan["patience"], "seed": request.seed, "limit": request.limit,
                     "precision": request.precision, "protocol": request.protocol}
                    | ({key: plan[key] for key in ("monitor", "min_delta", "weight_decay", "clipnorm", "warmup_epochs",
                                                   "decay", "average_best", "augmentation", "class_weight", "utterance_norm",
                                                   "batchnorm_momentum")}
                       if request.protocol != "documented" else {}),
        "parameters": int(model.count_params()), "weights": _initial_weights(request, spec),
        "preset": request.preset, "model_config": spec.get("model"),
        "claimed_parameters": spec.get("documented", {}).get("claimed_parameters"),
        "distribution": distribution,
    }
    if not standardised:
        config["standardised"] = False
    if request.backbone:
        config.update(backbone=request.backbone, model_config={**spec.get("model", {}), "backbone": request.backbone},
                      trainable_parameters=int(sum(np.prod(w.shape) for w in model.trainable_weights)))
    fit_arrays, batch_size = arrays, plan["batch_size"]
    if distribution:            # this process's share of each part, padded to split evenly over the devices
        from mer_keras.training.distribution import process_share

        shares = {part: process_share(arrays[part], distribution) for part in arrays}
        fit_arrays = {part: share for part, (share, _) in shares.items()}
        distribution["repeated_items"] = {part: padding for part, (_, padding) in shares.items()}
        batch_size //= distribution["processes"]
    run.write_config(config)
    _log(f"model {request.model}: {config['parameters']:,} parameters; input {frames} x {n_features}; "
         f"training on {len(arrays['train'][0])} items, early stopping on {len(arrays['validation'][0])}")

    started = time.time()
    state = fit_model(model, fit_arrays["train"], fit_arrays["validation"], run, epochs=plan["epochs"],
                      batch_size=batch_size, patience=plan["patience"], state=state, monitor=plan["monitor"],
                      mode=plan["mode"], min_delta=plan["min_delta"], augmentation=plan["augmentation"],
                      average_best=plan["average_best"], seed=request.seed, class_weight=plan.get("class_weight"))
    write_with(run.model, model.save)
    config.update(peak_rss_mib=peak_rss_mib(), status="finished", best_epoch=state["best_epoch"] + 1, epochs_run=state["epoch"] + 1,
                  best_val_loss=state["best"], best_validation={plan["monitor"]: state["best"]},
                  averaged_weights=state.get("averaged"), train_seconds=round(sum(run.read_history().get("seconds", [])), 1),
                  wall_seconds_this_session=round(time.time() - started, 1))
    run.write_config(config)
    run.write_manifest()        # last: sha256 and size of every file of the run (not the resume checkpoints)
    _log(f"finished: best epoch {config['best_epoch']} of {config['epochs_run']}; run saved to {run.path}. "
         f"Next: python evaluate.py {run.path}")
    return run


def _initial_weights(request: TrainRequest, spec: dict) -> str:
    """Where a Keras model's weights started: ``--weights``, a pretrained backbone (``--backbone frozen`` /
    ``finetune``: the spec's ``model.weights``), or random initialisation."""
    if request.weights:
        return request.weights
    if request.backbone in ("frozen", "finetune"):
        return f"{spec['model']['weights']} checkpoint (backbone {request.backbone}; head randomly initialised)"
    return "random initialisation"


def _train_sklearn(request: TrainRequest, prepared: PreparedRun) -> RunDir:
    """Grid search with group folds over all training items (train + validation parts); test untouched.

    Scored by the task's score (``specs/baselines.yaml`` ``cv``): R² for va/quadrant, balanced accuracy
    (unweighted average recall) for emotion; recorded as ``best_cv_score`` and ``cv_scoring``
    (``best_cv_r2`` too when the score is R², as runs before issue 18 had it)."""

    from mer_keras.models.baseline_io import save_baseline
    from mer_keras.models.baselines import SCORING_LABELS, cv_scoring, search_baseline
    from mer_keras.models.registry import model_spec

    spec = model_spec(request.model)
    task = prepared.dataset.task
    scoring = cv_scoring(task)
    run = prepared.run
    items = prepared.parts["train"][0] + prepared.parts["validation"][0]
    features = np.concatenate([prepared.parts["train"][1], prepared.parts["validation"][1]]).reshape(len(items), -1)
    targets = encode_targets(items, prepared.dataset.task)
    groups = [item.group for item in items]
    test_ids = set(prepared.split["test"])
    if test_ids & {item.item_id for item in items}:
        raise RunError("internal error: test items reached the hyperparameter search")
    _log(f"model {request.model}: grid search over {spec['search']} with {min(spec['cv']['folds'], len(set(groups)))} folds grouped by "
         f"{prepared.split['group_by']} on {len(items)} training items x {features.shape[1]} features, scored by {scoring}")
    started = time.time()
    search = search_baseline(request.model, features, targets, groups, seed=request.seed, task=task)
    seconds = time.time() - started
    save_baseline(search.best_estimator_, run.path)      # pickle-free: baseline.json + .npz / xgboost JSON / skops
    names = feature_names_for(prepared)
    write_json(run / "feature_names.json", names)
    results = search.cv_results_
    short = "r2" if scoring == "r2" else scoring
    table = [{"params": {k.split("__")[-1]: v for k, v in params.items()}, f"mean_{short}": float(mean), f"sd_{short}": float(sd)}
             for params, mean, sd in zip(results["params"], results["mean_test_score"], results["std_test_score"])]
    best = float(search.best_score_)
    search_record = {"best_params": {k.split("__")[-1]: v for k, v in search.best_params_.items()},
                     "cv_scoring": scoring, "best_cv_score": best, **({"best_cv_r2": best} if scoring == "r2" else {}),
                     "folds": search.n_splits_, "grouped_by": prepared.split["group_by"], "candidates": table,
                     "search_item_ids": [item.item_id for item in items]}
    write_json(run / "search.json", search_record)
    config = base_config(request, prepared) | {
        "training": {"search": spec["search"], "fixed": spec.get("fixed"), "cv": spec["cv"] | {"scoring": scoring},
                     "cv_folds": search.n_splits_, "seed": request.seed, "limit": request.limit,
                     "best_params": search_record["best_params"], "cv_scoring": scoring, "best_cv_score": best,
                     **({"best_cv_r2": best} if scoring == "r2" else {})},
        "test_fold": prepared.split.get("test_fold"), "validation_fold": prepared.split.get("validation_fold"),
        "train_fraction": prepared.split.get("train_fraction", 1.0),
        "parameters": None, "n_features": int(features.shape[1]),
        "status": "finished", "train_seconds": round(seconds, 1), "peak_rss_mib": peak_rss_mib(),
    }
    run.write_config(config)
    run.write_manifest()        # last: sha256 and size of every file of the run
    _log(f"finished: best {search_record['best_params']} (cross-validated {SCORING_LABELS.get(scoring, scoring)} {best:.3f}) in {seconds:.0f} s; "
         f"run saved to {run.path}. Next: python evaluate.py {run.path}")
    return run


def feature_names_for(prepared: PreparedRun) -> list[str]:
    """Names of the flattened features the baselines see."""
    kind = prepared.feature_spec.kind
    if kind == "handcrafted":
        from mer_keras.features.handcrafted import feature_names

        return feature_names()
    if kind == "opensmile_summary":
        from mer_keras.features.opensmile import opensmile_feature_names

        return opensmile_feature_names(prepared.parts["train"][0][0].path)
    if kind == "egemaps":
        from mer_keras.features.opensmile import egemaps_feature_names

        params = prepared.feature_spec.params
        return egemaps_feature_names(params["feature_set"], params["feature_level"])
    if kind == "musicnn":
        from mer_keras.features.musicnn_mel import musicnn_feature_names

        return musicnn_feature_names()
    if kind == "opensmile_audio_summary":
        from mer_keras.features.opensmile import opensmile_audio_columns, summary_feature_names

        return summary_feature_names(opensmile_audio_columns())
    return [f"feature_{k}" for k in range(int(np.prod(prepared.parts["train"][1].shape[1:])))]
