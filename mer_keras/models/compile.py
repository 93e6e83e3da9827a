"""One compile step for every Keras model, from the ``training`` section of its spec."""

from __future__ import annotations

from mer_keras.errors import SpecError

OPTIMIZERS = ("adam", "adamw")


def make_optimizer(training: dict):
    """The spec's optimizer at its learning rate (``adam``; ``adamw`` with ``weight_decay``); with
    ``clipnorm`` when the spec sets it. ``learning_rate`` may be a number or a Keras schedule."""
    import keras

    name = str(training["optimizer"]).lower()
    options = {"learning_rate": learning_rate(training)}
    if training.get("clipnorm"):
        options["clipnorm"] = float(training["clipnorm"])
    if name == "adam":
        return keras.optimizers.Adam(**options)
    if name == "adamw":
        return keras.optimizers.AdamW(weight_decay=float(training.get("weight_decay", 0.0)), **options)
    raise SpecError(f"unsupported optimizer {training['optimizer']!r} in spec; use one of {OPTIMIZERS}")


def learning_rate(training: dict):
    """A constant rate, or with ``schedule`` ({decay: cosine or None, warmup_steps, decay_steps}) a Keras
    ``CosineDecay`` schedule: linear warm-up from 0 to the rate over ``warmup_steps``, then cosine decay
    to 0 over ``decay_steps`` (or constant after warm-up when ``decay`` is None)."""
    import keras

    rate = float(training["learning_rate"])
    schedule = training.get("schedule")
    if not schedule:
        return rate
    warmup = int(schedule.get("warmup_steps", 0))
    if schedule.get("decay") not in ("cosine", None):
        raise SpecError(f"unsupported learning-rate decay {schedule.get('decay')!r}; use cosine")
    decay_steps = max(1, int(schedule["decay_steps"]) - warmup) if schedule.get("decay") == "cosine" else 10**12
    if warmup:
        return keras.optimizers.schedules.CosineDecay(0.0, decay_steps, alpha=0.0, warmup_target=rate, warmup_steps=warmup)
    return keras.optimizers.schedules.CosineDecay(rate, decay_steps, alpha=0.0)


def compile_from_spec(model, training: dict, metrics: list | None = None) -> None:
    """Compile ``model`` with the spec's optimizer, learning rate and loss (the CRNN: Adam 1e-3, MSE).

    ``metrics``: what ``fit`` logs per epoch besides the loss (none for the regressors, accuracy for
    the classifiers).
    """
    model.compile(optimizer=make_optimizer(training), loss=training["loss"], metrics=list(metrics or []))
