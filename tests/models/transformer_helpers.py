"""Shared by the ViT and AST tests: tiny specs and an eager inference call."""

import copy

import numpy as np

from mer_keras.specs import load_spec

FRAMES, FEATURES = 64, 16


def infer(model, x):
    """Eager inference call: no compiled predict function, so tiny tests stay fast."""
    return np.asarray(model(x, training=False))


def tiny_spec(name: str, tiny: dict, **model) -> dict:
    """``specs/<name>.yaml`` with a 64 x 16 input and the ``tiny`` sizes (then ``model``) applied."""
    spec = copy.deepcopy(load_spec(name))
    spec["input"].update({"frames": FRAMES, "features": FEATURES})
    spec["model"].update(copy.deepcopy(tiny), **model)
    return spec
