"""Read the YAML files in ``specs/``: the documents' numbers as data."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import copy

import yaml

from mer_keras.errors import MerError, SpecError

#: How a Keras model is trained (``specs/protocols.yaml``): the documents' setup or the fairest training.
PROTOCOLS = ("documented", "tuned")

SPECS_DIR = Path(os.environ.get("MER_SPECS", Path(__file__).resolve().parents[1] / "specs"))


@functools.lru_cache(maxsize=None)
def load_spec(name: str) -> dict:
    """Return ``specs/<name>.yaml`` as a dict (cached; treat it as read-only)."""
    path = SPECS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise MerError(f"spec file {path} not found; the repository's specs/ folder is incomplete")
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def claims_for(model: str) -> list[dict]:
    """The claims ``specs/estimates.yaml`` lists for one model (may be empty)."""
    return list(load_spec("estimates")["claims"].get(model, []))


#: Each choice of the tuned protocol, and what turning it off (``--ablate NAME``) sets instead: the
#: documented setting where there is one. Used to measure each choice on validation songs.
ABLATIONS = {
    "mixup": "no mixup of training pairs",
    "masks": "no SpecAugment-style time and frequency masks",
    "time_shift": "no circular time shift",
    "augmentation": "no augmentation at all",
    "schedule": "constant learning rate (no warm-up, no cosine decay)",
    "weight_decay": "Adam without decoupled weight decay",
    "clipnorm": "no gradient clipping",
    "selection": "epoch chosen by validation loss (as documented) instead of the validation figure",
    "averaging": "the single best epoch's weights (no averaging of the best epochs)",
    "class_weight": "unweighted loss (no balanced class weights; classification only)",
    "utterance_norm": "global per-feature standardisation only (no per-utterance standardisation)",
    "batchnorm_momentum": "Keras's default batch-norm momentum (0.99) for the moving statistics",
}


def protocol_settings(protocol: str, model: str) -> dict:
    """The settings ``specs/protocols.yaml`` gives ``model`` under ``protocol`` (empty for documented)."""
    if protocol not in PROTOCOLS:
        raise SpecError(f"unknown protocol {protocol!r}; choose from {PROTOCOLS}")
    spec = load_spec("protocols")
    if protocol == "documented":
        return dict(spec.get("documented") or {})
    tuned = spec["tuned"]
    settings = copy.deepcopy(tuned.get("default", {}))
    override = copy.deepcopy((tuned.get("models") or {}).get(model) or {})
    if "augmentation" in override:
        settings["augmentation"] = override.pop("augmentation")
    settings.update(override)
    return settings
