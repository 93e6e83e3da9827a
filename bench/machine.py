"""The machine a bench figure was measured on: one line for bench/results.md."""

from __future__ import annotations

import os
import platform
from pathlib import Path

FLAGS_OF_INTEREST = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def cpu_summary() -> str:
    """CPU model, usable cores and the SIMD flags that matter for XLA / oneDNN, e.g.
    ``"Intel(R) Xeon(R) ... | 2 cores | avx2 avx512f avx512_bf16"``."""
    model, flags = platform.processor() or "unknown CPU", set()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    present = [flag for flag in FLAGS_OF_INTEREST if flag in flags]
    return f"{model} | {cores} cores | {' '.join(present) or 'no AVX2/AVX-512'}"


if __name__ == "__main__":
    print(cpu_summary())
