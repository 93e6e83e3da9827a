"""Starting a sweep cell's command cannot lose a SIGTERM / Ctrl-C sent to the sweep meanwhile.

A ``preexec_fn`` makes CPython run at-fork callbacks in the parent, and a signal handler that raises inside
one has its exception printed and dropped: the sweep ran on to the end and exited 0 (seen once in CI). The
cell's command now asks for its parent-death signal itself (``die_with_parent``), so no Python code runs
in the sweep's process while it forks. The script below plants the signal in an at-fork callback, as the
race did; a planted ``preexec_fn`` shows the hazard the test guards against.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

SCRIPT = """
import os, signal, subprocess, sys, tempfile
from mer_keras.interrupts import Interrupted, signals_raise
from mer_keras.sweep import cells

planted = []

def sigterm_during_fork():
    if not planted:
        planted.append(True)
        os.kill(os.getpid(), signal.SIGTERM)

os.register_at_fork(after_in_parent=sigterm_during_fork)
if sys.argv[1] == "preexec":                 # the old start, for contrast
    popen = subprocess.Popen
    subprocess.Popen = lambda *a, **k: popen(*a, preexec_fn=lambda: None, **k)
# the child prints its parent-death signal (PR_GET_PDEATHSIG) after die_with_parent()
code = ("import ctypes, sys; from mer_keras.sweep.cells import die_with_parent; die_with_parent(); "
        "value = ctypes.c_int(); ctypes.CDLL('libc.so.6').prctl(2, ctypes.byref(value)); print('pdeathsig', value.value)")
state = tempfile.mkdtemp()
cell = cells.Cell(name="cell", group="g", state_dir=state, cwd=os.getcwd())
try:
    with signals_raise():
        cells._call(cell, code, [], "child.py")
        print("ran on", planted)
except Interrupted as exc:
    print("interrupted", exc.status)
print(open(cell.log).read().strip().splitlines()[-1])
"""

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, signals and prctl (Linux)")


def _run(mode: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()


def test_no_python_runs_in_the_sweep_while_a_cell_starts_and_the_child_dies_with_its_parent():
    lines = _run("plain")
    assert lines[0] == "ran on []"                     # no at-fork callback ran: nothing to drop a signal in
    assert lines[-1] == "pdeathsig 15"                 # SIGTERM when the sweep's process dies


def test_with_a_preexec_fn_the_planted_signal_would_be_lost():
    lines = _run("preexec")
    assert lines[0] == "ran on [True]"                 # the SIGTERM was sent, and dropped: the hazard is real


def test_a_child_whose_parent_is_already_gone_ends_at_once():
    import os

    from mer_keras.sweep.cells import PARENT_PID

    code = "from mer_keras.sweep.cells import die_with_parent; die_with_parent(); print('alive')"
    env = dict(os.environ, **{PARENT_PID: "1"})      # not this child's parent: it died before the request
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == -15 and "alive" not in done.stdout
    env[PARENT_PID] = str(os.getpid())
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "alive"
