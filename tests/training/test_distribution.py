"""``train.py --distribution data-parallel`` (issue 21, point 2): two fake CPU devices give one device's weights
for the same global batch; two processes on localhost train one epoch to the same weights and only process 0
writes the run directory; the refusals are one line each."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mer_keras.cli import train_main
from mer_keras.errors import SpecError
from mer_keras.training.distribution import process_share, start_processes
from tests.conftest import REPO, make_4q

SCRIPT = str(Path(__file__).with_name("distributed_script.py"))
# Two devices reduce each batch's gradient in another order than one: float32 round-off only.
RTOL, ATOL = 1e-5, 1e-6


def _env(tmp_path: Path, devices: int = 1, **extra) -> dict:
    env = {name: value for name, value in os.environ.items()
           if name != "MER_DATA" and not name.startswith("KERAS_DISTRIBUTION_")}
    return env | {"MER_CACHE": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1", "KERAS_BACKEND": "jax",
                  "JAX_PLATFORMS": "cpu", "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"} | extra


def _run(args: list[str], env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_process_share_pads_to_the_devices_and_strides_over_processes():
    x, y = np.arange(7.0), np.arange(7.0) * 10
    (px, py), padding = process_share((x, y), {"devices": 4, "processes": 1, "process_id": 0})
    assert padding == 1 and list(px) == [0, 1, 2, 3, 4, 5, 6, 0] and list(py) == list(px * 10)
    (share, _), padding = process_share((x, y), {"devices": 4, "processes": 2, "process_id": 1})
    assert padding == 1 and list(share) == [1, 3, 5, 0]
    (same, _), padding = process_share((x, y), {"devices": 1, "processes": 1, "process_id": 0})
    assert padding == 0 and same is x


def test_refusals_are_one_line(tmp_path, monkeypatch, capsys):
    assert train_main(["--model", "ridge", "--distribution", "data-parallel", "--out", str(tmp_path / "r")]) == 2
    assert "applies to the Keras models" in capsys.readouterr().err
    import keras

    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    with pytest.raises(SpecError, match="needs the JAX backend"):
        start_processes("data-parallel")


def test_two_devices_give_one_devices_weights(tmp_path):
    weights = {}
    for devices in (1, 2):
        result = _run(["fit", str(tmp_path / f"d{devices}")], _env(tmp_path, devices))
        assert result.returncode == 0, result.stderr[-3000:]
        record = json.loads((tmp_path / f"d{devices}" / "record.json").read_text())
        assert record["devices"] == devices and record["processes"] == 1
        with np.load(tmp_path / f"d{devices}" / "weights.npz") as data:
            weights[devices] = [data[key] for key in sorted(data.files, key=lambda k: int(k.split("_")[1]))]
        if devices == 1:
            assert "nothing to split" in result.stderr
    for one, two in zip(weights[1], weights[2]):
        np.testing.assert_allclose(two, one, rtol=RTOL, atol=ATOL)
    assert any(not np.allclose(w, 0) for w in weights[2])


def test_train_py_on_two_devices_refuses_an_odd_batch_then_trains(tmp_path):
    data = make_4q(tmp_path / "data")
    env = _env(tmp_path, devices=2)
    common = ["--model", "crnn", "--data", str(data), "--epochs", "1", "--workers", "1", "--distribution", "data-parallel"]
    odd = _run(["train", str(tmp_path / "odd"), *common, "--batch-size", "3", "--out", str(tmp_path / "odd-run")], env)
    assert odd.returncode == 2 and "does not divide by the 2 devices" in odd.stderr, odd.stderr[-2000:]
    assert not (tmp_path / "odd-run").exists()
    run = tmp_path / "run"
    result = _run(["train", str(tmp_path / "copies"), *common, "--batch-size", "4", "--out", str(run)], env)
    assert result.returncode == 0, result.stderr[-3000:]
    config = json.loads((run / "config.json").read_text())
    assert config["distribution"]["devices"] == 2 and config["distribution"]["processes"] == 1
    assert config["training"]["batch_size"] == 4 and config["status"] == "finished"
    n_train = config["n_items"]["train"]
    assert config["distribution"]["repeated_items"]["train"] == n_train % 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def test_two_processes_agree_and_only_process_0_writes(tmp_path):
    import keras

    from mer_keras.models.registry import register_custom_layers

    data = make_4q(tmp_path / "data")
    run, copies = tmp_path / "run", tmp_path / "copies"
    args = ["train", str(copies), "--model", "crnn", "--data", str(data), "--epochs", "1", "--batch-size", "4",
            "--workers", "1", "--distribution", "data-parallel", "--out", str(run)]
    address = f"localhost:{_free_port()}"
    processes = [subprocess.Popen([sys.executable, SCRIPT, *args], cwd=REPO, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  env=_env(tmp_path, 1, KERAS_DISTRIBUTION_JOB_ADDRESSES=address,
                                           KERAS_DISTRIBUTION_NUM_PROCESSES="2", KERAS_DISTRIBUTION_PROCESS_ID=str(k)))
                 for k in (0, 1)]
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (_, err) in zip(processes, outputs):
        if process.returncode and "gloo" in err.lower() and "not" in err.lower():      # pragma: no cover
            pytest.skip(f"multi-process JAX on CPU is unavailable here: {err.strip().splitlines()[-1]}")
        assert process.returncode == 0, err[-3000:]
    config = json.loads((run / "config.json").read_text())
    assert config["distribution"]["processes"] == 2 and config["distribution"]["devices"] == 2
    assert (copies / "run-0.txt").read_text() == str(run)
    scratch = Path((copies / "run-1.txt").read_text())
    assert scratch != run and not scratch.exists()          # process 1 worked in a scratch folder, removed
    history = (run / "history.csv").read_text().strip().splitlines()
    assert len(history) == 2, history                       # one header, one epoch: written once, by process 0
    register_custom_layers()
    models = [keras.models.load_model(copies / f"model-{k}.keras") for k in (0, 1)]
    for one, two in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_array_equal(one, two)
