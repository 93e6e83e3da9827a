"""``train.py --model vit_gan --synthetic-ratio R --gan-run DIR``: the ViT on crops of the training songs plus R
generated crops per real one (issue 22), train on synthetic / test on real (``--synthetic-only``), and the leaky
protocol replayed for illustration. Every model on crops (a registry row whose trainer is
:func:`train_on_crops`; its spec's ``crop.backbone``) trains here the same way.

Song-level protocols (``documented``, ``tuned``): the split is the one every model uses for the seed; the
GAN run must have been trained on exactly its training songs (:func:`mer_keras.training.gan.check_gan_run`).
Training items: one fresh random 128-frame crop of every training song per epoch, plus ``round(R * n)``
generated crops (labels drawn from the training songs' labels, generated once, in every epoch).
``--synthetic-only`` (TSTR): ``n`` generated crops (as many as the real crops of an epoch, labels drawn the
same way) and no real training crop at all; the scaler is still fitted on the real training songs' frames.
Validation and test: the real held-out songs, whole clips, each heard as the mean over its crops (inside
the model, :mod:`mer_keras.models.vit_gan`). :func:`check_heldout_real` is called where these parts are
assembled and refuses any generated sample (or training song) on the held-out side. ``R = 0``: the same
model on the same crops without generated ones, the control arm.

``--resume`` (song-level protocols) continues from the last completed epoch as the shared Keras loop does
(``last.keras`` with its optimizer state, ``state.json``, the history cut there) and gives what an uninterrupted
run gives: the generated crops are drawn again from the same GAN run, labels and seeds (their fingerprint in
config.json must match), each epoch's crops, order and augmentation come from a generator seeded by the epoch
(:class:`mer_keras.training.crops.CropBatches` ``epoch_seeded``) and the model's dropout / mask random states
are restored from ``state.json`` (:func:`mer_keras.training.fit.restore_seed_states`).

``--protocol leaky`` (:data:`mer_keras.evaluation.verdict.LEAKY_LABEL`): every song's crops, test songs
included, plus generated crops with labels drawn from every song's labels, are pooled and standardised
BEFORE a random crop-level split; crops of one song, and samples generated from test songs' labels, land on
both sides. Its figures only show how much such a protocol inflates a score.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from mer_keras.data.targets import decode_predictions, encode_targets
from mer_keras.errors import RunError, SpecError
from mer_keras.features.normalize import FeatureScaler
from mer_keras.runs import RunDir, write_json, write_with
from mer_keras.runtime import peak_rss_mib
from mer_keras.training.crops import CropBatches, fixed_crops, valid_frames

#: Sample ids of generated crops start with this; real samples carry their song id.
GENERATED = "generated:"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def check_heldout_real(sources: dict[str, list[str]], split: dict) -> None:
    """The leak guard: call it where the parts a model sees are assembled.

    Parameters
    ----------
    sources : dict
        ``"train"``, ``"validation"``, ``"test"`` -> the id of every sample of that part: a song id for a real
        sample, ``"generated:<k>"`` for a generated one.
    split : dict
        The run's song split (``split.json``).

    Raises
    ------
    RunError
        If a generated sample is in the validation or test part, a held-out part holds a song that is not
        in that part of the split, or a training sample comes from a validation or test song.
    """
    held_out = set(split["validation"]) | set(split["test"])
    for part in ("validation", "test"):
        ids = list(sources.get(part, []))
        generated = [i for i in ids if str(i).startswith(GENERATED)]
        if generated:
            raise RunError(f"leak guard: {len(generated)} generated sample(s) reached the {part} part (first: "
                           f"{generated[0]}); {part} must hold real held-out songs only")
        foreign = sorted(set(ids) - set(split[part]))
        if foreign:
            raise RunError(f"leak guard: the {part} part holds {len(foreign)} sample(s) of songs outside its split "
                           f"part (first: {foreign[0]})")
    leaked = sorted({i for i in sources.get("train", []) if not str(i).startswith(GENERATED)} & held_out)
    if leaked:
        raise RunError(f"leak guard: {len(leaked)} training sample(s) come from validation or test songs (first: {leaked[0]})")


def _gan_scaler(gan_run: Path) -> FeatureScaler:
    return FeatureScaler.load(gan_run / "normalization.npz")


def generate_crops(gan_run: Path, gan_config: dict, targets: np.ndarray, count: int, seed: int,
                   scaler: FeatureScaler, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``count`` generated crops with labels drawn (with replacement, seeded) from ``targets``.

    Parameters
    ----------
    gan_run : Path
        A finished, verified GAN run (``generator.keras``, ``normalization.npz``).
    gan_config : dict
        Its config.json.
    targets : np.ndarray, shape (n, 2)
        Task targets to draw the conditioning labels from (the training songs' for song-level protocols).
    count : int
    seed : int
    scaler : FeatureScaler
        This run's scaler: the crops come out standardised by it.

    Returns
    -------
    (crops (count, crop frames, mels) float32, their targets (count, 2) float32)
    """
    import keras

    from mer_keras.models.cgan import conditioning_labels
    from mer_keras.training.gan import predict_padded

    rng = np.random.default_rng(seed)
    drawn = np.asarray(targets, np.float32)[rng.integers(0, len(targets), count)]
    if count == 0:
        return np.empty((0, gan_config["crop"]["frames"], gan_config["crop"]["mels"]), np.float32), drawn
    generator = keras.models.load_model(gan_run / "generator.keras", safe_mode=True)
    noise = rng.standard_normal((count, int(gan_config["model_config"]["noise_dim"]))).astype(np.float32)
    crops = predict_padded(generator, [noise, conditioning_labels(drawn, gan_config["condition"])], batch_size)
    theirs = _gan_scaler(gan_run)
    raw = crops * float(gan_config["crop"]["scale"]) * theirs.std + theirs.mean      # back to log-mel dB
    return scaler.transform(raw.astype(np.float32)), drawn


def check_request(request) -> None:
    """``--synthetic-ratio`` / ``--synthetic-only`` / ``--gan-run`` / ``--protocol`` of a request for a model on
    crops (vit_gan), before any data is read.

    Raises
    ------
    SpecError, RunError
        One line naming the fix: no ratio (and no ``--synthetic-only``), a negative ratio, generated crops without
        ``--gan-run``, ``--synthetic-only`` with a ratio or the leaky protocol, a ``--gan-run`` that is no run.
    """
    ratio, model = request.synthetic_ratio, request.model
    if getattr(request, "synthetic_only", False):
        if not request.gan_run:
            raise SpecError(f"--synthetic-only trains {model} on generated crops only: give --gan-run DIR (a finished "
                            "train.py --model gan run on the same dataset, target and seed)")
        if ratio is not None:
            raise SpecError(f"--synthetic-only trains on as many generated crops as an epoch holds real ones, instead of "
                            f"them: drop --synthetic-ratio {ratio:g}")
        if request.protocol == "leaky":
            raise SpecError("--synthetic-only tests on the real held-out songs of the song split: use --protocol tuned "
                            "or documented, not leaky")
    elif ratio is None:
        raise SpecError(f"--model {model} needs --synthetic-ratio R (generated crops per real one; 0 = the same model on "
                        "the same crops without generated ones), or --synthetic-only with --gan-run DIR")
    elif ratio < 0:
        raise SpecError(f"--synthetic-ratio {ratio:g}: give R >= 0 (generated crops per real crop)")
    elif ratio > 0 and not request.gan_run:
        raise SpecError(f"--synthetic-ratio {ratio:g} needs --gan-run DIR (a finished train.py --model gan run on the "
                        "same dataset, target and seed)")
    if request.protocol == "leaky" and not request.gan_run:
        raise SpecError("--protocol leaky replays GAN augmentation before a random split: give --gan-run DIR")
    if request.gan_run and not (Path(request.gan_run) / "config.json").is_file():
        raise RunError(f"--gan-run {request.gan_run}: not a run directory (no config.json); pass the --out folder of "
                       "train.py --model gan")


def train_on_crops(request, prepared) -> RunDir:
    """Train a model on crops (``vit_gan``; see the module's doc); returns the run."""
    from mer_keras.training.gan import check_gan_run

    check_request(request)
    ratio = request.synthetic_ratio
    gan_config = (check_gan_run(request.gan_run, prepared.choice, prepared.split, prepared.dataset.task)
                  if request.gan_run else None)
    crop = int(_spec(request, prepared)["crop"]["frames"])
    if gan_config and int(gan_config["crop"]["frames"]) != crop:
        raise RunError(f"--gan-run {request.gan_run} makes {gan_config['crop']['frames']}-frame crops; {request.model} "
                       f"trains on {crop}-frame crops (specs/{request.model}.yaml)")
    if request.protocol == "leaky":
        return _train_leaky(request, prepared, gan_config, ratio)
    return _train_song_level(request, prepared, gan_config, ratio)


#: The name the registry rows used before the crop models were generalised.
train_vit_gan = train_on_crops


def _spec(request, prepared) -> dict:
    from mer_keras.models.registry import resolved_spec

    return resolved_spec(request.model, prepared.choice.features, request.preset)


def _plan(request, task: str, spec: dict) -> dict:
    from mer_keras.training.protocols import training_plan

    protocol = "tuned" if request.protocol == "leaky" else request.protocol
    plan = training_plan(protocol, request.model, task, spec["training"], epochs=request.epochs,
                         batch_size=request.batch_size, patience=request.patience, ablations=request.ablate or ())
    if plan["utterance_norm"] or plan["class_weight"]:
        raise SpecError(f"{request.model} trains on crops: utterance_norm and class_weight do not apply "
                        "(specs/protocols.yaml)")
    plan["protocol"] = request.protocol
    return plan


def _model(request, spec: dict, n_features: int, plan: dict, steps: int, task: str):
    """The model on crops, compiled with the protocol's optimizer (the spec's own under documented)."""
    from mer_keras.models.compile import compile_from_spec
    from mer_keras.models.registry import build_model
    from mer_keras.training.protocols import compile_settings

    options = {"weights": request.weights} if request.weights else {}
    model = build_model(request.model, int(spec["crop"]["frames"]), n_features, spec, **options)
    if request.protocol != "documented":
        compile_from_spec(model, compile_settings(plan, steps), metrics=[])
    return model


def _backbone_label(spec: dict) -> str:
    """``"ViT"`` / ``"CRNN"``: what sees the crops (the spec's ``crop.backbone``), for the run's texts."""
    from mer_keras.models.vit_gan import crop_backbone

    name = crop_backbone(spec)
    return {"vit": "ViT", "crnn": "CRNN"}.get(name, name)


def _config(request, prepared, spec: dict, plan: dict, model, ratio: float | None, gan_config: dict | None,
            extra: dict) -> dict:
    from mer_keras.training.train import base_config

    crop = int(spec["crop"]["frames"])
    synthetic_only = bool(getattr(request, "synthetic_only", False))
    return base_config(request, prepared) | {
        "protocol": request.protocol, "ablations": plan["ablations"],
        "validation_fold": prepared.split.get("validation_fold"), "test_fold": prepared.split.get("test_fold"),
        "train_fraction": prepared.split.get("train_fraction", 1.0),
        "training": {key: plan[key] for key in ("optimizer", "learning_rate", "loss", "epochs", "batch_size", "patience")}
                    | {"seed": request.seed, "limit": request.limit, "precision": request.precision,
                       "protocol": request.protocol}
                    | ({key: plan[key] for key in ("monitor", "min_delta", "weight_decay", "clipnorm", "warmup_epochs",
                                                   "decay", "average_best", "augmentation")}
                       if request.protocol != "documented" else {}),
        "parameters": int(model.count_params()), "weights": request.weights or "random initialisation",
        "preset": request.preset, "model_config": spec.get("model") or {"layers": spec.get("layers")},
        "claimed_parameters": None,
        "synthetic_ratio": None if ratio is None else float(ratio), "synthetic_only": synthetic_only,
        "crop": {"frames": crop, "backbone": _backbone_label(spec),
                 "deviation": f"the {_backbone_label(spec)} sees {crop}-frame crops (about {crop * 512 / 22050:.1f} s): "
                              + ("generated crops only in training" if synthetic_only else
                                 "random crops of the training songs in training")
                              + "; every clip heard as the mean over its crops at validation, test and predict time"},
        "gan_run": ({"path": str(Path(request.gan_run).resolve()), "selected_epoch": gan_config.get("selected_epoch"),
                     "quality": gan_config.get("quality")} if gan_config else None),
    } | extra


def _train_song_level(request, prepared, gan_config: dict | None, ratio: float | None) -> RunDir:
    """Song-level protocols: real training crops plus ``round(R * n)`` generated ones, or (``--synthetic-only``,
    train on synthetic / test on real) ``n`` generated crops and no real one; validation on real songs."""
    from mer_keras.training.fit import fit_model
    from mer_keras.training.gan import frame_rate

    from mer_keras.training.fit import load_resume_state

    spec = _spec(request, prepared)
    run, task, split = prepared.run, prepared.dataset.task, prepared.split
    synthetic_only = bool(getattr(request, "synthetic_only", False))
    previous = run.read_config() if request.resume and run.state.is_file() and run.config.is_file() else None
    if previous:
        _check_resumed(request, previous, run)
    plan = _plan(request, task, spec)
    crop = int(spec["crop"]["frames"])
    (train_items, train_x), (val_items, val_x) = prepared.parts["train"], prepared.parts["validation"]
    scaler = FeatureScaler().fit(train_x)           # real training songs only
    write_with(run.scaler, scaler.save)
    train_x, val_x = scaler.transform(train_x), scaler.transform(val_x)
    train_y, val_y = encode_targets(train_items, task), encode_targets(val_items, task)
    valid = valid_frames(train_items, prepared.padded, train_x.shape[1], frame_rate(prepared.feature_spec.params))
    # --synthetic-only: as many generated crops as an epoch holds real ones (one per training song), none real
    count = len(train_items) if synthetic_only else int(round(ratio * len(train_items)))
    synthetic = (generate_crops(Path(request.gan_run), gan_config, train_y, count, request.seed + 7919, scaler,
                                int(spec["synthetic"]["generate_batch"])) if count else None)
    real = slice(0, 0) if synthetic_only else slice(None)       # the real training crops the batches may draw from
    sources = {"train": [item.item_id for item in train_items[real]] + [f"{GENERATED}{k}" for k in range(count)],
               "validation": [item.item_id for item in val_items], "test": list(split["test"])}
    check_heldout_real(sources, split)
    fingerprint = crops_fingerprint(synthetic[0] if synthetic is not None else None)
    if previous:
        _check_same_crops(previous, fingerprint, request, run)
    batches = CropBatches(train_x[real], train_y[real], valid[real], crop, plan["batch_size"], seed=request.seed,
                          synthetic=synthetic, augmentation=plan["augmentation"], epoch_seeded=True)
    model, state = load_resume_state(run) if request.resume else (None, None)
    if model is None:
        model = _model(request, spec, train_x.shape[-1], plan, len(batches), task)
    labels = "drawn with replacement from the training songs' labels"
    if synthetic_only:
        record = {"generated_crops": count, "real_songs": len(train_items), "real_crops_trained_on": 0, "labels": labels,
                  "crops_per_epoch": batches.n_items, "fingerprint": fingerprint,
                  "note": "train on synthetic, test on real: an epoch holds every generated crop and no real crop, as "
                          "many crops as an epoch of R = 0 holds real ones; the scaler is fitted on the real training "
                          "songs' frames; validation and test are real held-out songs"}
    else:
        record = {"generated_crops": count, "real_songs": len(train_items), "labels": labels,
                  "crops_per_epoch": batches.n_items, "fingerprint": fingerprint,
                  "note": "an epoch holds every real song once (a fresh random crop) and every "
                          f"generated crop: R = {ratio:g} gives {batches.n_items / len(train_items):.2f}x "
                          "the optimizer steps of R = 0 per epoch"}
    config = _config(request, prepared, spec, plan, model, ratio, gan_config,
                     {"synthetic": record, "leak_guard": "passed: validation and test hold real held-out songs only"
                                                         + ("; training holds generated crops only" if synthetic_only else "")})
    run.write_config(config)
    trained_on = (f"{count} generated crops only (train on synthetic, test on real; labels of the {len(train_items)} "
                  "training songs)" if synthetic_only else
                  f"{len(train_items)} training songs ({crop}-frame crops) + {count} generated crops (R = {ratio:g})")
    _log(f"model {request.model}: {config['parameters']:,} parameters; {trained_on}; early stopping on "
         f"{len(val_items)} whole validation clips")
    started = time.time()
    state = fit_model(model, None, (val_x, val_y), run, epochs=plan["epochs"], batch_size=plan["batch_size"],
                      patience=plan["patience"], state=state, monitor=plan["monitor"], mode=plan["mode"],
                      min_delta=plan["min_delta"], average_best=plan["average_best"], seed=request.seed, batches=batches)
    return _finish(run, model, config, state, plan, started)


def crops_fingerprint(crops: np.ndarray | None) -> dict | None:
    """What identifies a set of generated crops up to floating-point round-off: their count, sum and sum of
    squares (float64), recorded in config.json and compared on ``--resume``."""
    if crops is None or not len(crops):
        return None
    values = np.asarray(crops, np.float64)
    return {"count": int(len(crops)), "sum": float(values.sum()), "sum_of_squares": float(np.square(values).sum())}


def _check_resumed(request, previous: dict, run: RunDir) -> None:
    """``--resume`` continues a run with the data it started with: the same model, ratio, TSTR choice and GAN run."""
    gan_run = str(Path(request.gan_run).resolve()) if request.gan_run else None
    before = {"--model": previous.get("model"), "--synthetic-ratio": previous.get("synthetic_ratio"),
              "--synthetic-only": bool(previous.get("synthetic_only")),
              "--gan-run": (previous.get("gan_run") or {}).get("path")}
    now = {"--model": request.model, "--synthetic-ratio": request.synthetic_ratio,
           "--synthetic-only": bool(getattr(request, "synthetic_only", False)), "--gan-run": gan_run}
    for option, value in now.items():
        if value != before[option]:
            raise RunError(f"--resume of {run.path}: it started with {option} {before[option]}, this command gives "
                           f"{value}; resume with its own command (config.json: {previous.get('command')})")


def _check_same_crops(previous: dict, fingerprint: dict | None, request, run: RunDir) -> None:
    """The generated crops drawn again on ``--resume`` (same GAN run, labels and seeds) must be the ones the run
    started with; a GAN run retrained in place makes others."""
    before = (previous.get("synthetic") or {}).get("fingerprint")
    same = (before is None and fingerprint is None) or (
        before is not None and fingerprint is not None and before["count"] == fingerprint["count"]
        and np.allclose([before["sum"], before["sum_of_squares"]], [fingerprint["sum"], fingerprint["sum_of_squares"]],
                        rtol=1e-5, atol=1e-3))
    if not same:
        raise RunError(f"--resume of {run.path}: --gan-run {request.gan_run} now generates other crops than the ones "
                       "this run started with (was its generator retrained?); train afresh with another --out")


def _finish(run: RunDir, model, config: dict, state: dict, plan: dict, started: float, extra: dict | None = None) -> RunDir:
    write_with(run.model, model.save)
    config.update(peak_rss_mib=peak_rss_mib(), status="finished", best_epoch=state["best_epoch"] + 1,
                  epochs_run=state["epoch"] + 1, best_val_loss=state["best"], best_validation={plan["monitor"]: state["best"]},
                  averaged_weights=state.get("averaged"), train_seconds=round(sum(run.read_history().get("seconds", [])), 1),
                  wall_seconds_this_session=round(time.time() - started, 1), **(extra or {}))
    run.write_config(config)
    run.write_manifest()
    _log(f"finished: best epoch {config['best_epoch']} of {config['epochs_run']}; run saved to {run.path}. "
         f"Next: python evaluate.py {run.path}")
    return run


# --- the leaky protocol, for illustration -------------------------------------------------------------


def _train_leaky(request, prepared, gan_config: dict, ratio: float) -> RunDir:
    """Pool every song's crops and the generated ones, standardise, split at random, train, score the random
    test part; ``evaluate.py`` then scores the song split's test songs, whose crops were partly trained on."""
    from mer_keras.evaluation.metrics import quadrant_metrics, regression_metrics
    from mer_keras.evaluation.verdict import LEAKY_LABEL
    from mer_keras.features.cache import FeatureCache
    from mer_keras.training.fit import fit_model
    from mer_keras.training.gan import frame_rate
    from mer_keras.training.train import prepare_features

    spec = _spec(request, prepared)
    run, task, split = prepared.run, prepared.dataset.task, prepared.split
    if request.resume and run.state.is_file():
        raise RunError(f"--resume of a leaky {request.model} run is not supported; train it afresh with another --out than {run.path}")
    plan = _plan(request, task, spec)
    crop, per_song = int(spec["crop"]["frames"]), int(spec["leaky"]["crops_per_song"])
    by_id = prepared.dataset.by_id()
    test_items, test_x, _, test_padded = prepare_features([by_id[i] for i in split["test"]], prepared.feature_spec,
                                                          FeatureCache(request.cache), request.workers, desc="test (leaky)")
    items = prepared.parts["train"][0] + prepared.parts["validation"][0] + test_items
    clips = np.concatenate([prepared.parts["train"][1], prepared.parts["validation"][1], test_x])
    scaler = FeatureScaler().fit(clips)             # leaky: statistics of every song, test songs included
    write_with(run.scaler, scaler.save)
    clips = scaler.transform(clips)
    targets = encode_targets(items, task)
    valid = valid_frames(items, prepared.padded | test_padded, clips.shape[1], frame_rate(prepared.feature_spec.params))
    real, rows = fixed_crops(clips, valid, crop, per_song, request.seed + 11)
    del clips
    count = int(round(ratio * len(real)))
    fake, fake_y = generate_crops(Path(request.gan_run), gan_config, targets, count, request.seed + 7919, scaler,
                                  int(spec["synthetic"]["generate_batch"]))
    pool_x = np.concatenate([real, fake])
    pool_y = np.concatenate([targets[rows], fake_y]).astype(np.float32)
    pool_ids = [items[r].item_id for r in rows] + [f"{GENERATED}{k}" for k in range(count)]
    del real, fake
    n_songs = {part: len(split[part]) for part in ("train", "validation", "test")}
    order = np.random.default_rng(request.seed + 13).permutation(len(pool_x))
    cut_val = int(round(len(order) * n_songs["train"] / sum(n_songs.values())))
    cut_test = cut_val + int(round(len(order) * n_songs["validation"] / sum(n_songs.values())))
    parts = {"train": order[:cut_val], "validation": order[cut_val:cut_test], "test": order[cut_test:]}
    test_songs = set(split["test"])
    leak = {"pooled_crops": int(len(pool_x)), "generated_crops": count, "crops_per_song": per_song,
            "generated_in_test_part": int(sum(pool_ids[k].startswith(GENERATED) for k in parts["test"])),
            "generated_in_validation_part": int(sum(pool_ids[k].startswith(GENERATED) for k in parts["validation"])),
            "test_song_crops_in_training_part": int(sum(pool_ids[k] in test_songs for k in parts["train"])),
            "test_songs_with_a_crop_in_training": len({pool_ids[k] for k in parts["train"]} & test_songs),
            "songs_on_both_sides_of_the_random_split": len({pool_ids[k] for k in parts["train"]}
                                                           & {pool_ids[k] for k in parts["test"]}),
            "labels": "drawn with replacement from every song's labels, test songs included",
            "scaler": "fitted on every song's frames, test songs included"}
    batches = CropBatches(pool_x[parts["train"]], pool_y[parts["train"]], np.full(len(parts["train"]), crop), crop,
                          plan["batch_size"], seed=request.seed, augmentation=plan["augmentation"])
    validation = (pool_x[parts["validation"]], pool_y[parts["validation"]])
    model = _model(request, spec, pool_x.shape[-1], plan, len(batches), task)
    config = _config(request, prepared, spec, plan, model, ratio, gan_config,
                     {"leaky": leak | {"label": LEAKY_LABEL, "split": "random, crop level, proportions of the song split"},
                      "leak_guard": "not applied: the leaky protocol puts generated and test-song crops on every side"})
    run.write_config(config)
    _log(f"model {request.model}, protocol {LEAKY_LABEL}: {len(pool_x)} pooled crops ({count} generated) split at random: "
         f"{len(parts['train'])} train / {len(parts['validation'])} validation / {len(parts['test'])} test; "
         f"{leak['test_songs_with_a_crop_in_training']} of {len(test_songs)} test songs have crops in training")
    started = time.time()
    state = fit_model(model, None, validation, run, epochs=plan["epochs"], batch_size=plan["batch_size"],
                      patience=plan["patience"], monitor=plan["monitor"], mode=plan["mode"], min_delta=plan["min_delta"],
                      average_best=plan["average_best"], seed=request.seed, batches=batches)
    predictions = np.asarray(model.predict(pool_x[parts["test"]], batch_size=64, verbose=0))
    truth = pool_y[parts["test"]]
    if task == "va":
        decoded = decode_predictions(predictions, "va")
        true_scale = 5.0 + 4.0 * truth
        pred_scale = np.array([[row["valence"], row["arousal"]] for row in decoded])
        scores = regression_metrics(true_scale, pred_scale)
        scores = {"r2": scores["r2"], "ccc": scores["ccc"]}
    else:
        true_q = [row["quadrant"] for row in decode_predictions(truth, "quadrant")]
        pred_q = [row["quadrant"] for row in decode_predictions(predictions, "quadrant")]
        scores = {"quadrant_accuracy": quadrant_metrics(true_q, pred_q, truth, predictions)["quadrant_accuracy"]}
    record = {"label": LEAKY_LABEL, "what": "the random test part of the pooled crops (real crops of every song and "
                                            "generated crops), each crop scored on its own", "n_crops": len(parts["test"]),
              **scores}
    write_json(run / "leaky_test.json", record)
    return _finish(run, model, config, state, plan, started, {"leaky_test": record})
