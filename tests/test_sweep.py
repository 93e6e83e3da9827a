"""``python -m mer_keras.sweep`` (issue 21, points 1 and 4): the tiny sweep (ridge on a tiny 4Q folder, seeds 0
and 1) runs both cells and the summary; run again it reruns nothing; killed after its first cell, or with a
cell that fails, it completes the rest on the next run with the same results; the same sweep on Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mer_keras.sweep import cells as sweep_cells
from mer_keras.sweep.cells import thread_env
from mer_keras.sweep.command import main
from tests.conftest import REPO, make_4q

SPEC = str(REPO / "specs" / "sweeps" / "tiny-ridge.yaml")
NAMES = ["ridge-4q-va-handcrafted-seed0", "ridge-4q-va-handcrafted-seed1"]
GROUP = "ridge-4q-va-handcrafted"
# 16 songs of 8 artists, 2 s each: enough for the ridge's grouped grid search
SONGS = [(f"T{k}", f"Artist{k // 2}", f"Q{k % 4 + 1}", ["happy; excited", "angry", "sad; gloomy", "calm"][k % 4])
         for k in range(16)]


def _root(root: Path) -> Path:
    make_4q(root / "data", songs=SONGS, seconds=2.0)
    return root


def _journal(root: Path) -> list[dict]:
    path = root / "runs" / ".sweeps" / "tiny-ridge" / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def _figures(root: Path) -> dict:
    return {name: json.loads((root / "reports" / GROUP / name / "metrics.json").read_text())["r2"] for name in NAMES}


def _mtimes(root: Path) -> dict:
    return {str(path): path.stat().st_mtime_ns for folder in ("runs", "reports") for path in (root / folder).rglob("*")
            if path.is_file() and ".sweeps" not in path.parts}


@pytest.fixture(scope="module")
def clean_sweep(tmp_path_factory):
    """The tiny sweep run once, uninterrupted, with the local engine."""
    root = _root(tmp_path_factory.mktemp("clean"))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("MER_CACHE", str(root / "cache"))
        status = main([SPEC, "--engine", "local"])
    return root, status


def test_tiny_sweep_runs_every_cell_and_the_summary(clean_sweep):
    root, status = clean_sweep
    assert status == 0
    for name in NAMES:
        config = json.loads((root / "runs" / name / "config.json").read_text())
        assert config["status"] == "finished" and config["command"].startswith("python train.py --model ridge")
        assert (root / "reports" / GROUP / name / "report.md").is_file()
    summary = json.loads((root / "reports" / GROUP / "metrics.json").read_text())
    assert summary["runs"] == NAMES and summary["seeds"] == [0, 1]
    assert summary["command"]["evaluate"].startswith("python -m mer_keras.sweep ")
    assert [(line["cell"], line["step"]) for line in _journal(root)] == [
        (NAMES[0], "train"), (NAMES[0], "evaluate"), (NAMES[0], "done"),
        (NAMES[1], "train"), (NAMES[1], "evaluate"), (NAMES[1], "done")]
    log = (root / "runs" / ".sweeps" / "tiny-ridge" / "logs" / f"{NAMES[0]}.log").read_text()
    assert "$ python train.py" in log and "$ python evaluate.py" in log


def test_running_it_again_reruns_nothing(clean_sweep, monkeypatch, capsys):
    root, _ = clean_sweep
    before, lines = _mtimes(root), len(_journal(root))
    monkeypatch.chdir(root)
    monkeypatch.setenv("MER_CACHE", str(root / "cache"))
    assert main([SPEC, "--engine", "local"]) == 0
    assert _mtimes(root) == before                      # no run, evaluation or summary file rewritten
    assert [line["step"] for line in _journal(root)[lines:]] == ["skip", "skip"]
    assert f"summary {GROUP}: up to date" in capsys.readouterr().err


def test_a_run_trained_with_other_options_is_refused(clean_sweep, monkeypatch, capsys):
    root, _ = clean_sweep
    before = _mtimes(root)
    other = root / "other.yaml"
    other.write_text(Path(SPEC).read_text().replace("--target, va]", "--target, va, --limit, 12]"))
    monkeypatch.chdir(root)
    assert main([str(other), "--engine", "local"]) == 1
    assert "was trained with other options (--limit None there, 12 in the sweep)" in capsys.readouterr().err
    assert _mtimes(root) == before


def test_a_sweep_killed_after_its_first_cell_resumes_to_the_same_results(clean_sweep, tmp_path):
    root = _root(tmp_path)
    env = {name: value for name, value in os.environ.items() if name != "MER_DATA"}
    env |= {"MER_CACHE": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "mer_keras.sweep", SPEC, "--engine", "local"]
    sweep = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not any(line["step"] == "done" for line in _journal(root)):
        assert sweep.poll() is None and time.time() < deadline, sweep.stderr.read() if sweep.poll() is not None else "timeout"
        time.sleep(0.05)
    sweep.send_signal(signal.SIGTERM)               # the second cell has just started
    _, err = sweep.communicate(timeout=300)
    assert sweep.returncode == 143, err[-2000:]
    assert "run the same command again to continue" in err and "Traceback" not in err
    assert not (root / "reports" / GROUP / NAMES[1] / "metrics.json").is_file()
    assert not (root / "reports" / GROUP / "metrics.json").is_file()
    first = _mtimes(root)

    resumed = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    steps = [(line["cell"], line["step"]) for line in _journal(root)]
    assert steps.count((NAMES[0], "train")) == 1 and (NAMES[0], "skip") in steps    # never trained twice
    assert steps[-1] == (NAMES[1], "done")
    assert all(_mtimes(root)[path] == mtime for path, mtime in first.items() if f"/{NAMES[0]}" in path)
    assert _figures(root) == _figures(clean_sweep[0])       # the same set of results as the uninterrupted sweep
    assert json.loads((root / "reports" / GROUP / "metrics.json").read_text())["runs"] == NAMES


def test_a_failed_cell_is_reported_the_others_run_and_the_next_run_completes(tmp_path, monkeypatch, capsys):
    root = _root(tmp_path)
    monkeypatch.chdir(root)
    call = sweep_cells._call

    def failing_seed0(cell, code, argv, script):
        if cell.name == NAMES[0] and script == "train.py":
            raise sweep_cells.RunError(f"sweep cell {cell.name}: train.py exited with status 2 (planted failure)")
        return call(cell, code, argv, script)

    monkeypatch.setattr(sweep_cells, "_call", failing_seed0)
    assert main([SPEC, "--engine", "local"]) == 1
    err = capsys.readouterr().err
    assert f"{NAMES[0]}: failed: sweep cell {NAMES[0]}" in err and f"summary {GROUP}: incomplete" in err
    assert (root / "reports" / GROUP / NAMES[1] / "metrics.json").is_file()
    done_seed1 = (root / "reports" / GROUP / NAMES[1] / "metrics.json").stat().st_mtime_ns

    monkeypatch.setattr(sweep_cells, "_call", call)
    assert main([SPEC, "--engine", "local", "--cell", "0"]) == 0      # one cell (a Slurm array task), no summary
    assert (root / "reports" / GROUP / NAMES[0] / "metrics.json").is_file()
    assert not (root / "reports" / GROUP / "metrics.json").is_file()
    assert main([SPEC, "--engine", "local"]) == 0                     # the last run: nothing to train, the summary
    assert [line["step"] for line in _journal(root)[-2:]] == ["skip", "skip"]
    assert (root / "reports" / GROUP / NAMES[1] / "metrics.json").stat().st_mtime_ns == done_seed1
    assert json.loads((root / "reports" / GROUP / "metrics.json").read_text())["runs"] == NAMES


def test_dry_run_and_refusals(tmp_path, monkeypatch, capsys):
    root = _root(tmp_path)
    monkeypatch.chdir(root)
    assert main([SPEC, "--dry-run", "--engine", "local"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:4] for line in out] == [[str(k), "new", name, GROUP] for k, name in enumerate(NAMES)]
    assert not (root / "runs").exists()
    bad = root / "bad.yaml"
    for text, message in [("grid: {seed: [0]}\nrunz: x\n", "unknown key(s) runz"),
                          ("grid: {out: [x]}\n", "grid option(s) out"),
                          ("grid: {model: [ridge], epochs: [1, 2]}\nargs: [--data, data/4q]\n", "get the same run name"),
                          ("grid: {model: [nope]}\nargs: [--data, data/4q]\n", "unknown model"),
                          ("grid: [seed]\n", "needs a `grid:` mapping")]:
        bad.write_text(text)
        assert main([str(bad), "--dry-run", "--engine", "local"]) == 2
        assert message in capsys.readouterr().err, text
    assert main([SPEC, "--cell", "2", "--engine", "local"]) == 2
    assert "the sweep has cells 0 to 1" in capsys.readouterr().err


def test_thread_caps_per_cell():
    env = thread_env(1, {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
    assert env["MER_INTRA_THREADS"] == "1" and "--xla_cpu_multi_thread_eigen=false" in env["XLA_FLAGS"]
    assert env["XLA_FLAGS"].startswith("--xla_force_host_platform_device_count=2")
    env = thread_env(4, {})
    assert env["OMP_NUM_THREADS"] == "4" and "XLA_FLAGS" not in env


def test_the_tiny_sweep_on_ray(tmp_path, monkeypatch, request):
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install -r requirements-cluster.txt)")
    pytest.importorskip("ray.tune", reason="ray[tune] is not installed (pip install -r requirements-cluster.txt)")
    clean_sweep = request.getfixturevalue("clean_sweep")      # only once ray is known to be there
    root = _root(tmp_path)
    monkeypatch.chdir(root)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        assert main([SPEC, "--engine", "ray"]) == 0
        steps = [(line["cell"], line["step"]) for line in _journal(root)]
        assert {(name, "done") for name in NAMES} <= set(steps)
        assert _figures(root) == _figures(clean_sweep[0])
        assert json.loads((root / "reports" / GROUP / "metrics.json").read_text())["runs"] == NAMES
        lines = len(steps)
        assert main([SPEC, "--engine", "ray"]) == 0          # again: nothing reruns
        assert [line["step"] for line in _journal(root)[lines:]] == ["skip", "skip"]
    finally:
        ray.shutdown()
