"""The documented and tuned protocols: settings, augmentation of training items only, selection by a
validation figure, checkpoint averaging, and that the tuned protocol never sees test items."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mer_keras.cli import evaluate_main, train_main
from mer_keras.errors import SpecError
from mer_keras.specs import load_spec
from mer_keras.training.augment import augment_inputs, mixup
from mer_keras.training.protocols import compile_settings, training_plan
from mer_keras.training.validation_score import validation_score


def test_documented_plan_is_the_spec_exactly():
    training = load_spec("crnn")["training"]
    plan = training_plan("documented", "crnn", "va", training)
    assert (plan["optimizer"], plan["learning_rate"], plan["loss"], plan["batch_size"], plan["epochs"], plan["patience"]) == (
        "adam", 0.001, "mse", 32, 50, 10)
    assert plan["monitor"] == "val_loss" and plan["mode"] == "min" and plan["augmentation"] == {}
    assert plan["average_best"] == 1 and plan["min_delta"] == 0.0
    assert "schedule" not in compile_settings(plan, steps_per_epoch=17)


def test_tuned_plan_reads_specs_and_the_command_line_wins():
    training = load_spec("crnn")["training"]
    tuned = training_plan("tuned", "crnn", "va", training)
    assert tuned["monitor"] == "val_ccc" and tuned["mode"] == "max" and tuned["optimizer"] == "adamw"
    assert training_plan("tuned", "crnn", "quadrant", training)["monitor"] == "val_quadrant_accuracy"
    assert training_plan("tuned", "crnn", "va", training, epochs=3, patience=2)["epochs"] == 3
    schedule = compile_settings(tuned, steps_per_epoch=10)["schedule"]
    assert schedule["warmup_steps"] == 10 * tuned["warmup_epochs"] and schedule["decay_steps"] == 10 * tuned["epochs"]
    with pytest.raises(SpecError, match="unknown protocol"):
        training_plan("leaky", "crnn", "va", training)


def test_learning_rate_schedule_warms_up_then_decays():
    from mer_keras.models.compile import learning_rate

    schedule = learning_rate({"learning_rate": 0.001, "schedule": {"decay": "cosine", "warmup_steps": 10, "decay_steps": 110}})
    rates = [float(schedule(step)) for step in (0, 5, 10, 60, 110)]
    assert rates[0] == pytest.approx(0.0) and rates[1] == pytest.approx(0.0005) and rates[2] == pytest.approx(0.001)
    assert rates[2] > rates[3] > rates[4] and rates[4] == pytest.approx(0.0, abs=1e-9)


def test_augmentation_keeps_shapes_masks_with_zero_and_mixes_targets():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 50, 8)).astype("float32") + 5.0          # no zeros before masking
    out = augment_inputs(x.copy(), {"time_masks": 1, "time_width": 10, "freq_masks": 1, "freq_width": 3}, rng)
    assert out.shape == x.shape and np.any(out == 0.0)
    shifted = augment_inputs(x.copy(), {"time_shift": True}, np.random.default_rng(1))
    assert sorted(shifted[0].sum(axis=1).round(3)) == sorted(x[0].sum(axis=1).round(3))   # a permutation of frames
    y = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]], "float32")
    mixed_x, mixed_y = mixup(x, y, 0.4, rng)
    assert mixed_x.shape == x.shape and np.all(np.abs(mixed_y) <= 1.0 + 1e-6)
    assert not np.allclose(mixed_y, y)


def test_validation_scores():
    targets = np.array([[0.5, -0.5], [-0.5, 0.5], [0.2, 0.1]])
    assert validation_score("val_ccc", targets, targets) == pytest.approx(1.0)
    assert validation_score("val_ccc", targets, np.zeros_like(targets)) == pytest.approx(0.0)
    assert validation_score("val_quadrant_accuracy", targets, -targets) == 0.0
    assert validation_score("val_accuracy", np.array([0, 2]), np.array([[0.9, 0.0, 0.1], [0.1, 0.2, 0.7]])) == 1.0


def test_tuned_run_never_sees_test_items_and_reports_its_protocol(fourq_dir, tmp_path, monkeypatch):
    """Every input the tuned training touches (features extracted, items augmented) comes from the
    training or validation part; the test part is touched by evaluate.py alone."""
    from mer_keras.features import extract as extract_module
    from mer_keras.training import augment

    seen_ids, augmented_sizes = [], []
    real_extract = extract_module.extract_features
    real_init = augment.AugmentedBatches.__init__

    def recording_extract(items, *args, **kwargs):
        seen_ids.extend(item.item_id for item in items)
        return real_extract(items, *args, **kwargs)

    def recording_init(self, features, targets, *args, **kwargs):
        augmented_sizes.append(len(features))
        return real_init(self, features, targets, *args, **kwargs)

    monkeypatch.setattr("mer_keras.training.train.extract_features", recording_extract)
    monkeypatch.setattr(augment.AugmentedBatches, "__init__", recording_init)
    run = tmp_path / "tuned"
    assert train_main(["--model", "crnn", "--protocol", "tuned", "--epochs", "2", "--batch-size", "4", "--workers", "1",
                       "--data", str(fourq_dir), "--out", str(run), "--cache", str(tmp_path / "cache")]) == 0
    split = json.loads((run / "split.json").read_text())
    assert seen_ids and not set(seen_ids) & set(split["test"])
    assert augmented_sizes == [len(split["train"])]          # the training part only, never validation
    config = json.loads((run / "config.json").read_text())
    assert config["protocol"] == "tuned" and config["training"]["monitor"] == "val_ccc"
    assert "val_ccc" in (run / "history.csv").read_text().splitlines()[0]
    assert evaluate_main([str(run), "--resamples", "20", "--cache", str(tmp_path / "cache")]) == 0
    report = (run / "report.md").read_text()
    assert "Protocol **tuned**" in report and "Augmentation of training items only" in report
    assert "collapse" in json.loads((run / "metrics.json").read_text())

    from mer_keras.evaluation import validation

    touched = []
    real_predict = validation.predict_run_items
    monkeypatch.setattr(validation, "predict_run_items",
                        lambda run_dir, config, items, **kw: touched.extend(i.item_id for i in items) or real_predict(run_dir, config, items, **kw))
    assert validation.main([str(run), "--out", str(tmp_path / "selection"), "--cache", str(tmp_path / "cache")]) == 0
    assert sorted(touched) == sorted(split["validation"])
    assert "| tuned epochs=2 | 1 |" in (tmp_path / "selection" / "report.md").read_text()   # --epochs 2 is named


def test_protocol_tuned_is_refused_for_the_classic_models(capsys, tmp_path):
    assert train_main(["--model", "ridge", "--protocol", "tuned", "--out", str(tmp_path / "r")]) == 2
    assert "applies to the Keras models" in capsys.readouterr().err


def test_balanced_class_weights_make_every_class_weigh_the_same():
    from mer_keras.training.augment import AugmentedBatches, balanced_class_weights

    labels = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    weights = balanced_class_weights(labels)
    assert weights.mean() == pytest.approx(1.0)
    assert [weights[labels == k].sum() for k in range(3)] == pytest.approx([8 / 3] * 3)
    batches = AugmentedBatches(np.zeros((8, 5, 2), "float32"), labels, 4, {"time_shift": True}, sample_weight=weights)
    x, y, w = batches[0]
    assert np.allclose(w, weights[batches.order[:4]])
    training = load_spec("cnn_lstm")["training"]
    assert training_plan("tuned", "cnn_lstm", "emotion", training)["class_weight"] == "balanced"
    assert training_plan("tuned", "crnn", "va", load_spec("crnn")["training"])["class_weight"] is None
    assert training_plan("tuned", "cnn_lstm", "emotion", training, ablations=["class_weight"])["class_weight"] is None
