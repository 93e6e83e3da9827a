"""predict.py reports valence as valence and arousal as arousal (issue 26).

Tiny runs are trained through train.py's entry point, then their model is replaced by one that
outputs the constant pair (valence, arousal) = (0.5, -0.5) in the tanh range: on the 1-9 scale
(5 + 4 x) that is valence 7 and arousal 3, and as a quadrant Q4 (positive valence, low arousal).
Swapping the two anywhere between the model's outputs and the printed line shows as 3 and 7 (or Q2).

The classic-baseline runs (ridge on handcrafted features) are the cheap way to a run directory;
one CRNN run covers the Keras model path (model.keras plus normalization.npz).
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from mer_keras.cli import predict_main, train_main
from mer_keras.runs import RunDir
from tests.conftest import make_4q, write_audio

OUTPUT = (0.5, -0.5)                       # (valence, arousal) as the model emits them
EXPECTED = {"valence": 7.0, "arousal": 3.0}  # on the 1-9 scale


def _constant_sklearn(run: Path) -> None:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from mer_keras.models.baseline_io import save_baseline

    n_features = int(np.prod(json.loads((run / "config.json").read_text())["input_shape"]))
    constant = Pipeline([("scale", StandardScaler()), ("model", Ridge())])
    constant.fit(np.zeros((2, n_features)), np.array([OUTPUT, OUTPUT]))    # coef 0, intercept OUTPUT
    save_baseline(constant, run)
    RunDir(run).write_manifest()       # the run's files changed on purpose: record them again


def _constant_keras(run: Path) -> None:
    import keras

    frames, n_features = json.loads((run / "config.json").read_text())["input_shape"]
    inputs = keras.Input((frames, n_features))
    pooled = keras.layers.GlobalAveragePooling1D()(inputs)
    outputs = keras.layers.Dense(2, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(OUTPUT))(pooled)
    keras.Model(inputs, outputs).save(run / "model.keras")
    RunDir(run).write_manifest()       # the run's files changed on purpose: record them again


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{"va": ridge 4Q-VA run, "quadrant": ridge 4Q quadrant run, "keras": CRNN 4Q-VA run}, constant models."""
    root = tmp_path_factory.mktemp("predict")
    data, cache = make_4q(root / "data"), root / "cache"
    common = ["--dataset", "4q", "--data", str(data), "--workers", "1", "--cache", str(cache)]
    made = {}
    for name, args in {"va": ["--model", "ridge"], "quadrant": ["--model", "ridge", "--target", "quadrant"],
                       "keras": ["--model", "crnn", "--epochs", "1", "--batch-size", "4"]}.items():
        made[name] = root / name
        assert train_main([*args, *common, "--out", str(made[name])]) == 0
        (_constant_keras if name == "keras" else _constant_sklearn)(made[name])
    made["clip"] = write_audio(root / "new song.wav", seconds=4.0, freq=330.0)
    made["cache"] = cache
    return made


def _predict(runs, run: str, *extra, capsys) -> str:
    capsys.readouterr()
    assert predict_main([str(runs["clip"]), "--run", str(runs[run]), "--cache", str(runs["cache"]), *extra]) == 0
    return capsys.readouterr().out


def _named_numbers(line: str) -> dict:
    return {name: float(value) for name, value in re.findall(r"\b(valence|arousal)\b\s+([-+]?\d+(?:\.\d+)?)", line)}


@pytest.mark.parametrize("run", ["va", "keras"])
def test_json_has_valence_then_arousal(runs, run, capsys):
    rows = json.loads(_predict(runs, run, "--json", capsys=capsys))
    assert len(rows) == 1 and rows[0]["file"] == str(runs["clip"])
    assert rows[0]["valence"] == pytest.approx(EXPECTED["valence"], abs=1e-4)
    assert rows[0]["arousal"] == pytest.approx(EXPECTED["arousal"], abs=1e-4)
    keys = list(rows[0])
    assert keys.index("valence") < keys.index("arousal")


@pytest.mark.parametrize("run", ["va", "keras"])
def test_table_has_valence_then_arousal(runs, run, capsys):
    lines = [line for line in _predict(runs, run, capsys=capsys).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(str(runs["clip"]))
    assert _named_numbers(lines[0]) == pytest.approx(EXPECTED, abs=0.005)
    assert lines[0].index("valence") < lines[0].index("arousal"), "columns: valence first, then arousal"


def test_quadrant_run_reports_q4_and_signed_outputs(runs, capsys):
    row = json.loads(_predict(runs, "quadrant", "--json", capsys=capsys))[0]
    assert row["quadrant"] == "Q4"
    assert (row["valence_sign"], row["arousal_sign"]) == (1, -1)
    assert (row["valence_output"], row["arousal_output"]) == pytest.approx(OUTPUT, abs=1e-6)
    line = _predict(runs, "quadrant", capsys=capsys).strip()
    assert "\tQ4\t" in line
    assert _named_numbers(line) == pytest.approx(dict(zip(("valence", "arousal"), OUTPUT)), abs=0.005)
