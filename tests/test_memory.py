"""keep_freed_memory: clip after clip of large temporaries stops faulting fresh pages in (glibc only)."""

import os
import platform
import subprocess
import sys

import pytest

WORK = """
import resource, sys, threading
import numpy as np
if sys.argv[1] == "keep":
    from mer_keras.memory import keep_freed_memory
    print(keep_freed_memory())
def work():                                        # an extraction thread's temporaries, clip after clip
    for _ in range(30):
        a = np.ones(1_323_000, np.float32)
        b = np.ones((1292, 2048), np.float32)
        c = np.ones((1292, 1025), np.complex64)
        del a, b, c
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
threads = [threading.Thread(target=work) for _ in range(2)]
[t.start() for t in threads]
[t.join() for t in threads]
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str, **env) -> list[str]:
    done = subprocess.run([sys.executable, "-c", WORK, mode], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_far_fewer_page_faults_when_freed_memory_is_kept():
    default = int(_faults("default")[-1])
    kept, faults = _faults("keep")
    assert kept == "True"
    assert int(faults) * 3 < default, (faults, default)


def test_an_explicit_malloc_setting_wins():
    assert _faults("keep", MALLOC_TRIM_THRESHOLD_="131072")[0] == "False"
