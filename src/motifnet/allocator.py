"""glibc's malloc set for tensor work: blocks below 32 MiB come from the heap, and freed memory is
kept for the next batch (up to 256 MiB free at the heap's top) rather than given back to the kernel.

By default glibc maps blocks above its mmap threshold freshly from the kernel and unmaps them on
free; the threshold starts at 128 KiB and rises to the largest mapped block freed so far (at most
32 MiB), and the trim threshold follows at twice that. A training or attribution step allocates
activations of several MB each (DanQ's convolution output is 12 MB at batch 256) and frees them
again: until the threshold has risen past them they are mapped afresh, and afterwards the free
memory at the heap's top, once a step has freed its activations, can pass the trim threshold and
be returned. Either way the next step page-faults the memory back in, zeroed page by page, which
costs more than some of the layers' arithmetic (``benchmarks/bench_allocator.py`` times fit
epochs with and without this setting). Fixing both thresholds here also turns glibc's adjustment
off. The values computed are the same either way.

``import motifnet`` calls :func:`keep_freed_memory` once, so the command line, its worker
processes and library use all get it. It leaves malloc alone off glibc, and when the environment
sets ``MOTIFNET_MALLOC=system`` or one of glibc's own malloc thresholds
(:data:`GLIBC_MALLOC_VARIABLES`, or ``glibc.malloc.*`` in ``GLIBC_TUNABLES``).
"""

from __future__ import annotations

import os
import sys

MMAP_THRESHOLD = 32 << 20  # glibc's ceiling for the threshold on 64-bit systems
TRIM_THRESHOLD = 256 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
GLIBC_MALLOC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
"""glibc's environment variables for the settings this module would change."""


def _configured_by_environment() -> bool:
    return (os.environ.get("MOTIFNET_MALLOC") == "system" or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "")
            or any(name in os.environ for name in GLIBC_MALLOC_VARIABLES))


def keep_freed_memory() -> bool:
    """Set glibc's mmap threshold to :data:`MMAP_THRESHOLD` and its trim threshold to
    :data:`TRIM_THRESHOLD` (module docstring); returns whether they were set."""
    if not sys.platform.startswith("linux") or _configured_by_environment():
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (ImportError, OSError, AttributeError):  # no ctypes, or not glibc (musl, say)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
