"""The run directory (mer_keras.runs): the only writer of run files, atomic writes, clear errors, resume state."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from mer_keras.errors import RunError
from mer_keras.runs import RunDir, write_csv, write_json, write_text


def test_writers_are_atomic_and_readable(tmp_path):
    run = RunDir(tmp_path / "run").create()
    run.write_config({"model": "crnn", "value": np.float32(0.5), "array": np.arange(3)})
    assert run.read_config() == {"model": "crnn", "value": 0.5, "array": [0, 1, 2]}
    write_csv(run / "table.csv", ["a", "b"], [(1, 2), (3, 4)])
    assert (run / "table.csv").read_text().splitlines() == ["a,b", "1,2", "3,4"]
    write_text(run / "report.md", "# title")
    assert (run / "report.md").read_text() == "# title\n"
    assert not list(run.path.glob("*.tmp")), "a temporary file was left behind"


def test_unwritable_target_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(RunError, match=r"cannot write .*file/sub/metrics.json"):
        write_json(blocker / "sub" / "metrics.json", {})
    with pytest.raises(RunError, match="cannot create the run directory"):
        RunDir(blocker / "run").create()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(RunError, match="cannot write"):
            write_json(folder / "x.json", {})
    finally:
        folder.chmod(0o700)


def test_history_append_read_and_truncate_for_resume(tmp_path):
    run = RunDir(tmp_path).create()
    for epoch in range(4):
        run.append_history(["epoch", "loss", "val_loss", "seconds"], [epoch, 1.0 / (epoch + 1), 2.0, 0.5])
    assert run.read_history()["epoch"] == [0.0, 1.0, 2.0, 3.0]
    run.truncate_history(1)          # epochs 2 and 3 were logged but not checkpointed
    history = run.read_history()
    assert history["epoch"] == [0.0, 1.0] and history["loss"] == [1.0, 0.5]


def test_split_and_config_errors(tmp_path):
    run = RunDir(tmp_path).create()
    with pytest.raises(RunError, match="not a run directory"):
        run.read_config()
    run.write_split({"train": ["a"], "validation": []})
    with pytest.raises(RunError, match=r"lacks part\(s\) \['test'\]"):
        run.read_split()
    run.split.write_text("{broken")
    with pytest.raises(RunError, match="not valid JSON"):
        run.read_split()
    run.write_split({"train": ["a"], "validation": ["b"], "test": ["c"], "seed": 0})
    assert run.read_split()["test"] == ["c"]
    with pytest.raises(RunError, match="lacks"):
        run.require("model.keras")


def test_write_json_round_trips_nested(tmp_path):
    data = {"r2": {"valence": 0.1, "arousal": 0.2}, "list": [1, 2], "none": None}
    path = write_json(tmp_path / "m.json", data)
    assert json.loads(path.read_text()) == data


def test_spec_errors_are_project_errors_printed_in_one_line(capsys, tmp_path):
    """A bad spec or option is a SpecError (a project error): the CLI prints one line and exits 2."""
    import copy

    from mer_keras.cli import train_main
    from mer_keras.errors import MerError, SpecError
    from mer_keras.models.crnn import build_crnn
    from mer_keras.specs import load_spec

    spec = copy.deepcopy(load_spec("crnn"))
    spec["layers"][0]["type"] = "Conv3D"
    with pytest.raises(SpecError, match="unknown layer type 'Conv3D'"):
        build_crnn(64, 4, spec)
    spec = copy.deepcopy(load_spec("crnn"))
    spec["training"]["optimizer"] = "sgd"
    with pytest.raises(MerError, match="unsupported optimizer 'sgd'"):
        build_crnn(64, 4, spec)
    assert train_main(["--model", "no_such_model", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    from mer_keras.models.registry import MODELS

    assert err == [f"error: unknown model 'no_such_model'; available: {sorted(MODELS)}"]
    assert {"crnn", "vit", "ast", "ridge", "cnn_lstm", "attn_crnn"} <= set(MODELS)
    with pytest.raises(SpecError, match="too short for the CRNN"):
        build_crnn(16, 4)
