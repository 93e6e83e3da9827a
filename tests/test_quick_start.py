"""Quiet, quick start (issue 20, point 6): ``--help`` imports none of the heavy libraries, and the JAX path
imports no TensorFlow (so prints none of its absl log lines) unless a feature needs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, make_4q

HEAVY = ("tensorflow", "jax", "keras", "keras_hub", "sklearn", "librosa", "scipy")
# Run a script in this interpreter, then print which modules it imported, as the last line of stdout.
RUN_AND_LIST = """
import json, runpy, sys
script, *args = sys.argv[1:]
sys.argv, status = [script, *args], 0
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as stop:
    status = stop.code
print(json.dumps({"status": status, "imported": sorted(m for m in %r if m in sys.modules)}))
"""
TF_LOG_MARKERS = ("absl::", "oneDNN", "cudart_stub", "TF_ENABLE_ONEDNN_OPTS", "tensorflow")


def _run(tmp_path, script: str, *args: str) -> tuple[dict, str]:
    env = dict(os.environ, MER_CACHE=str(tmp_path / "cache"))
    env.pop("MER_DATA", None)
    done = subprocess.run([sys.executable, "-c", RUN_AND_LIST % (HEAVY,), script, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.mark.parametrize("script", ["train.py", "evaluate.py", "predict.py"])
def test_help_imports_no_heavy_library(script, tmp_path):
    result, err = _run(tmp_path, script, "--help")
    assert result == {"status": 0, "imported": []}, err


@pytest.mark.skipif(os.environ.get("KERAS_BACKEND", "jax") != "jax", reason="the JAX path")
def test_jax_training_and_evaluation_import_no_tensorflow_and_print_no_absl_lines(tmp_path):
    data = make_4q(tmp_path / "data")
    result, err = _run(tmp_path, "train.py", "--data", str(data), "--epochs", "1", "--batch-size", "4",
                       "--workers", "1", "--out", str(tmp_path / "run"))
    scored, scored_err = _run(tmp_path, "evaluate.py", str(tmp_path / "run"), "--resamples", "20")
    for outcome, stderr in ((result, err), (scored, scored_err)):
        assert outcome["status"] == 0, stderr
        assert "jax" in outcome["imported"] and "tensorflow" not in outcome["imported"], outcome
        assert not [line for line in stderr.splitlines() if any(marker in line for marker in TF_LOG_MARKERS)], stderr
