"""One fit loop for every Keras model: early stopping, resumable checkpoints, history.csv."""

from __future__ import annotations

import json
import math
import sys
import time

import numpy as np

from mer_keras.errors import SpecError
from mer_keras.interrupts import raise_if_requested, stop_requests, uninterrupted
from mer_keras.runs import RunDir, write_with


def _callback_base():
    import keras

    return keras.callbacks.Callback


class ResumableEarlyStopping(_callback_base()):
    """Early stopping whose whole state survives an interruption.

    After each epoch: append the epoch's logs to ``history.csv``; save the best weights when
    ``monitor`` improves by more than ``min_delta`` (``mode`` "min" or "max"); keep the weights of the
    ``keep_best`` best epochs for averaging; save the full model with optimizer state (``last.keras``)
    and the stopping state (``state.json``). At the end the best weights are restored.
    """

    def __init__(self, run: RunDir, monitor: str = "val_loss", patience: int = 10, state: dict | None = None,
                 mode: str = "min", min_delta: float = 0.0, keep_best: int = 1):
        super().__init__()
        self.run, self.monitor, self.patience = run, monitor, patience
        self.mode, self.min_delta, self.keep_best = mode, float(min_delta), int(keep_best)
        worst = math.inf if mode == "min" else -math.inf
        self.state = state or {"epoch": -1, "best": worst, "best_epoch": -1, "wait": 0, "stopped": False, "top": []}
        self.state.setdefault("top", [])

    def _improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.state["best"] - self.min_delta
        return value > self.state["best"] + self.min_delta

    def _keep_top(self, epoch: int, value: float) -> None:
        """The weights of the ``keep_best`` best epochs, as ``top-<epoch>.weights.h5``."""
        if self.keep_best <= 1 or math.isnan(value):
            return
        top = self.state["top"] + [[value, epoch]]
        top.sort(key=lambda pair: pair[0], reverse=self.mode == "max")
        kept, dropped = top[:self.keep_best], top[self.keep_best:]
        if [value, epoch] in kept:
            write_with(self.run / f"top-{epoch}.weights.h5", self.model.save_weights)
        for _, old in dropped:
            (self.run / f"top-{old}.weights.h5").unlink(missing_ok=True)
        self.state["top"] = kept

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if self.monitor not in logs:
            from mer_keras.errors import RunError

            raise RunError(f"early stopping monitors {self.monitor!r}, which the epoch's logs lack ({sorted(logs)}); "
                           "fix `monitor` in specs/protocols.yaml")
        value = float(logs[self.monitor])
        if math.isnan(value):
            print(f"warning: epoch {epoch + 1}: {self.monitor} is NaN; it does not count as an improvement "
                  "(the best earlier weights are kept)", file=sys.stderr)
        with uninterrupted():       # the epoch's checkpoint is written whole; state.json last, as the commit
            self._checkpoint(epoch, value, logs)

    def _checkpoint(self, epoch: int, value: float, logs: dict) -> None:
        """Best and top weights, the history row, ``last.keras`` and then ``state.json`` (each file atomic)."""
        if self._improved(value):
            self.state.update(best=value, best_epoch=epoch, wait=0)
            write_with(self.run.best_weights, self.model.save_weights)
        else:
            self.state["wait"] += 1
        self._keep_top(epoch, value)
        names = sorted(logs)
        self.run.append_history(["epoch", *names, "seconds"],
                                [epoch, *[f"{float(logs[n]):.6g}" for n in names], f"{time.time() - self._start:.2f}"])
        self.state["epoch"] = epoch
        if self.state["wait"] >= self.patience:
            self.state["stopped"] = True
            self.model.stop_training = True
        write_with(self.run.last_model, self.model.save)
        self.state["seed_states"] = seed_states(self.model)     # not in last.keras: Keras saves no random state
        self.run.write_json(self.run.state, self.state)
        print(f"epoch {epoch + 1}: {self.monitor} {value:.4f} (best {self.state['best']:.4f} at epoch "
              f"{self.state['best_epoch'] + 1}, patience {self.state['wait']}/{self.patience})", file=sys.stderr)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.time()

    def on_train_end(self, logs=None):
        if self.run.best_weights.is_file():
            self.model.load_weights(self.run.best_weights)


def _seed_variables(model) -> list:
    return [v for v in model.variables if v.name == "seed_generator_state"]


def seed_states(model) -> list[list[int]]:
    """The state of every ``keras.random.SeedGenerator`` of ``model`` (dropout, masks), in the model's variable
    order: ``model.save`` leaves them out, so a resumed run would draw other dropout masks than an uninterrupted
    one without them (:func:`restore_seed_states`)."""
    return [[int(x) for x in np.asarray(v).reshape(-1)] for v in _seed_variables(model)]


def restore_seed_states(model, states: list | None) -> bool:
    """Put the seed states :func:`seed_states` recorded back into ``model`` (a model loaded from ``last.keras``);
    False, with a warning, when they do not fit its seed generators (the run then goes on with fresh ones)."""
    variables = _seed_variables(model)
    if states is None:
        return False
    if len(states) != len(variables) or any(len(s) != int(np.prod(v.shape)) for s, v in zip(states, variables)):
        print(f"warning: the checkpoint holds {len(states)} random-number states, the model {len(variables)}; the "
              "resumed epochs draw fresh dropout and masks", file=sys.stderr)
        return False
    for value, variable in zip(states, variables):
        variable.assign(np.asarray(value, dtype=variable.dtype).reshape(variable.shape))
    return True


class StopOnRequest(_callback_base()):
    """Stop the fit loop at the next batch after a SIGINT/SIGTERM (:func:`mer_keras.interrupts.stop_requests`).

    Keras's ``stop_training`` would only end the epoch early, then validate it and checkpoint it as if it were
    complete; this raises :class:`mer_keras.interrupts.Interrupted` instead, so the run keeps its last
    completed epoch's checkpoint untouched. Checked after each training and validation batch and before
    each epoch (a signal during a checkpoint write stops right after it).
    """

    def on_train_batch_end(self, batch, logs=None):
        raise_if_requested()

    def on_test_batch_end(self, batch, logs=None):
        raise_if_requested()

    def on_epoch_begin(self, epoch, logs=None):
        raise_if_requested()


class EpochOfBatches(_callback_base()):
    """Tell a batch source which epoch starts (``batches.set_epoch(epoch)``, before its first batch is drawn), so
    that its epoch-seeded batches (:class:`mer_keras.training.crops.CropBatches` with ``epoch_seeded``) are
    the same whether the run went on or was resumed at that epoch."""

    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch, logs=None):
        self.batches.set_epoch(epoch)


def average_top_weights(model, run: RunDir, state: dict, score, mode: str) -> dict | None:
    """Average the weights of the best epochs kept in ``state["top"]``; keep the average only when
    ``score(model)`` on validation is at least as good as the best single epoch's. Returns the record."""
    files = [run / f"top-{epoch}.weights.h5" for _, epoch in state.get("top", [])]
    files = [path for path in files if path.is_file()]
    if len(files) < 2:
        return None
    best_weights = [np.array(w) for w in model.get_weights()]
    best_score = score(model)
    stacks = []
    for path in files:
        model.load_weights(path)
        stacks.append([np.array(w) for w in model.get_weights()])
    model.set_weights([np.mean([weights[k] for weights in stacks], axis=0) for k in range(len(best_weights))])
    averaged = score(model)
    better = averaged <= best_score if mode == "min" else averaged >= best_score
    if not better:
        model.set_weights(best_weights)
    for path in files:
        path.unlink(missing_ok=True)
    return {"epochs": [epoch + 1 for _, epoch in state["top"]], "best_epoch_score": float(best_score),
            "averaged_score": float(averaged), "kept": bool(better)}


def load_resume_state(run: RunDir):
    """Return (model, state) of an interrupted run, or (None, None) if it has no checkpoint."""
    import keras

    if not (run.state.is_file() and run.last_model.is_file()):
        return None, None
    state = json.loads(run.state.read_text())
    from mer_keras.models.registry import register_custom_layers

    register_custom_layers()
    model = keras.models.load_model(run.last_model)
    restore_seed_states(model, state.pop("seed_states", None))
    run.truncate_history(state["epoch"])
    return model, state


def fit_model(model, train: tuple[np.ndarray, np.ndarray], validation: tuple[np.ndarray, np.ndarray],
              run: RunDir, epochs: int, batch_size: int, patience: int, monitor: str = "val_loss",
              state: dict | None = None, verbose: int = 2, mode: str = "min", min_delta: float = 0.0,
              augmentation: dict | None = None, average_best: int = 1, seed: int = 0,
              class_weight: str | None = None, batches=None) -> dict:
    """Fit ``model`` with resumable early stopping; returns the final stopping state.

    ``state`` (from :func:`load_resume_state`) continues from the epoch after the last completed one.
    ``monitor`` other than ``val_loss`` (e.g. ``val_ccc``) is computed on the validation items after each
    epoch. ``augmentation`` (training items only) feeds the training part through
    :class:`mer_keras.training.augment.AugmentedBatches`; validation is never augmented.
    ``average_best`` > 1 averages the weights of that many best epochs when validation says it helps
    (recorded in ``state["averaged"]``). ``class_weight="balanced"`` (classification) weighs each training
    item by the inverse of its class's share, so every class counts alike in the loss (validation unweighted).
    ``batches``: a ready source of training batches (a ``keras.utils.PyDataset``, e.g. random crops with
    generated crops beside them: :class:`mer_keras.training.crops.CropBatches`), used instead of ``train``, in
    its own order (Keras does not shuffle its batches); one with ``set_epoch`` is told each epoch's number first
    (:class:`EpochOfBatches`).
    """
    from mer_keras.training.validation_score import ValidationScore, validation_score

    callback = ResumableEarlyStopping(run, monitor=monitor, patience=patience, state=state, mode=mode,
                                      min_delta=min_delta, keep_best=average_best)
    callbacks = [callback, StopOnRequest()]
    if monitor != "val_loss":
        callbacks.insert(0, ValidationScore(monitor, validation, batch_size))
    if batches is not None and hasattr(batches, "set_epoch"):
        callbacks.insert(0, EpochOfBatches(batches))
    initial_epoch = callback.state["epoch"] + 1
    if callback.state.get("stopped") or initial_epoch >= epochs:
        print(f"run already finished at epoch {initial_epoch}; restoring its best weights", file=sys.stderr)
        callback.set_model(model)
        callback.on_train_end()
        return callback.state
    if initial_epoch:
        print(f"resuming at epoch {initial_epoch + 1} of {epochs}", file=sys.stderr)
    weights = None
    if batches is not None and class_weight:
        raise SpecError("class_weight applies to training arrays; a ready batch source (crops) carries no class weights")
    if class_weight == "balanced":
        from mer_keras.training.augment import balanced_class_weights

        if np.asarray(train[1]).ndim != 1:
            raise SpecError("class_weight: balanced applies to classification (class-index targets), not regression")
        weights = balanced_class_weights(train[1])
    elif class_weight:
        raise SpecError(f"unknown class_weight {class_weight!r} in specs/protocols.yaml; use balanced or leave it out")
    with stop_requests():       # one Ctrl-C / SIGTERM: stop after this batch, keeping the last completed epoch
        if batches is not None:     # shuffle=False: Keras would reorder the batches with Python's global random
            model.fit(batches, validation_data=validation, epochs=epochs, initial_epoch=initial_epoch,
                      callbacks=callbacks, verbose=verbose, shuffle=False)
        elif augmentation and any(augmentation.values()):
            from mer_keras.training.augment import AugmentedBatches

            batches = AugmentedBatches(train[0], train[1], batch_size, augmentation, seed=seed, sample_weight=weights)
            model.fit(batches, validation_data=validation, epochs=epochs, initial_epoch=initial_epoch,
                      callbacks=callbacks, verbose=verbose)
        else:
            model.fit(train[0], train[1], validation_data=validation, epochs=epochs, initial_epoch=initial_epoch,
                      batch_size=batch_size, shuffle=True, callbacks=callbacks, verbose=verbose, sample_weight=weights)
        raise_if_requested()    # a signal during the last epoch's checkpoint: --resume finishes the run
    if average_best > 1:
        def score(candidate):
            if monitor == "val_loss":
                return float(np.asarray(candidate.evaluate(validation[0], validation[1], batch_size=batch_size,
                                                           verbose=0, return_dict=True)["loss"]))
            return validation_score(monitor, validation[1], candidate.predict(validation[0], batch_size=batch_size, verbose=0))

        record = average_top_weights(model, run, callback.state, score, mode)
        if record:
            callback.state["averaged"] = record
            with uninterrupted():
                write_with(run.best_weights, model.save_weights)
                run.write_json(run.state, callback.state)
            print(f"averaged the weights of epochs {record['epochs']}: validation {monitor} "
                  f"{record['averaged_score']:.4f} against {record['best_epoch_score']:.4f} for the best epoch; "
                  f"{'kept' if record['kept'] else 'not kept'}", file=sys.stderr)
    return callback.state
