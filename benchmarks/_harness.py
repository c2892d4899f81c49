"""Shared helpers for benchmarks: timing, memory, machine description, the matmul reference.

Benchmarks import this as ``from _harness import ...`` with ``benchmarks/`` on ``sys.path``
(``benchmarks/run.py`` and running a ``bench_*.py`` file directly both arrange that).

- :func:`median_seconds` times a function: median, min and max over repeats after warm-up;
  :func:`interleaved_seconds` times a candidate and its reference round-robin (fairer under load).
- :func:`peak_rss_mb` / :func:`rss_mb` read this process's peak and current resident memory.
- :func:`in_subprocess` runs a function in a fresh interpreter and returns its result and
  peak RSS, so a memory figure is not polluted by what the caller already allocated.
- :func:`machine` describes the machine (CPU, cores, RAM, torch, threads, load).
- :func:`matmul_gflops` measures the float32 torch matmul rate, the reference for FLOP fractions.
- :func:`row` builds one result row with its ratio to a reference.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = Path(os.environ.get("MOTIFNET_DATA", ROOT.parent / "shared" / "data"))
"""Real data (read-only); override with the MOTIFNET_DATA environment variable."""


def median_seconds(fn: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> tuple[float, float, float]:
    """Time ``fn()``: ``warmup`` untimed calls, then ``repeat`` timed ones.

    Returns:
        ``(median, min, max)`` in seconds (wall clock, ``time.perf_counter``).
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def interleaved_seconds(
    fns: dict[str, Callable[[], Any]], repeat: int = 5, warmup: int = 1
) -> dict[str, tuple[float, float, float]]:
    """Time several functions round-robin (a, b, c, a, b, c, ...) so that a burst of other work on
    a shared machine hits all of them alike; use this for a candidate and its reference.

    Returns:
        ``{name: (median, min, max)}`` in seconds.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, repeat)):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(t), min(t), max(t)) for name, t in times.items()}


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB.

    On Linux this is ``VmHWM`` from /proc/self/status: the high-water mark of this process's
    own address space. (``ru_maxrss`` is not used there: Linux carries the parent's peak into a
    child across fork + exec, so a fresh interpreter started by a 1 GB process would report
    1 GB.) Includes the touched pages of memory-mapped files. Elsewhere: ``ru_maxrss``.
    """
    hwm = _proc_status_mb().get("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def _proc_status_mb() -> dict[str, float]:
    """The kB fields of /proc/self/status, in MiB (empty off Linux)."""
    out: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                out[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def rss_mb() -> dict[str, float]:
    """Current resident memory in MiB: ``{'rss', 'anon', 'file'}`` from /proc/self/status
    (anonymous = heap/tensors; file = mapped files such as a memory-mapped store). Empty off Linux."""
    status = _proc_status_mb()
    fields = {"VmRSS": "rss", "RssAnon": "anon", "RssFile": "file"}
    return {name: status[key] for key, name in fields.items() if key in status}


def _subprocess_entry(queue, fn, args, kwargs) -> None:
    try:
        result = fn(*args, **kwargs)
        queue.put(("ok", result, peak_rss_mb()))
    except BaseException as error:  # report any failure to the parent
        queue.put(("error", f"{type(error).__name__}: {error}", peak_rss_mb()))


def in_subprocess(fn: Callable, *args, timeout: float | None = None, **kwargs) -> tuple[Any, float]:
    """Run ``fn(*args, **kwargs)`` in a fresh interpreter (multiprocessing 'spawn').

    ``fn`` must be importable by name (a module-level function), and its result picklable.

    Returns:
        ``(result, peak_rss_mb)`` of the child process (its peak includes Python + imports).

    Raises:
        RuntimeError: the function raised in the child, the child died, or ``timeout`` passed.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_subprocess_entry, args=(queue, fn, args, kwargs))
    process.start()
    try:
        status, value, peak = queue.get(timeout=timeout)
    except Exception:
        process.kill()
        process.join()
        raise RuntimeError(f"subprocess running {fn.__name__} died or timed out (exit code {process.exitcode})")
    process.join()
    if status != "ok":
        raise RuntimeError(f"in subprocess: {value}")
    return value, peak


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def git_commit() -> str:
    """The current commit of the repository (short hash, '+dirty' if tracked files changed), or 'unknown'."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, Any]:
    """Describe this machine: CPU model, logical cores, RAM (GiB), OS, Python, NumPy, torch
    version and intra-op threads, and the 1-minute load average (other work on the machine)."""
    import numpy
    import torch

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _ram_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "load_avg_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def matmul_gflops(n: int = 2048, repeat: int = 5) -> float:
    """Measured float32 ``torch.matmul`` rate of two ``n x n`` matrices on CPU, in GFLOP/s
    (``2 n^3`` flops per product, median of ``repeat`` after one warm-up)."""
    import torch

    generator = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=generator)
    b = torch.randn(n, n, generator=generator)
    median, _, _ = median_seconds(lambda: torch.matmul(a, b), repeat=repeat, warmup=1)
    return 2 * n**3 / median / 1e9


def row(name: str, value: float, ref: float | None = None, unit: str = "", higher_is_better: bool = True,
        **extra) -> dict[str, Any]:
    """One result row: ``{'name', 'value', 'unit', 'ref', 'ratio', ...extra}``.

    ``ratio`` is ``value / ref`` when higher is better (throughput), ``ref / value`` otherwise
    (times), so a ratio above 1 always means motifnet is better than the reference.
    """
    ratio = None
    if ref:
        ratio = value / ref if higher_is_better else (ref / value if value else None)
    out = {"name": name, "value": value, "unit": unit, "ref": ref, "ratio": ratio}
    out.update(extra)
    return out
