"""Every model the command line knows: ONE row per model, and the lookups built on the rows.

A row says everything the rest of the package needs to know about a model: how it is built, which
family trains it, which task it solves, what it reads by default, where its spec lives, which module
defines its custom layers and whether it has presets. Nothing outside this module tests a model's
name. Adding a model = its builder (``models/<name>.py``), its spec (``specs/<name>.yaml``) and one
row in :data:`MODELS` (README, "Adding a model").
"""

from __future__ import annotations

import copy
import importlib
import inspect
from dataclasses import dataclass

from mer_keras.errors import SpecError
from mer_keras.specs import load_spec

MUSIC_TASKS = ("va", "quadrant")
SPEECH_TASKS = ("emotion",)


@dataclass(frozen=True)
class ModelRow:
    """One model.

    name : the ``--model`` value.
    family : ``"keras"`` (the shared fit loop), ``"sklearn"`` (grid-searched Pipelines) or ``"gan"`` (a generator
        and critic trained adversarially; no test predictions).
    tasks : the tasks (``va``, ``quadrant``, ``emotion``) it applies to.
    builder : ``"module:function"``; a Keras builder takes ``(frames, features, spec, **options)`` and
        returns a compiled ``keras.Model`` whose input is ``(batch, frames, features)``.
    default_features : what it reads without ``--features``.
    spec : ``specs/<spec>.yaml`` (Keras) or the entry of ``specs/baselines.yaml`` (sklearn).
    custom_layers : modules whose registered layers its saved models refer to.
    presets : whether ``--preset`` applies (named sizes in its spec).
    embeddings : whether ``--embeddings DIR`` (precomputed frame embeddings) replaces its input.
    documented : whether the study's specification inconsistencies (``known_inconsistencies``) are about it.
    role : for side-by-side comparisons of a document's claims: ``"claimed_smaller"`` / ``"compared_with"``.
    trainer : ``"module:function(request, prepared)"`` that trains it instead of its family's loop (the GAN; the
        models on crops with generated ones, vit_gan and crnn_gan).
    """

    name: str
    family: str
    tasks: tuple[str, ...]
    builder: str
    default_features: str
    spec: str
    custom_layers: tuple[str, ...] = ()
    presets: bool = False
    embeddings: bool = False
    documented: bool = False
    role: str | None = None
    trainer: str | None = None


MODELS: dict[str, ModelRow] = {row.name: row for row in (
    ModelRow("crnn", "keras", MUSIC_TASKS, "mer_keras.models.crnn:build_crnn", "mel", "crnn",
             custom_layers=("mer_keras.models.projected_lstm", "mer_keras.models.block_max_pooling"), documented=True),
    ModelRow("vit", "keras", MUSIC_TASKS, "mer_keras.models.vit:build_vit", "mel", "vit",
             custom_layers=("mer_keras.models.spec_augment",), presets=True),
    ModelRow("ast", "keras", MUSIC_TASKS, "mer_keras.models.ast:build_ast", "mel", "ast",
             custom_layers=("mer_keras.models.spec_augment", "mer_keras.models.prepend_tokens"), presets=True),
    ModelRow("gan", "gan", MUSIC_TASKS, "mer_keras.models.cgan:build_gan", "mel", "gan",
             custom_layers=("mer_keras.models.cgan",), presets=True, trainer="mer_keras.training.gan:train_gan"),
    ModelRow("vit_gan", "keras", MUSIC_TASKS, "mer_keras.models.vit_gan:build_vit_gan", "mel", "vit_gan",
             custom_layers=("mer_keras.models.spec_augment", "mer_keras.models.vit_gan"), presets=True,
             trainer="mer_keras.training.synthetic:train_on_crops"),
    ModelRow("crnn_gan", "keras", MUSIC_TASKS, "mer_keras.models.vit_gan:build_crop_model", "mel", "crnn_gan",
             custom_layers=("mer_keras.models.projected_lstm", "mer_keras.models.block_max_pooling",
                            "mer_keras.models.vit_gan"),
             trainer="mer_keras.training.synthetic:train_on_crops"),
    ModelRow("musicnn", "keras", MUSIC_TASKS, "mer_keras.models.musicnn_regressor:build_musicnn_regressor",
             "musicnn_mel", "musicnn", custom_layers=("mer_keras.models.musicnn_regressor",
                                                      "mer_keras.models.width_split_conv2d",
                                                      "mer_keras.models.multi_length_conv2d")),
    ModelRow("ridge", "sklearn", MUSIC_TASKS, "mer_keras.models.baselines:build_baseline", "handcrafted", "ridge"),
    ModelRow("svr", "sklearn", MUSIC_TASKS, "mer_keras.models.baselines:build_baseline", "handcrafted", "svr"),
    ModelRow("xgboost", "sklearn", MUSIC_TASKS, "mer_keras.models.baselines:build_baseline", "handcrafted", "xgboost"),
    ModelRow("svc", "sklearn", SPEECH_TASKS, "mer_keras.models.baselines:build_baseline", "egemaps", "svc"),
    ModelRow("logreg", "sklearn", SPEECH_TASKS, "mer_keras.models.baselines:build_baseline", "egemaps", "logreg"),
    ModelRow("cnn_lstm", "keras", SPEECH_TASKS, "mer_keras.models.cnn_lstm:build_cnn_lstm", "mel", "cnn_lstm",
             custom_layers=("mer_keras.models.utterance_norm",), role="claimed_smaller"),
    ModelRow("attn_crnn", "keras", SPEECH_TASKS, "mer_keras.models.attn_crnn:build_attn_crnn", "waveform", "attn_crnn",
             custom_layers=("mer_keras.models.attention_pooling", "mer_keras.models.utterance_norm"), embeddings=True,
             role="compared_with"),
)}
# Named in the documents, not built yet (the command line says so instead of "unknown").
PLANNED: tuple[str, ...] = ()

# Backwards-compatible views of the rows.
KERAS_MODELS = tuple(name for name, row in MODELS.items() if row.family == "keras")
SKLEARN_MODELS = tuple(name for name, row in MODELS.items() if row.family == "sklearn")
SPEECH_MODELS = tuple(name for name, row in MODELS.items() if row.tasks == SPEECH_TASKS)


def get_row(name: str) -> ModelRow:
    """The registry row of ``name``; a clear error for unknown or planned names."""
    if name in MODELS:
        return MODELS[name]
    planned = " (planned, not built yet)" if name in PLANNED else ""
    raise SpecError(f"unknown model {name!r}{planned}; available: {sorted(MODELS)}")


def model_family(name: str) -> str:
    """``"keras"`` (trained by the shared fit loop) or ``"sklearn"`` (grid-searched Pipelines)."""
    return get_row(name).family


def feature_family(name: str) -> str:
    """The family whose features ``name`` reads: ``"keras"`` for the models trained outside the shared loops (the
    GAN and vit_gan read the Keras models' log-mel), else its own family. train.py and ``python -m
    mer_keras.features extract --model`` both use it, so they agree on the cache keys."""
    row = get_row(name)
    return "keras" if row.trainer else row.family


def default_features(name: str, embeddings: str | None = None) -> str:
    """The features a model reads without ``--features``: its row's default, or ``embeddings`` when it
    takes precomputed embeddings and ``--embeddings`` is given."""
    row = get_row(name)
    return "embeddings" if (embeddings and row.embeddings) else row.default_features


def check_task(name: str, task: str, dataset: str) -> None:
    """A model applied to a dataset whose task it does not solve is one clear error."""
    row = get_row(name)
    if task not in row.tasks:
        fits = sorted(other for other, r in MODELS.items() if task in r.tasks)
        raise SpecError(f"model {name} does not apply to {dataset} (task {task}); "
                        f"models for that task: {' / '.join(fits)}; {name} takes task(s) {' / '.join(row.tasks)}")


def register_custom_layers() -> None:
    """Import every module whose layers saved models refer to (``keras.saving`` registration)."""
    from mer_keras.runtime import keras_without_tensorflow

    keras_without_tensorflow()      # loading a model serialises layer configs: no TensorFlow import on JAX
    for row in MODELS.values():
        for module in row.custom_layers:
            importlib.import_module(module)


def model_spec(name: str) -> dict:
    """The model's spec: ``specs/<spec>.yaml`` for Keras models, its entry in ``specs/baselines.yaml`` otherwise."""
    row = get_row(name)
    if row.family == "sklearn":
        baselines = load_spec("baselines")
        return {"name": name, **baselines["models"][row.spec], "cv": baselines["cv"]}
    return load_spec(row.spec)


def resolved_spec(name: str, features: str, preset: str | None = None) -> dict:
    """The model's spec with its ``variants[features]["model"]`` overrides (e.g. the AST's time pooling
    off for 90-frame openSMILE maps) and then the named ``preset`` applied."""
    row = get_row(name)
    spec = copy.deepcopy(model_spec(name))
    variant = spec.get("variants", {}).get(features, {})
    if "model" in variant:
        spec["model"].update(variant["model"])
    if preset:
        if not row.presets or not spec.get("presets"):
            with_presets = sorted(n for n, r in MODELS.items() if r.presets)
            raise SpecError(f"model {name!r} has no presets (--preset applies to {', '.join(with_presets)})")
        from mer_keras.models.transformer_common import with_preset

        spec = with_preset(spec, preset)
    return spec


def _builder(row: ModelRow):
    module_name, function_name = row.builder.split(":")
    return getattr(importlib.import_module(module_name), function_name)


def model_builder(name: str):
    """The builder function of Keras model ``name`` (its row's ``builder``): the models on crops build their
    backbone (``crop.backbone`` of their spec) with it."""
    row = get_row(name)
    if row.family != "keras":
        raise SpecError(f"no Keras builder for {name!r} (a {row.family} model)")
    return _builder(row)


def build_model(name: str, frames: int, features: int, spec: dict | None = None, **options):
    """Build and compile Keras model ``name`` for inputs of shape (frames, features).

    ``options`` go to the builder as keyword arguments (e.g. ``weights=PATH`` for the transformers).
    """
    row = get_row(name)
    if row.family != "keras":
        raise SpecError(f"no Keras builder for {name!r} (a {row.family} model)")
    spec = spec or model_spec(name)
    from mer_keras.runtime import keras_without_tensorflow

    keras_without_tensorflow()      # building serialises layer configs: no TensorFlow import on JAX
    builder = _builder(row)
    accepted = inspect.signature(builder).parameters
    unknown = [key for key in options if key not in accepted]
    if unknown:
        raise SpecError(f"--{unknown[0].replace('_', '-')} does not apply to model {name!r}")
    return builder(frames, features, spec, **options)


def models_with_role(role: str) -> list[str]:
    return [name for name, row in MODELS.items() if row.role == role]


def models_on_crops() -> list[str]:
    """The models trained on crops beside generated ones (their row's trainer is
    ``mer_keras.training.synthetic:train_on_crops``): the ones ``--synthetic-ratio``, ``--synthetic-only``,
    ``--gan-run`` and ``--protocol leaky`` apply to."""
    return [name for name, row in MODELS.items() if row.trainer == "mer_keras.training.synthetic:train_on_crops"]


def trainer_for(name: str):
    """The function ``(request, prepared) -> RunDir`` that trains ``name`` instead of its family's loop (its row's
    ``trainer``), or None."""
    row = get_row(name)
    if not row.trainer:
        return None
    module_name, function_name = row.trainer.split(":")
    return getattr(importlib.import_module(module_name), function_name)
