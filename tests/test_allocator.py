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


def _mmapped_bytes(**env) -> int:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "MOTIFNET_MALLOC"}
    result = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True,
                            check=True)
    return int(result.stdout)


@pytest.mark.skipif(not _glibc_with_mallinfo2(), reason="needs glibc 2.33+ (mallinfo2)")
def test_import_serves_a_tensor_sized_block_from_the_heap():
    assert _mmapped_bytes() < 12 << 20  # on the heap, reused after free
    assert _mmapped_bytes(MOTIFNET_MALLOC="system") >= 12 << 20  # glibc's default: mapped afresh


def test_the_environment_can_keep_glibc_as_configured(monkeypatch):
    for name in ("MOTIFNET_MALLOC", "GLIBC_TUNABLES", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"):
        monkeypatch.delenv(name, raising=False)
    if _glibc_with_mallinfo2():
        assert allocator.keep_freed_memory()
    monkeypatch.setenv("MOTIFNET_MALLOC", "system")
    assert not allocator.keep_freed_memory()
    monkeypatch.delenv("MOTIFNET_MALLOC")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert not allocator.keep_freed_memory()
