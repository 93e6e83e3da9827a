"""Interrupts and faults (issue 20, point 5): one Ctrl-C (SIGINT) or SIGTERM stops training at the next
batch, keeps what --resume needs, prints one line with the resume command and exits 130 / 143 without a
traceback; the same during feature extraction (the workers end, none is left behind); an unwritable --out
is one line naming the path; a failed data check leaves no run folder; every error prints once."""

from __future__ import annotations

import csv
import errno
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from mer_keras.cli import resume_command, train_main
from mer_keras.interrupts import Interrupted
from mer_keras.training.fit import fit_model
from tests.conftest import REPO, SONGS, make_4q

TRAIN = ["--model", "crnn", "--batch-size", "4", "--workers", "1"]
# train.py with every training batch slowed to a second, so a signal sent once the first epoch has ended
# always lands inside the second one (a tiny CRNN's later epochs take a fraction of a second).
SLOW_TRAIN = """
import runpy, sys, time
from mer_keras.training import fit
batch_end = fit.StopOnRequest.on_train_batch_end
def slow(self, batch, logs=None):
    time.sleep(1.0)
    batch_end(self, batch, logs)
fit.StopOnRequest.on_train_batch_end = slow
sys.argv = ["train.py", *sys.argv[1:]]
runpy.run_path("train.py", run_name="__main__")
"""


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ, MER_CACHE=str(tmp_path / "cache"), PYTHONUNBUFFERED="1")
    env.pop("MER_DATA", None)
    return env


def _start(args: list[str], tmp_path: Path, code: str | None = None) -> subprocess.Popen:
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "train.py", *args]
    process = subprocess.Popen(command, cwd=REPO, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    watchdog = threading.Timer(600, process.kill)      # never hang the test session
    watchdog.daemon = True
    watchdog.start()
    return process


def _wait_for(process: subprocess.Popen, needle: str) -> list[str]:
    """stderr lines up to and including the first one that starts with ``needle``."""
    lines = []
    for line in process.stderr:
        lines.append(line)
        if line.startswith(needle):
            return lines
    raise AssertionError(f"the process ended before printing {needle!r}:\n{''.join(lines)}")


def _finish(process: subprocess.Popen, lines: list[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, "".join(lines) + err


def _epochs(run: Path) -> list[str]:
    with open(run / "history.csv") as handle:
        return [row["epoch"] for row in csv.DictReader(handle)]


def _interrupt_after_first_epoch(tmp_path: Path, signum: int, *extra: int) -> tuple[Path, int, str]:
    data, run = make_4q(tmp_path / "data"), tmp_path / "run"
    process = _start([*TRAIN, "--data", str(data), "--epochs", "3", "--out", str(run)], tmp_path, code=SLOW_TRAIN)
    lines = _wait_for(process, "epoch 1:")          # printed once the first epoch's checkpoint is written
    process.send_signal(signum)
    for number in extra:
        time.sleep(0.3)         # the first signal handled; the second arrives while the batch still runs
        process.send_signal(number)
    status, err = _finish(process, lines)
    return run, status, err


def _one_resume_line(err: str) -> str:
    lines = [line for line in err.splitlines() if "--resume" in line]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    return lines[0]


def test_sigint_after_first_epoch_stops_and_resumes(tmp_path):
    run, status, err = _interrupt_after_first_epoch(tmp_path, signal.SIGINT)
    assert status == 130, err
    line = _one_resume_line(err)
    assert "Ctrl-C" in line and "epoch 2:" not in err
    state = json.loads((run / "state.json").read_text())
    assert state["epoch"] == 0 and _epochs(run) == ["0"]            # the completed epoch, not a half one
    assert not list(run.glob("partial-*")) and json.loads((run / "config.json").read_text())["status"] == "training"

    command = shlex.split(line.split("continue it with: ", 1)[1])
    assert command[:2] == ["python", "train.py"] and command[-1] == "--resume"
    resumed = subprocess.run([sys.executable, *command[1:]], cwd=REPO, env=_env(tmp_path), capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming at epoch 2 of 3" in resumed.stderr
    assert _epochs(run) == ["0", "1", "2"]
    assert json.loads((run / "config.json").read_text())["epochs_run"] == 3


def test_sigterm_stops_with_143_and_a_second_signal_aborts_quietly(tmp_path):
    """SIGTERM, then a Ctrl-C while it stops: still one line, no traceback, status 143 (the first signal's)."""
    run, status, err = _interrupt_after_first_epoch(tmp_path, signal.SIGTERM, signal.SIGINT)
    assert status == 143, err
    assert "SIGTERM" in _one_resume_line(err)
    assert json.loads((run / "state.json").read_text())["epoch"] == 0 and _epochs(run) == ["0"]


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


# train.py with each clip's feature computation slowed to a second, so that a signal sent a few seconds
# into the extraction lands inside it (28 training clips on 2 threads: 14 s).
SLOW_EXTRACTION = """
import runpy, sys, time
from mer_keras.features import extract
compute = extract._compute
def slow(spec, path):
    time.sleep(1.0)
    return compute(spec, path)
extract._compute = slow
sys.argv = ["train.py", *sys.argv[1:]]
runpy.run_path("train.py", run_name="__main__")
"""


def test_ctrl_c_during_threaded_extraction_stops_at_once(tmp_path):
    """Log-mels are computed by threads of the process (features.extract.THREADED): one Ctrl-C drops the queued
    clips, waits for the ones being computed and exits 130 with one line."""
    songs = [(f"S{k}", f"A{k}", f"Q{1 + k % 4}", "happy") for k in range(40)]
    data = make_4q(tmp_path / "data", songs=songs, seconds=2.0)
    process = _start(["--model", "crnn", "--data", str(data), "--workers", "2", "--out", str(tmp_path / "run")],
                     tmp_path, code=SLOW_EXTRACTION)
    lines = _wait_for(process, "extracting")
    time.sleep(4.0)                                     # the first clips are cached, the threads are running
    sent = time.time()
    os.killpg(process.pid, signal.SIGINT)
    status, err = _finish(process, lines)
    assert status == 130, err
    assert time.time() - sent < 10, "the interrupted extraction did not stop within a clip or two"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert len([line for line in err.splitlines() if line.startswith("interrupted")]) == 1, err
    cached = list((tmp_path / "cache").rglob("*.npz"))
    assert 0 < len(cached) < len(songs), "the finished clips are cached, the dropped ones are not"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads child processes from /proc (Linux)")
def test_ctrl_c_during_extraction_ends_the_workers(tmp_path):
    """A terminal's Ctrl-C reaches the whole process group: the workers ignore it, the parent ends them.
    (Handcrafted features are computed in worker processes.)"""
    songs = [(f"S{k}", f"A{k}", f"Q{1 + k % 4}", "happy") for k in range(40)]
    data = make_4q(tmp_path / "data", songs=songs, seconds=4.0)
    process = _start(["--model", "ridge", "--features", "handcrafted", "--data", str(data), "--workers", "2",
                      "--out", str(tmp_path / "run")], tmp_path)
    lines = _wait_for(process, "extracting")
    deadline, workers = time.time() + 120, set()
    while len(workers) < 2 and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
        for child in _children(process.pid):
            try:
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    workers.add(child)
            except OSError:
                pass
    assert len(workers) == 2, "the extraction workers did not start"
    children = _children(process.pid)
    os.killpg(process.pid, signal.SIGINT)
    status, err = _finish(process, lines)
    assert status == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert len([line for line in err.splitlines() if line.startswith("interrupted")]) == 1, err
    deadline = time.time() + 10
    while any(_alive(pid) for pid in children) and time.time() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)], "a worker outlived the interrupted extraction"


def test_out_under_a_file_is_one_line_naming_it(fourq_dir, tmp_path, capsys):
    """An --out whose parent is a regular file (unwritable even for root)."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert train_main([*TRAIN, "--data", str(fourq_dir), "--epochs", "1", "--out", str(blocker / "run")]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(blocker / "run") in errors[0] and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_out_is_one_line_naming_it(fourq_dir, tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert train_main([*TRAIN, "--data", str(fourq_dir), "--epochs", "1", "--out", str(folder / "run")]) == 2
    finally:
        folder.chmod(0o700)
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(folder / "run") in errors[0]


def test_failed_data_check_leaves_no_run_folder_and_prints_once(tmp_path, capsys):
    empty, run = tmp_path / "empty", tmp_path / "run"
    empty.mkdir()
    assert train_main([*TRAIN, "--dataset", "4q", "--data", str(empty), "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1, err
    assert not run.exists()


def test_failed_feature_check_removes_only_a_new_run_folder(tmp_path, capsys):
    """No item readable: the folder this call made goes; a folder that was there before stays."""
    data = make_4q(tmp_path / "data", songs=SONGS[:8])
    for audio in data.rglob("*.wav"):
        audio.write_bytes(b"not audio")
    new, existing = tmp_path / "new", tmp_path / "existing"
    assert train_main([*TRAIN, "--data", str(data), "--out", str(new)]) == 2
    assert not new.exists()
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    assert train_main([*TRAIN, "--data", str(data), "--out", str(existing)]) == 2
    assert (existing / "notes.txt").read_text() == "mine"
    assert len([line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]) == 2


def test_resume_command_adds_resume_once():
    assert resume_command("python train.py --out r") == "python train.py --out r --resume"
    assert resume_command("python train.py --resume --out r") == "python train.py --resume --out r"


def test_a_signal_stops_fit_at_the_next_batch_keeping_the_last_epoch(tmp_path):
    """In process: a SIGINT raised during the second epoch's third batch ends fit_model there; the run's
    checkpoint is still the first epoch's."""
    from mer_keras.runs import RunDir

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")

    class SignalAt(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.batches = getattr(self, "batches", 0) + 1
            if self.batches == 8 + 3:          # 8 batches per epoch: the second epoch's third batch
                os.kill(os.getpid(), signal.SIGINT)

    run = RunDir(tmp_path / "run").create()
    before = signal.getsignal(signal.SIGINT)
    counter = SignalAt()
    with pytest.raises(Interrupted) as raised:
        fit_model(_with_callback(model, counter), (x, 2 * x), (x[:8], 2 * x[:8]), run, epochs=5, batch_size=8,
                  patience=5, verbose=0)
    assert raised.value.status == 130 and counter.batches == 11       # no batch after the signalled one
    assert json.loads(run.state.read_text())["epoch"] == 0 and _epochs(run.path) == ["0"]
    assert signal.getsignal(signal.SIGINT) is before          # the handlers are restored after fit


def _with_callback(model, callback):
    """``model`` whose fit() also runs ``callback`` (first), for the in-process test."""
    fit = model.fit

    def fit_with(*args, callbacks=(), **kwargs):
        return fit(*args, callbacks=[callback, *callbacks], **kwargs)

    model.fit = fit_with
    return model


def _full_disk(temp):
    Path(temp).write_bytes(b"half a fi")
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_one_error_naming_the_file_and_keeps_the_old_one(tmp_path):
    """A full disk, simulated (a small tmpfs needs mount, i.e. root: not done in tests): the checkpoint being
    written fails as one RunError naming it; the previous checkpoint stays whole, no partial file remains."""
    from mer_keras.errors import RunError
    from mer_keras.features.cache import FeatureCache
    from mer_keras.runs import write_with

    target = tmp_path / "last.keras"
    target.write_bytes(b"the previous epoch")
    with pytest.raises(RunError, match=rf"cannot write {target}: No space left on device"):
        write_with(target, _full_disk)
    assert target.read_bytes() == b"the previous epoch" and sorted(tmp_path.iterdir()) == [target]

    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(RunError, match=r"cannot write the feature cache .*cache/logmel/k\.npz"):
        FeatureCache(blocker).put("logmel", "k", {"features": np.zeros(2)})
