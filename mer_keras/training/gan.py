"""``train.py --model gan``: the conditional spectrogram GAN of ``specs/gan.yaml`` on the TRAINING songs of
the run's split (issue 22).

Steps: standardise with training-song statistics -> train the small crop CNN that measures quality
(:mod:`mer_keras.models.crop_cnn`) on random crops of the training songs -> train the GAN with ``fit`` on
fresh random crops each epoch -> after every epoch: the quality figures
(:mod:`mer_keras.evaluation.gan_quality`) on fixed sets, a picture grid of real against generated crops per
class / V-A region, a ``history.csv`` row, a resumable checkpoint and one progress line. The generator
kept is that of the epoch with the lowest Frechet distance to the VALIDATION songs' crops; the test songs
are never read. Writes ``generator.keras`` (that epoch), ``critic.keras`` (the last epoch),
``quality_cnn.keras``, ``gan_quality.json``, ``grid-epoch-NN.png``, ``quality_curves.png`` and
``report.md`` beside the usual ``config.json``, ``split.json``, ``normalization.npz`` and ``manifest.json``.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from mer_keras.data.targets import encode_targets
from mer_keras.errors import RunError, SpecError
from mer_keras.evaluation import gan_quality
from mer_keras.features.normalize import FeatureScaler
from mer_keras.interrupts import raise_if_requested, stop_requests, uninterrupted
from mer_keras.runs import RUN_FILES, RunDir, write_json, write_with
from mer_keras.runtime import peak_rss_mib
from mer_keras.training.crops import CropBatches, fixed_crops, strided_crops, valid_frames
from mer_keras.training.fit import StopOnRequest, _callback_base

GENERATOR, CRITIC, QUALITY_CNN = "generator.keras", "critic.keras", "quality_cnn.keras"
QUALITY, BEST_GENERATOR = "gan_quality.json", "best_generator.weights.h5"
#: The files a finished GAN run is made of, beside the common ones (all listed in its manifest).
GAN_FILES = (GENERATOR, CRITIC, QUALITY_CNN, QUALITY, "quality_curves.png")
REGION_NAMES = {"va": "V-A region", "quadrant": "quadrant"}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def frame_rate(params: dict) -> float:
    """Frames per second of a log-mel feature spec (sample rate / hop)."""
    return float(params["sample_rate"]) / float(params["hop_length"])


def predict_padded(model, inputs, batch_size: int = 64) -> np.ndarray:
    """``model.predict`` on ``inputs`` (an array or a list of arrays with the same first axis) padded with zeros
    to a multiple of ``batch_size``: every call runs the same compiled batch shape; the padding is cut off."""
    arrays = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    n = len(arrays[0])
    extra = -n % batch_size
    padded = [np.concatenate([a, np.zeros((extra, *a.shape[1:]), a.dtype)]) if extra else a for a in arrays]
    out = model.predict(padded if isinstance(inputs, (list, tuple)) else padded[0], batch_size=batch_size, verbose=0)
    return np.asarray(out)[:n]


class QualityProbe:
    """Fixed sets and the crop CNN: :meth:`measure` gives the quality figures of a generator.

    Built once per run from the standardised training and validation clips (``scale``-clipped), the
    conditioning labels and ``specs/gan.yaml`` ``quality``; everything is seeded by the run's seed.
    """

    def __init__(self, cnn, train: tuple, validation: tuple, condition: str, config: dict, crop: int, seed: int):
        from mer_keras.models.crop_cnn import embedding_model

        (train_x, train_y, train_valid), (val_x, val_y, val_valid) = train, validation
        self.cnn, self.embed, self.condition = cnn, embedding_model(cnn), condition
        self.pool = int(config["pool"])
        self.val_crops, rows = fixed_crops(val_x, val_valid, crop, int(config["validation_crops_per_song"]), seed + 1)
        self.val_labels = val_y[rows]
        train_crops, train_rows = fixed_crops(train_x, train_valid, crop, int(config["validation_crops_per_song"]), seed + 2)
        self.train_crops, self.train_labels = train_crops, train_y[train_rows]
        self.reference, _ = strided_crops(train_x, train_valid, crop, int(config["reference_stride"]),
                                          transform=lambda block: gan_quality.pooled(block, self.pool))
        self.val_embedding = self._embed(self.val_crops)
        rng = np.random.default_rng(seed + 3)
        self.labels = train_y[rng.integers(0, len(train_y), int(config["generated"]))]
        self.val_nearest = gan_quality.nearest_distances(gan_quality.pooled(self.val_crops, self.pool), self.reference)
        self.real = {"frechet_real": gan_quality.frechet_distance(self._embed(self.train_crops), self.val_embedding),
                     "fidelity_real": gan_quality.label_fidelity(predict_padded(self.cnn, self.val_crops),
                                                                 self.val_labels, condition)}
        self.seed = seed + 4

    def _embed(self, crops: np.ndarray) -> np.ndarray:
        return predict_padded(self.embed, crops)

    def measure(self, generate) -> dict:
        """``generate(labels, seed)`` -> standardised crops; the figures of those crops (fixed labels and noise)."""
        crops = generate(self.labels, self.seed)
        nearest = gan_quality.nearest_distances(gan_quality.pooled(crops, self.pool), self.reference)
        copies = gan_quality.memorisation(nearest, self.val_nearest)
        return {"frechet": gan_quality.frechet_distance(self._embed(crops), self.val_embedding),
                "fidelity": gan_quality.label_fidelity(predict_padded(self.cnn, crops), self.labels, self.condition),
                "near_copies": copies["near_copies"], "nearest_median": copies["generated_median"],
                "nearest_median_real": copies["validation_median"], **self.real}

    def grid_rows(self, generate, examples: int) -> list:
        """Per quadrant (``quadrant``) or V-A region (``va``: the quadrant of the label's signs): ``examples``
        real training crops and generated crops for the same labels."""
        from mer_keras.models.cgan import QUADRANTS, quadrant_classes

        classes = (quadrant_classes(self.train_labels).reshape(-1) if self.condition == "va"
                   else np.asarray(self.train_labels).reshape(-1))
        chosen = [(name, np.flatnonzero(classes == k)[:examples]) for k, name in enumerate(QUADRANTS)]
        chosen = [(name, rows) for name, rows in chosen if len(rows)]
        every = np.concatenate([rows for _, rows in chosen])
        fake = generate(self.train_labels[every], self.seed + 1)          # one call: one compiled shape
        bounds = np.cumsum([0] + [len(rows) for _, rows in chosen])
        return [(name, self.train_crops[rows], fake[bounds[k]:bounds[k + 1]]) for k, (name, rows) in enumerate(chosen)]


class GanEpochEnd(_callback_base()):
    """After each epoch: quality figures, picture grid, history row, best generator, checkpoint, one line."""

    def __init__(self, run: RunDir, probe: QualityProbe, generate, epochs: int, examples: int, state: dict | None,
                 title: str):
        super().__init__()
        self.run, self.probe, self.generate, self.title = run, probe, generate, title
        self.epochs, self.examples = epochs, examples
        self.state = state or {"epoch": -1, "best": float("inf"), "best_epoch": -1}

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        np.asarray(self.model.critic.trainable_variables[0].numpy())      # wait for the epoch's last step
        trained = time.time() - self._start
        figures = self.probe.measure(self.generate)
        values = {**{k: float(v) for k, v in (logs or {}).items()}, **figures, "train_step_seconds": trained}
        gan_quality.crop_grid(self.probe.grid_rows(self.generate, self.examples),
                              self.run / f"grid-epoch-{epoch + 1:02d}.png",
                              f"{self.title}, epoch {epoch + 1}")
        with uninterrupted():
            if np.isfinite(figures["frechet"]) and figures["frechet"] < self.state["best"]:
                self.state.update(best=figures["frechet"], best_epoch=epoch)
                write_with(self.run / BEST_GENERATOR, self.model.generator.save_weights)
            names = sorted(values)
            self.run.append_history(["epoch", *names, "seconds"],
                                    [epoch, *[f"{values[n]:.6g}" for n in names], f"{time.time() - self._start:.2f}"])
            self.state["epoch"] = epoch
            write_with(self.run.last_model, self.model.save)
            self.run.write_json(self.run.state, self.state)
        _log(f"gan epoch {epoch + 1}/{self.epochs}: critic loss {values.get('critic_loss', float('nan')):.3f}, "
             f"generator loss {values.get('generator_loss', float('nan')):.3f}; Frechet {figures['frechet']:.2f} "
             f"(real crops {figures['frechet_real']:.2f}), fidelity {figures['fidelity']:.3f} (real "
             f"{figures['fidelity_real']:.3f}), near copies {figures['near_copies']:.3f}; "
             f"{time.time() - self._start:.0f} s (best epoch {self.state['best_epoch'] + 1})")


def _quality_cnn(run: RunDir, train: tuple, validation: tuple, condition: str, config: dict, crop: int, seed: int):
    """The crop CNN: loaded from the run (resume) or trained on random crops of the training songs, its epoch
    chosen on fixed crops of the validation songs."""
    import keras

    from mer_keras.models.crop_cnn import build_crop_cnn

    path = run / QUALITY_CNN
    if path.is_file():
        return keras.models.load_model(path)
    (train_x, train_y, train_valid), (val_x, val_y, val_valid) = train, validation
    model = build_crop_cnn(crop, train_x.shape[-1], config["regressor"], condition)
    val_crops, rows = fixed_crops(val_x, val_valid, crop, int(config["validation_crops_per_song"]), seed + 1)
    batches = CropBatches(train_x, train_y, train_valid, crop, int(config["regressor"]["batch_size"]), seed=seed + 5)
    stop = keras.callbacks.EarlyStopping(patience=int(config["regressor"]["epochs"]), restore_best_weights=True)
    started = time.time()
    with stop_requests():
        model.fit(batches, validation_data=(val_crops, val_y[rows]), epochs=int(config["regressor"]["epochs"]),
                  callbacks=[stop, StopOnRequest()], verbose=0)
        raise_if_requested()
    write_with(path, model.save)
    _log(f"quality CNN ({model.count_params():,} parameters) trained on training crops in {time.time() - started:.0f} s")
    return model


def gan_spec(preset: str | None = None) -> dict:
    """``specs/gan.yaml`` with the named preset's sections merged in (``--preset``; e.g. ``tiny`` for tests)."""
    import copy

    from mer_keras.models.registry import model_spec

    spec = copy.deepcopy(model_spec("gan"))
    if preset:
        presets = spec.get("presets") or {}
        if preset not in presets:
            raise SpecError(f"unknown preset {preset!r} for gan; available: {sorted(presets)}")
        for section, values in presets[preset].items():
            spec[section] = {**spec.get(section, {}), **values}
    return spec


def check_request(request) -> None:
    """Options a GAN run refuses, before any data is read."""
    if request.protocol != "documented":
        raise SpecError(f"--protocol {request.protocol} applies to the models trained on the GAN's crops (vit_gan); "
                        "the GAN trains by specs/gan.yaml")
    if request.synthetic_ratio is not None or request.gan_run:
        raise SpecError("--synthetic-ratio and --gan-run apply to vit_gan; train.py --model gan trains the GAN itself")
    gan_spec(request.preset)


def train_gan(request, prepared) -> RunDir:
    """Train the conditional GAN on ``prepared``'s training songs; returns the run (see the module's doc)."""
    import keras

    from mer_keras.models.cgan import build_gan, conditioning_labels
    from mer_keras.models.registry import register_custom_layers
    from mer_keras.training.train import base_config

    check_request(request)
    spec = gan_spec(request.preset)
    run, task = prepared.run, prepared.dataset.task
    condition = task
    crop, scale = int(spec["crop"]["frames"]), float(spec["crop"]["scale"])
    epochs = int(request.epochs or spec["training"]["epochs"])
    batch_size = int(request.batch_size or spec["training"]["batch_size"])
    copies = int(spec["training"].get("crops_per_song", 1))
    (train_items, train_x), (val_items, val_x) = prepared.parts["train"], prepared.parts["validation"]
    if train_x.shape[1] < crop:
        raise SpecError(f"the GAN's {crop}-frame crops need clips of at least {crop} frames; these have {train_x.shape[1]}")
    scaler = FeatureScaler().fit(train_x)
    write_with(run.scaler, scaler.save)
    for part in (train_x, val_x):       # standardised, in place, and clipped to what the generator can produce
        np.clip(scaler.transform(part), -scale, scale, out=part)
    rate = frame_rate(prepared.feature_spec.params)
    train = (train_x, conditioning_labels(encode_targets(train_items, task), condition),
             valid_frames(train_items, prepared.padded, train_x.shape[1], rate))
    validation = (val_x, conditioning_labels(encode_targets(val_items, task), condition),
                  valid_frames(val_items, prepared.padded, val_x.shape[1], rate))

    state = None
    if request.resume and run.state.is_file() and run.last_model.is_file():
        register_custom_layers()
        state = json.loads(run.state.read_text())
        gan = keras.models.load_model(run.last_model)
        run.truncate_history(state["epoch"])
        _log(f"resuming the GAN after epoch {state['epoch'] + 1} of {epochs}")
    else:
        gan = build_gan(crop, train_x.shape[-1], spec, condition, seed=request.seed)
    quality = spec["quality"]
    cnn = _quality_cnn(run, train, validation, condition, quality, crop, request.seed)
    probe = QualityProbe(cnn, train, validation, condition, quality, crop, request.seed)

    def generate(labels, seed):
        return scale * predict_padded(gan.generator, [gan.noise(len(labels), seed), np.asarray(labels)])

    config = base_config(request, prepared) | {
        "family": "gan", "protocol": None, "condition": condition,
        "crop": {"frames": crop, "mels": int(train_x.shape[-1]), "scale": scale,
                 "deviation": f"the GAN sees random {crop}-frame crops (about {crop / rate:.1f} s) of the "
                              f"{train_x.shape[1]}-frame input, standardised, divided by {scale:g} and clipped to [-1, 1]"},
        "training": {"objective": spec["training"]["objective"], "epochs": epochs, "batch_size": batch_size,
                     "generator_optimizer": spec["training"]["generator_optimizer"],
                     "critic_optimizer": spec["training"]["critic_optimizer"], "seed": request.seed,
                     "limit": request.limit, "crops_per_song": copies,
                     "steps_per_epoch": copies * len(train_x) // batch_size},
        "parameters": int(gan.generator.count_params() + gan.critic.count_params()),
        "generator_parameters": int(gan.generator.count_params()), "critic_parameters": int(gan.critic.count_params()),
        "model_config": spec["model"], "quality_config": quality, "preset": request.preset,
        "quality_cnn_parameters": int(cnn.count_params()), "backend": keras.backend.backend(),
    }
    run.write_config(config)
    _log(f"GAN on {len(train_x)} training songs ({config['generator_parameters']:,} + {config['critic_parameters']:,} "
         f"parameters, {crop}-frame crops, {config['training']['steps_per_epoch']} steps per epoch); "
         f"real validation crops: Frechet {probe.real['frechet_real']:.2f}, fidelity {probe.real['fidelity_real']:.3f}")

    callback = GanEpochEnd(run, probe, generate, epochs, int(quality["grid_examples"]), state,
                           f"GAN on {prepared.dataset.name} ({condition})")
    batches = CropBatches(train_x, train[1], train[2], crop, batch_size, seed=request.seed, scale=scale,
                          drop_remainder=True, copies=copies)
    started = time.time()
    initial = callback.state["epoch"] + 1
    if initial < epochs:
        with stop_requests():       # one Ctrl-C / SIGTERM: stop after this batch, keeping the last completed epoch
            gan.fit(batches, epochs=epochs, initial_epoch=initial, callbacks=[callback, StopOnRequest()], verbose=0)
            raise_if_requested()
    return _finish(run, gan, probe, generate, config, callback.state, started)


def _finish(run: RunDir, gan, probe: QualityProbe, generate, config: dict, state: dict, started: float) -> RunDir:
    """The kept generator (best validation Frechet epoch), the files, the report and the manifest."""
    from mer_keras.evaluation.report import write_gan_report

    if (run / BEST_GENERATOR).is_file():
        gan.generator.load_weights(run / BEST_GENERATOR)
    write_with(run / GENERATOR, gan.generator.save)
    write_with(run / CRITIC, gan.critic.save)
    history = run.read_history()
    best = state["best_epoch"]
    figures = probe.measure(generate)
    quality = {"selected_epoch": best + 1, "selected_by": "lowest Frechet distance to the validation songs' crops",
               "embedding": gan_quality.FRECHET_LABEL, "figures": figures,
               "memorisation": {k: figures[k] for k in ("near_copies", "nearest_median", "nearest_median_real")},
               "per_epoch": {k: v for k, v in history.items()}}
    write_json(run / QUALITY, quality)
    gan_quality.quality_curves(history, run / "quality_curves.png", f"GAN quality per epoch ({config['dataset_name']})")
    seconds = history.get("seconds", [])
    config.update(status="finished", selected_epoch=best + 1, epochs_run=state["epoch"] + 1,
                  train_seconds=round(sum(seconds), 1), seconds_per_epoch=round(float(np.mean(seconds)), 1) if seconds else None,
                  wall_seconds_this_session=round(time.time() - started, 1), peak_rss_mib=peak_rss_mib(),
                  quality=figures)
    run.write_config(config)
    write_gan_report(config, quality, run.path)
    grids = sorted(path.name for path in run.path.glob("grid-epoch-*.png"))
    names = [name for name in (*RUN_FILES, *GAN_FILES, "report.md", *grids) if (run / name).is_file()]
    run.write_manifest(names)
    _log(f"finished: generator of epoch {best + 1} kept (lowest validation Frechet distance {state['best']:.2f}); "
         f"run saved to {run.path}. Next: python train.py --model vit_gan --target {config['condition']} --gan-run {run.path} "
         f"--synthetic-ratio 1 --protocol tuned --seed {config['training']['seed']}")
    return run


def check_gan_run(gan_run, choice, split: dict, task: str) -> dict:
    """A finished GAN run trained on the same dataset, target, features and training songs as this run;
    its config. One clear line otherwise (another task, another split, an unfinished run)."""
    from pathlib import Path

    gan = RunDir(Path(gan_run))
    if not gan.config.is_file():
        raise RunError(f"--gan-run {gan.path}: not a run directory (no config.json); pass the --out folder of "
                       "train.py --model gan")
    config = gan.read_config()
    if config.get("family") != "gan":
        raise RunError(f"--gan-run {gan.path} is a {config.get('model')} run, not a GAN run (train.py --model gan)")
    if config.get("status") != "finished":
        raise RunError(f"--gan-run {gan.path} did not finish training; continue it with train.py --resume --out {gan.path}")
    theirs, ours = config["data"], choice.to_dict()
    for key in ("dataset", "target", "features"):
        if theirs.get(key) != ours.get(key):
            raise RunError(f"--gan-run {gan.path} was trained for {key} {theirs.get(key)!r}, this run is {ours.get(key)!r}: "
                           f"train a GAN with the same --dataset/--target/--features")
    gan_split = gan.read_split()
    if sorted(gan_split["train"]) != sorted(split["train"]) or sorted(gan_split["test"]) != sorted(split["test"]):
        raise RunError(f"--gan-run {gan.path} was trained on another split (seed {gan_split.get('seed')}; this run: "
                       f"seed {split.get('seed')}): its GAN saw songs this run holds out; train the GAN with the same "
                       "--seed (and --limit / folds)")
    if config.get("condition") != task:
        raise RunError(f"--gan-run {gan.path} is conditioned on {config.get('condition')!r}, this run's task is {task!r}")
    gan.verify(required=("config.json", GENERATOR, "normalization.npz"))
    return config
