"""import motifnet sets glibc's malloc to serve tensor-sized blocks from the heap (motifnet.allocator)."""

import ctypes
import os
import subprocess
import sys

import pytest

from motifnet import allocator

# A fresh interpreter imports motifnet, allocates a 12 MiB array and prints the bytes glibc has mmapped.
PROBE = """
import ctypes
import motifnet
import numpy as np
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
block = np.ones(3 << 20, dtype=np.float32)
print(libc.mallinfo2().hblkhd)
"""


def _glibc_with_mallinfo2() -> bool:
    try:
        return sys.platform.startswith("linux") and hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")
    except OSError:
        return False


def _unset(name: str) -> bool:
    """Whether ``name`` is a variable that these tests clear (they decide glibc's malloc settings)."""
    return name.startswith("MALLOC_") or name in ("GLIBC_TUNABLES", "MOTIFNET_MALLOC")


def _mmapped_bytes(**env) -> int:
    clean = {k: v for k, v in os.environ.items() if not _unset(k)}
    result = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True,
                            check=True, timeout=120)
    return int(result.stdout)


@pytest.mark.skipif(not _glibc_with_mallinfo2(), reason="needs glibc 2.33+ (mallinfo2)")
def test_import_serves_a_tensor_sized_block_from_the_heap():
    assert _mmapped_bytes() < 12 << 20  # on the heap, reused after free
    assert _mmapped_bytes(MOTIFNET_MALLOC="system") >= 12 << 20  # glibc's default: mapped afresh


def test_the_environment_can_keep_glibc_as_configured(monkeypatch):
    for name in [k for k in os.environ if _unset(k)]:
        monkeypatch.delenv(name)
    if _glibc_with_mallinfo2():
        assert allocator.keep_freed_memory()
        monkeypatch.setenv("MALLOC_PERTURB_", "85")  # a debugging setting, not a threshold: still set
        monkeypatch.setenv("GLIBC_TUNABLES", "glibc.pthread.rseq=0")
        assert allocator.keep_freed_memory()
    for name, value in [("MOTIFNET_MALLOC", "system"), ("MALLOC_TRIM_THRESHOLD_", "131072"),
                        ("GLIBC_TUNABLES", "glibc.pthread.rseq=0:glibc.malloc.mmap_threshold=65536")]:
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            assert not allocator.keep_freed_memory(), name
