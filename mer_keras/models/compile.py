"""One compile step for every Keras model, from the ``training`` section of its spec."""

from __future__ import annotations

from mer_keras.errors import SpecError

OPTIMIZERS = ("adam", "adamw")


def make_optimizer(training: dict):
    """The spec's optimizer at its learning rate (``adam``; ``adamw`` with ``weight_decay``); with
    ``clipnorm`` when the spec sets it. ``learning_rate`` may be a number or a Keras schedule."""
    import keras

    name = str(training["optimizer"]).lower()
    options = {"learning_rate": training["learning_rate"]}
    if training.get("clipnorm"):
        options["clipnorm"] = float(training["clipnorm"])
    if name == "adam":
        return keras.optimizers.Adam(**options)
    if name == "adamw":
        return keras.optimizers.AdamW(weight_decay=float(training.get("weight_decay", 0.0)), **options)
    raise SpecError(f"unsupported optimizer {training['optimizer']!r} in spec; use one of {OPTIMIZERS}")


def compile_from_spec(model, training: dict, metrics: list | None = None) -> None:
    """Compile ``model`` with the spec's optimizer, learning rate and loss (the CRNN: Adam 1e-3, MSE).

    ``metrics``: what ``fit`` logs per epoch besides the loss (none for the regressors, accuracy for
    the classifiers).
    """
    model.compile(optimizer=make_optimizer(training), loss=training["loss"], metrics=list(metrics or []))
