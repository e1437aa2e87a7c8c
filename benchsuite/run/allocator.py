"""glibc malloc settings that make CPU training and evaluation faster without changing a number.

With glibc's defaults, a tensor of more than a few MiB is allocated with ``mmap`` and unmapped
when it is freed (the mmap threshold adapts only up to 32 MiB, and the top of the heap is
trimmed as soon as 128 KiB are free), so every forward pass of a batch touches fresh pages and
pays page faults for each activation. Raising the mmap and trim thresholds to 256 MiB keeps the
freed memory in the process for the next batch: on this project's 2-core CPU machine a forward
pass of basenji-32 on 128 windows of 1,024 bp got about 2x faster, with bit-identical outputs
(`bench/bench_allocator.py` measures it side by side). Allocation does not enter the
arithmetic, so records do not change.

:func:`tune_allocator` is called at the start of the CLI. It sets ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` (read by glibc when a process starts, so worker processes get them),
unless they are set already, and applies the same values to the running process with
``mallopt``. ``BENCHSUITE_MALLOC=default`` leaves glibc's settings alone; on a C library
without ``mallopt`` (macOS, musl) nothing is changed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["MALLOC_ENV", "THRESHOLD_BYTES", "tune_allocator"]

#: ``default`` (or ``off``) leaves glibc's malloc settings alone
MALLOC_ENV = "BENCHSUITE_MALLOC"
#: the mmap and trim thresholds benchsuite sets (bytes)
THRESHOLD_BYTES = 256 << 20

#: glibc's mallopt parameters and the environment variables it reads at start-up
_PARAMS = {"MALLOC_TRIM_THRESHOLD_": -1, "MALLOC_MMAP_THRESHOLD_": -3}


def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds for this process and its children.

    Returns True when ``mallopt`` applied them to this process; False when ``BENCHSUITE_MALLOC``
    is ``default``/``off``, the C library has no ``mallopt``, or a value set in the environment
    is not a number (glibc ignores it too).
    """
    if os.environ.get(MALLOC_ENV, "").strip().lower() in ("default", "off", "0", "no"):
        return False
    for var in _PARAMS:
        os.environ.setdefault(var, str(THRESHOLD_BYTES))
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    applied = True
    for var, param in _PARAMS.items():
        try:
            value = int(os.environ[var])
        except ValueError:
            applied = False
            continue
        applied = bool(mallopt(ctypes.c_int(param), ctypes.c_int(value)) == 1) and applied
    return applied
