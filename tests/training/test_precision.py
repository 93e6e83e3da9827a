"""--precision: float32 by default; mixed_bfloat16 opt-in trains, saves, reloads and is recorded."""

import json

import keras
import numpy as np
import pytest

from mer_keras.cli import evaluate_main, train_main
from mer_keras.errors import MerError
from mer_keras.runtime import configure, cpu_has_bf16


@pytest.fixture(autouse=True)
def _restore_policy():
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_unknown_precision_is_a_clear_error():
    with pytest.raises(MerError, match="unknown precision 'float16'"):
        configure(0, "float16")


def test_mixed_bfloat16_run_is_recorded_and_evaluates(fourq_dir, tmp_path):
    run = tmp_path / "run"
    assert train_main(["--model", "crnn", "--epochs", "1", "--batch-size", "4", "--workers", "1", "--data", str(fourq_dir),
                       "--precision", "mixed_bfloat16", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["training"]["precision"] == "mixed_bfloat16"
    assert config["versions"]["dtype_policy"] == "mixed_bfloat16"
    assert config["versions"]["cpu_bf16"] == cpu_has_bf16()
    model = keras.models.load_model(run / "model.keras")
    conv = next(layer for layer in model.layers if "conv1d" in layer.name)
    assert conv.dtype_policy.compute_dtype == "bfloat16" and conv.dtype_policy.variable_dtype == "float32"
    assert all(w.dtype == "float32" for w in model.weights)
    keras.mixed_precision.set_global_policy("float32")
    assert evaluate_main([str(run), "--resamples", "20"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert np.isfinite(metrics["r2"]["mean"])


def test_default_run_is_float32(fourq_dir, tmp_path):
    run = tmp_path / "run"
    assert train_main(["--model", "crnn", "--epochs", "1", "--batch-size", "4", "--workers", "1", "--data", str(fourq_dir),
                       "--limit", "6", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["training"]["precision"] == "float32" and config["versions"]["dtype_policy"] == "float32"
