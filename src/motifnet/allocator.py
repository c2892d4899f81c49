"""glibc's malloc set for tensor work: blocks up to 32 MiB come from the heap, and freed memory is
kept for the next batch (up to 256 MiB free at the heap's top) rather than given back to the kernel.

By default glibc maps every block above its mmap threshold (128 KiB, rising to the largest block
freed so far) freshly from the kernel and unmaps it on free, and returns the heap's free top
above 128 KiB. A training or attribution step allocates activations of several MB each (DanQ's
convolution output is 12 MB at batch 256) and frees them again, so every step page-faults them
back in, zeroed page by page, and that costs more than some of the layers' arithmetic
(``benchmarks/bench_allocator.py`` times the steps with and without this setting). The values
computed are the same either way.

``import motifnet`` calls :func:`keep_freed_memory` once, so the command line, its worker
processes and library use all get it. It leaves malloc alone off glibc, and when the environment
sets ``MOTIFNET_MALLOC=system`` or any of glibc's own malloc settings (``MALLOC_*_``,
``GLIBC_TUNABLES``).
"""

from __future__ import annotations

import os
import sys

MMAP_THRESHOLD = 32 << 20  # glibc's ceiling for the threshold on 64-bit systems
TRIM_THRESHOLD = 256 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)


def _configured_by_environment() -> bool:
    return (os.environ.get("MOTIFNET_MALLOC") == "system" or "GLIBC_TUNABLES" in os.environ
            or any(name.startswith("MALLOC_") and name.endswith("_") for name in os.environ))


def keep_freed_memory() -> bool:
    """Set glibc's mmap threshold to :data:`MMAP_THRESHOLD` and its trim threshold to
    :data:`TRIM_THRESHOLD` (module docstring); returns whether they were set."""
    if not sys.platform.startswith("linux") or _configured_by_environment():
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl, say)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
