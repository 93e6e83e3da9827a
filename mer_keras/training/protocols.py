"""Training protocols: ``documented`` (the model spec's ``training`` section, exactly) and ``tuned`` (the
fairest training of the same layers, from ``specs/protocols.yaml``)."""

from __future__ import annotations

import copy

from mer_keras.errors import SpecError
from mer_keras.specs import ABLATIONS, PROTOCOLS, protocol_settings  # noqa: F401 (re-exported)

MONITOR_MODES = {"val_loss": "min", "val_ccc": "max", "val_quadrant_accuracy": "max", "val_accuracy": "max"}


def ablate(settings: dict, names: list[str] | tuple[str, ...]) -> dict:
    """``settings`` of the tuned protocol with each choice in ``names`` turned off (see ``ABLATIONS``)."""
    settings = copy.deepcopy(settings)
    augmentation = dict(settings.get("augmentation") or {})
    for name in names:
        if name not in ABLATIONS:
            raise SpecError(f"unknown ablation {name!r}; choose from {sorted(ABLATIONS)}")
        if name == "mixup":
            augmentation["mixup_alpha"] = 0.0
        elif name == "masks":
            augmentation.update(time_masks=0, freq_masks=0)
        elif name == "time_shift":
            augmentation["time_shift"] = False
        elif name == "augmentation":
            augmentation = {}
        elif name == "schedule":
            settings.pop("decay", None)
            settings["warmup_epochs"] = 0
        elif name == "weight_decay":
            settings["optimizer"], settings["weight_decay"] = "adam", None
        elif name == "clipnorm":
            settings["clipnorm"] = None
        elif name == "selection":
            settings["monitor"] = "val_loss"
        elif name == "averaging":
            settings["average_best"] = 1
        elif name == "class_weight":
            settings["class_weight"] = None
        elif name == "utterance_norm":
            settings["utterance_norm"] = False
        elif name == "batchnorm_momentum":
            settings["batchnorm_momentum"] = None
    settings["augmentation"] = augmentation
    return settings


def training_plan(protocol: str, model: str, task: str, spec_training: dict, *, epochs: int | None = None,
                  batch_size: int | None = None, patience: int | None = None,
                  ablations: list[str] | tuple[str, ...] = ()) -> dict:
    """Everything the fit loop needs, as one record written to ``config.json``.

    Command-line ``epochs`` / ``batch_size`` / ``patience`` win over both the spec and the protocol;
    ``ablations`` turn choices of the tuned protocol off (``ABLATIONS``; refused under documented).
    Returns ``{"protocol", "ablations", "class_weight", "optimizer", "learning_rate", "loss", "epochs", "batch_size", "patience",
    "min_delta", "monitor", "mode", "weight_decay", "clipnorm", "warmup_epochs", "decay", "average_best",
    "augmentation", "utterance_norm", "batchnorm_momentum"}``.
    """
    settings = protocol_settings(protocol, model)
    if ablations:
        if protocol == "documented":
            raise SpecError("--ablate turns off choices of the tuned protocol; use it with --protocol tuned")
        settings = ablate(settings, ablations)
    monitor = settings.get("monitor", "val_loss")
    if isinstance(monitor, dict):
        monitor = monitor.get(task, "val_loss")
    if monitor not in MONITOR_MODES:
        raise SpecError(f"unknown monitor {monitor!r} in specs/protocols.yaml; choose from {sorted(MONITOR_MODES)}")
    plan = {
        "protocol": protocol, "ablations": sorted(ablations),
        "optimizer": settings.get("optimizer", spec_training["optimizer"]),
        "learning_rate": float(settings.get("learning_rate", spec_training["learning_rate"])),
        "loss": spec_training["loss"],
        "epochs": int(epochs or settings.get("epochs", spec_training["epochs"])),
        "batch_size": int(batch_size or settings.get("batch_size", spec_training["batch_size"])),
        "patience": int(patience or settings.get("patience", spec_training["early_stopping"]["patience"])),
        "min_delta": float(settings.get("min_delta", 0.0)),
        "monitor": monitor, "mode": MONITOR_MODES[monitor],
        "weight_decay": settings.get("weight_decay"), "clipnorm": settings.get("clipnorm"),
        "warmup_epochs": int(settings.get("warmup_epochs", 0)), "decay": settings.get("decay"),
        "average_best": int(settings.get("average_best", 1)),
        "augmentation": settings.get("augmentation") or {},
        "class_weight": settings.get("class_weight") if task == "emotion" else None,
        "utterance_norm": bool(settings.get("utterance_norm", False)),
        "batchnorm_momentum": settings.get("batchnorm_momentum"),
    }
    return plan


def compile_settings(plan: dict, steps_per_epoch: int) -> dict:
    """The ``training`` dict ``models.compile.compile_from_spec`` takes, with the learning-rate schedule
    of the plan (warm-up and cosine decay in optimizer steps)."""
    settings = {"optimizer": plan["optimizer"], "learning_rate": plan["learning_rate"], "loss": plan["loss"]}
    if plan.get("weight_decay") is not None:
        settings["weight_decay"] = plan["weight_decay"]
    if plan.get("clipnorm"):
        settings["clipnorm"] = plan["clipnorm"]
    if plan.get("decay") == "cosine" or plan.get("warmup_epochs"):
        settings["schedule"] = {"decay": plan.get("decay"), "warmup_steps": plan["warmup_epochs"] * steps_per_epoch,
                                "decay_steps": max(1, plan["epochs"] * steps_per_epoch)}
    return settings
