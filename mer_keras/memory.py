"""Process-wide allocator settings for work that allocates and frees large arrays clip after clip.

Each log-mel allocates tens of MB of temporaries (the decoded signal, the frames, the spectrum) and frees them.
With glibc's default settings much of that memory goes back to the kernel after each clip and the next clip
pays a page fault for every 4 KB page again; on the project's machine that was about a fifth of a cold
extraction (issue 23: 43 -> 52 clips/s for 30 s mp3, bench/results.md). :func:`keep_freed_memory` asks glibc
to serve arrays up to 32 MB from its heap and to keep up to 128 MB of freed memory for reuse, the values one
would set with ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_``. Elsewhere (macOS, musl, Windows)
it does nothing. An explicit ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` in the environment wins.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3      # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD_BYTES = 32 * 2**20
TRIM_THRESHOLD_BYTES = 128 * 2**20
_done = False


def keep_freed_memory() -> bool:
    """Set the two thresholds once per process (glibc only); True when they are in effect."""
    global _done
    if _done:
        return True
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    return _done
