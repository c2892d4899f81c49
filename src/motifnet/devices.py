"""Devices and model state, written once: where a model lives, which device a name means, eval
mode for a block, the mixed-precision dtype, torch's CPU threads and the default batch size of
inference (:data:`DEFAULT_BATCH_SIZE`).

``device`` means the same everywhere in motifnet: None is where the model already is
(:func:`model_device`; CPU for a model without parameters or buffers), else a name or a
``torch.device`` read by :func:`resolve_device`.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Iterator

from motifnet.errors import MotifnetError

if TYPE_CHECKING:
    import torch
    from torch import nn

# Sequences per forward pass of every inference function (prediction, scans, variant effects,
# attributions, filter activations); results do not depend on it (tests/test_batch_invariance.py).
DEFAULT_BATCH_SIZE = 256


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (else its first buffer; else the CPU)."""
    import torch

    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def input_device(model: nn.Module, device: torch.device | str | None = None) -> torch.device:
    """Where a model's inputs go: ``device`` (see :func:`resolve_device`) or, when None, the
    model's own device (:func:`model_device`)."""
    return model_device(model) if device is None else resolve_device(device)


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode (dropout off, batch-norm statistics fixed) for the block; the model's training
    flag is restored afterwards, also when the block raises."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def resolve_device(device: torch.device | str | None = None) -> torch.device:
    """A ``torch.device`` from "auto" (CUDA if available, else CPU), a name, a device or None (CPU).

    Raises:
        MotifnetError: an unknown device name, or CUDA asked for but not available.
    """
    import torch

    if device is None:
        return torch.device("cpu")
    if isinstance(device, torch.device):
        return device
    name = str(device).lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(name)
    except RuntimeError:
        raise MotifnetError(f"unknown device {device!r}; expected auto, cpu, cuda or cuda:N") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise MotifnetError(f"device {device!r} asked for, but CUDA is not available on this machine")
    return resolved


def autocast_dtype(device: torch.device, amp: bool | str) -> torch.dtype | None:
    """The autocast dtype for ``amp`` on ``device``, or None for full float32.

    ``amp``: False or "false" (off), True or "true" (bfloat16 where supported, else float16 on
    CUDA; bfloat16 on CPU), or a dtype name "bfloat16" / "float16".

    Raises:
        MotifnetError: an unknown dtype name, or float16 asked for on CPU.
    """
    import torch

    if not amp or amp in ("false", "False"):
        return None
    if isinstance(amp, str) and amp not in ("true", "True"):
        if amp not in ("bfloat16", "float16"):
            raise MotifnetError(f"amp must be true, false, 'bfloat16' or 'float16', got {amp!r}")
        if amp == "float16" and device.type == "cpu":
            raise MotifnetError("amp='float16' needs CUDA; use 'bfloat16' on CPU")
        return getattr(torch, amp)
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity mask where the system has one)."""
    import os

    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def set_cpu_threads(threads: int | str | None = "auto", with_torch: bool = True) -> int:
    """Set torch's intra-op CPU threads (and numba's) and return the number set.

    ``"auto"``: the cores that other work leaves free (cores minus the 1-minute load average,
    rounded, at least 1, at most torch's default). On a busy machine this matters: threads that
    wait for each other on oversubscribed cores made a DeepBind step 5-10x slower in our tests.
    None leaves torch's setting alone. ``with_torch=False`` sets numba's alone, without importing
    torch (work that runs no torch: a scan from a saved plan); "auto" is then at most the usable cores.

    Raises:
        MotifnetError: not "auto", None or a positive integer.
    """
    import os

    torch = None
    if with_torch:
        import torch
    default = torch.get_num_threads() if torch is not None else available_cores()
    if threads is None:
        return default
    if threads == "auto":
        cores = os.cpu_count() or 1
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        chosen = max(1, min(default, round(cores - load)))
    else:
        try:
            chosen = int(threads)
        except ValueError:
            chosen = 0
        if chosen < 1:
            raise MotifnetError(f"threads must be 'auto' or a positive integer, got {threads!r}")
    _set_numba_threads(chosen)  # first: starting numba's OpenMP layer may reset torch's threads
    if torch is not None:
        torch.set_num_threads(chosen)
    return chosen


def _set_numba_threads(threads: int) -> None:
    """The same number for numba's parallel kernels (memelite, modisco-lite, the scan fast path).
    numba's OpenMP layer shares torch's OpenMP runtime: a library that resets numba's threads to
    its default (all cores) would otherwise raise torch's threads too, and training after an
    interpretation would no longer run on the threads asked for.

    numba is imported and set at run time, up to its NUMBA_NUM_THREADS (read at its import: the
    user's value, else the usable cores), which is left alone: a later call may raise it again."""
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
