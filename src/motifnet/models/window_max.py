"""Max pooling over non-overlapping windows of ``[B, C, L]`` float32 CPU tensors, compiled with
numba: the values in one pass and the gradient in one scatter, each window's gradient going to
its first maximum exactly as torch's max pooling sends it (a NaN in a window is its maximum).

torch runs 1-D max pooling through its 2-D kernel with indices, and a reshape followed by
``max(dim=-1)`` reduces over a short innermost axis; both are slow on the CPU. Here each row's
windows are scanned column by column (the same offset of every window at once);
``benchmarks/bench_pooling.py`` times the layer and ``benchmarks/bench_step_candidates.py`` a
training step with this kernel against torch's pooling. :class:`motifnet.models.layers.MaxPool1d`
calls :func:`window_max` for inputs whose gradient is taken, where :func:`applies`; elsewhere
(inference, where torch pools faster without indices; GPU, other dtypes, inside
``torch.compile``) it keeps torch's operators. Both give the same values and gradients, bit for
bit. Long windows (fewer than :data:`MIN_WINDOWS` a row, a global max among them) stay torch's:
the column scan has few windows to run across there.
"""

from __future__ import annotations

import numpy as np
import torch

_KERNELS: dict | None = None


def _columns(x, size, n, values, index):  # compiled with numba by _kernels
    """Windows of ``size`` (the last one partial where ``n * size > L``) of each row of ``x``
    ``[R, L]`` -> their maxima ``values`` and first positions ``index`` ``[R, n]``."""
    rows, length = x.shape
    full = min(n, length // size)
    best = np.empty(full, x.dtype)
    at = np.empty(full, np.int32)
    for r in range(rows):
        row = x[r]
        for w in range(full):
            best[w] = row[w * size]
            at[w] = 0
        for j in range(1, size):
            column = row[j : full * size : size]
            for w in range(full):
                v = column[w]
                b = best[w]
                larger = (v > b) | (v != v)
                best[w] = v if larger else b
                at[w] = j if larger else at[w]
        for w in range(full):
            values[r, w] = best[w]
            index[r, w] = at[w]
        if full < n:  # the partial last window (ceil mode)
            start = full * size
            b, a = row[start], 0
            for j in range(1, length - start):
                v = row[start + j]
                if v > b or v != v:
                    b, a = v, j
            values[r, full] = b
            index[r, full] = a


def _scatter(grad, index, size, out):  # compiled with numba by _kernels
    """``out[r, w * size + index[r, w]] = grad[r, w]`` (``out`` zero elsewhere)."""
    rows, n = grad.shape
    for r in range(rows):
        for w in range(n):
            out[r, w * size + index[r, w]] = grad[r, w]


def _kernels() -> dict:
    """The kernels, compiled on first use and cached on disk (importing this module stays light)."""
    global _KERNELS
    if _KERNELS is None:
        import numba

        jit = numba.njit(cache=True, nogil=True)
        _KERNELS = {"columns": jit(_columns), "scatter": jit(_scatter)}
    return _KERNELS


MIN_WINDOWS = 5  # fewer whole windows per row than this (long windows): torch's reshape and max


def applies(x: torch.Tensor, size: int) -> bool:
    """Whether :func:`window_max` serves ``x`` pooled by ``size``: a non-empty float32
    ``[B, C, L]`` CPU tensor, outside ``torch.compile``, with at least :data:`MIN_WINDOWS` whole
    windows per row."""
    return (x.device.type == "cpu" and x.dtype == torch.float32 and x.dim() == 3 and x.numel() > 0
            and x.shape[-1] // size >= MIN_WINDOWS and not torch.compiler.is_compiling())


class _WindowMax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, size: int, n: int) -> torch.Tensor:
        batch, channels, length = x.shape
        rows = x.detach().contiguous().view(batch * channels, length).numpy()
        values = torch.empty(batch, channels, n)
        index = torch.empty(batch, channels, n, dtype=torch.int32)
        _kernels()["columns"](rows, size, n, values.view(-1, n).numpy(), index.view(-1, n).numpy())
        ctx.save_for_backward(index)
        ctx.size, ctx.length = size, length
        return values

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor):
        (index,) = ctx.saved_tensors
        batch, channels, n = grad.shape
        out = torch.zeros(batch, channels, ctx.length)
        _kernels()["scatter"](grad.contiguous().view(-1, n).numpy(), index.view(-1, n).numpy(), ctx.size,
                              out.view(-1, ctx.length).numpy())
        return out, None, None


def window_max(x: torch.Tensor, size: int, ceil_mode: bool = False) -> torch.Tensor:
    """Max over windows ``[i*size, (i+1)*size)`` of the last axis: ``[B, C, L]`` ->
    ``[B, C, n]``, ``n = L // size`` (``ceil(L / size)`` with ``ceil_mode``: a partial last
    window is kept). ``x`` and ``size`` must satisfy :func:`applies`."""
    length = x.shape[-1]
    n = -(-length // size) if ceil_mode else length // size
    return _WindowMax.apply(x, int(size), int(n))
