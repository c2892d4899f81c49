"""The fast path of a genome scan: one convolution pass per chunk, pooled per window, exactly.

A DeepBind-like model (:class:`motifnet.models.deepbind.DeepBind`: input padding with a constant,
``Conv1d(4, F, m)`` with bias, ReLU, global max / mean / max+mean pooling, a dense head) scores a
window ``x`` of length ``L`` as ``head(pool(relu(conv(pad(x)))))``. The padded convolution has
``L + 2w - m + 1`` output positions (``w`` = padding width, ``m`` = filter length):

- ``L - m + 1`` *interior* positions see only the window's own bases: they are the valid
  convolution of the whole chunk, shared by all overlapping windows;
- ``w`` *left-edge* positions (``p = 1..w`` padding columns) and ``w`` *right-edge* positions see
  padding plus the first (last) ``m - p`` bases of the window.

Every window must score exactly as it would alone (that is what the model saw in training), so
the edge positions are computed for each window from its own bases, never from its neighbours:
left edges are suffix sums of the kernel columns of each origin ``o`` (``sum_{k>=p} W_k x[o+k]``
goes to window ``o + p``), right edges are prefix sums, both in one numba loop per chunk
(``O(m)`` per base instead of ``O(L m)`` per window). Interior maxima use the van Herk /
Gil-Werman sliding maximum; interior means use float64 prefix sums.

:func:`conv_pool_plan` recognises such a model (else None: the caller uses the window path).
:func:`pool_windows` returns the pooled features ``[n_windows, F]`` (max or mean) or
``[n_windows, 2F]`` (maxavg) of windows starting at ``0, S, 2S, ...`` of a token chunk; the
model's head turns them into logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

POOL_MODES = {"max": 0, "mean": 1, "maxavg": 2}


@dataclass
class ConvPoolPlan:
    """What the fast path needs from a conv + global-pooling model.

    Attributes:
        table: float32 ``[m, 5, F]``: ``table[k, token]`` = kernel column ``k`` for that base
            (row 4, N, is zero: an all-zero one-hot column).
        bias: float32 ``[F]``.
        left_pad: float32 ``[w + 1, F]``: contribution of ``p`` left padding columns.
        right_pad: float32 ``[w + 1, F]``: contribution of ``q`` right padding columns.
        pool: 'max', 'mean' or 'maxavg'.
        head: the module mapping pooled features ``[B, F or 2F]`` to logits ``[B, T]``.
    """

    table: np.ndarray
    bias: np.ndarray
    left_pad: np.ndarray
    right_pad: np.ndarray
    pool: str
    head: object

    @property
    def filter_length(self) -> int:
        return int(self.table.shape[0])

    @property
    def pad_width(self) -> int:
        return int(self.left_pad.shape[0] - 1)


def conv_pool_plan(model, window: int) -> ConvPoolPlan | None:
    """Extract a :class:`ConvPoolPlan` from ``model`` if its fast path is exact at ``window``.

    The model must have ``conv_features`` and ``pool_head``, a ``pad`` (``width``, ``value``)
    of at most ``m - 1``, a stride-1 undilated unpadded ``Conv1d(4, F, m)``, a ReLU, a global
    pool of kind max / mean / maxavg, a ``head`` module, and ``window >= m``. Otherwise None.
    """
    import torch
    from torch import nn

    needed = ("conv_features", "pool_head", "pad", "conv", "activation", "pool", "head")
    if not all(hasattr(model, name) for name in needed):
        return None
    conv, pad, pool = model.conv, model.pad, model.pool
    if not isinstance(conv, nn.Conv1d) or not isinstance(model.activation, nn.ReLU):
        return None
    if conv.in_channels != 4 or conv.groups != 1 or conv.bias is None:
        return None
    if conv.stride != (1,) or conv.dilation != (1,) or conv.padding not in ((0,), "valid"):
        return None
    if getattr(pool, "kind", None) not in POOL_MODES:
        return None
    m = conv.kernel_size[0]
    width = int(getattr(pad, "width", -1))
    if not 0 <= width <= m - 1 or window < m:
        return None
    with torch.no_grad():
        weight = conv.weight.detach().to("cpu", torch.float64).numpy()  # [F, 4, m]
        bias = conv.bias.detach().to("cpu", torch.float32).numpy()
    n_filters = weight.shape[0]
    table = np.zeros((m, 5, n_filters), dtype=np.float32)
    table[:, :4, :] = weight.transpose(2, 1, 0)
    column_sums = float(pad.value) * weight.sum(axis=1).T  # [m, F]
    left_pad = np.zeros((width + 1, n_filters), dtype=np.float64)
    right_pad = np.zeros((width + 1, n_filters), dtype=np.float64)
    for p in range(1, width + 1):
        left_pad[p] = column_sums[:p].sum(axis=0)
        right_pad[p] = column_sums[m - p :].sum(axis=0)
    return ConvPoolPlan(
        table=table,
        bias=bias,
        left_pad=left_pad.astype(np.float32),
        right_pad=right_pad.astype(np.float32),
        pool=pool.kind,
        head=model.head,
    )


def pool_windows(plan: ConvPoolPlan, tokens: np.ndarray, window: int, stride: int, n_windows: int) -> np.ndarray:
    """Pooled conv features of the windows ``tokens[j*stride : j*stride + window]``, ``j < n_windows``.

    Args:
        plan: from :func:`conv_pool_plan`.
        tokens: uint8 ``[n]`` with ``(n_windows - 1) * stride + window <= n``.

    Returns:
        float32 ``[n_windows, F]`` (max or mean) or ``[n_windows, 2F]`` (maxavg: max then mean),
        exactly what the model's global pooling gives for each window alone.
    """
    tokens = np.ascontiguousarray(tokens, dtype=np.uint8)
    n_filters = plan.table.shape[2]
    n_pools = 2 if plan.pool == "maxavg" else 1
    if n_windows <= 0:
        return np.zeros((0, n_pools * n_filters), dtype=np.float32)
    if (n_windows - 1) * stride + window > len(tokens):
        raise ValueError("windows run past the end of the tokens")
    groups = -(-n_filters // LANES)

    def grouped(array: np.ndarray) -> np.ndarray:  # [..., F] -> [G, ..., LANES], zero-padded
        padded = np.zeros(array.shape[:-1] + (groups * LANES,), dtype=np.float32)
        padded[..., :n_filters] = array
        padded = padded.reshape(array.shape[:-1] + (groups, LANES))
        return np.ascontiguousarray(np.moveaxis(padded, -2, 0))

    block = max(1, 4096 // stride)
    kernel = _pool_windows if n_windows > block else _pool_windows_serial  # no thread start-up for small jobs
    out = kernel(
        tokens, grouped(plan.table), grouped(plan.bias), grouped(plan.left_pad), grouped(plan.right_pad),
        int(window), int(stride), int(n_windows), POOL_MODES[plan.pool], block,
    )  # [G, n_windows, pools, LANES]
    out = np.moveaxis(out, 0, 2).reshape(n_windows, n_pools, groups * LANES)[:, :, :n_filters]
    return np.ascontiguousarray(out).reshape(n_windows, n_pools * n_filters)


LANES = 16
"""Filters are processed in groups of 16 (one AVX-512 register, two AVX2 ones)."""


@numba.njit(cache=True, parallel=True)
def _pool_windows(tokens, table, bias, left_pad, right_pad, window, stride, n_windows, mode, block):
    groups = table.shape[0]
    out = np.zeros((groups, n_windows, 2 if mode == 2 else 1, LANES), dtype=np.float32)
    n_blocks = (n_windows + block - 1) // block
    for b in numba.prange(n_blocks):
        j0 = b * block
        j1 = min(n_windows, j0 + block)
        for g in range(groups):
            _pool_block(tokens, table[g], bias[g], left_pad[g], right_pad[g], window, stride, j0, j1, mode, out[g])
    return out


@numba.njit(cache=True)
def _pool_windows_serial(tokens, table, bias, left_pad, right_pad, window, stride, n_windows, mode, block):
    out = np.zeros((table.shape[0], n_windows, 2 if mode == 2 else 1, LANES), dtype=np.float32)
    for g in range(table.shape[0]):
        _pool_block(tokens, table[g], bias[g], left_pad[g], right_pad[g], window, stride, 0, n_windows, mode, out[g])
    return out


@numba.njit(cache=True)
def _pool_block(tokens, table, bias, left_pad, right_pad, window, stride, j0, j1, mode, out):
    """One block of windows ``[j0, j1)`` and one group of LANES filters (see the module doc)."""
    m = table.shape[0]
    width = left_pad.shape[0] - 1
    s0 = j0 * stride
    end = (j1 - 1) * stride + window  # one past the last base any window of the block reads
    n_origins = end - m + 1 - s0  # interior convolution positions in [s0, end - m]
    n_win = j1 - j0
    interior = window - m + 1
    conv = np.empty((n_origins, LANES), dtype=np.float32)
    edge_max = np.full((n_win, LANES), -np.inf, dtype=np.float32)
    edge_sum = np.zeros((n_win, LANES), dtype=np.float32)
    partial = np.zeros((m + 1, LANES), dtype=np.float32)  # row m stays 0
    left = left_pad + bias  # [w + 1, LANES]: padding and bias of each left-edge position
    right = right_pad + bias

    # Left edges and the full convolution: suffix sums of kernel columns per origin o;
    # partial[k] = sum_{k' >= k} table[k', x[o + k']] is window (o + k)'s left-edge position
    # with k padding columns; partial[0] is the convolution at o.
    for o in range(s0 - width, end - m + 1):
        k_low = max(0, s0 - o)
        for k in range(m - 1, k_low - 1, -1):
            t = tokens[o + k]
            for f in range(LANES):
                partial[k, f] = partial[k + 1, f] + table[k, t, f]
        if o >= s0:
            for f in range(LANES):
                conv[o - s0, f] = partial[0, f] + bias[f]
        # windows s = o + k (1 <= k <= width) of this block: s - s0 multiple of stride, s + window <= end
        k = max(1, k_low)
        k += (stride - (o + k - s0) % stride) % stride
        k_top = min(width, end - window - o)
        j = (o + k - s0) // stride
        while k <= k_top:
            if mode != 1:
                for f in range(LANES):
                    edge_max[j, f] = _fmax(edge_max[j, f], partial[k, f] + left[k, f])
            if mode != 0:
                for f in range(LANES):
                    edge_sum[j, f] += _fmax(partial[k, f] + left[k, f], 0.0)
            k += stride
            j += 1

    for f in range(LANES):
        partial[0, f] = 0.0
    # Right edges: prefix sums per origin r; partial[k + 1] = sum_{k' <= k} table[k', x[r + k']]
    # is the right-edge position with q = m - 1 - k padding columns of window s = r - window + 1 + k.
    for r in range(s0 + window - m + 1, end - m + width + 1):
        k_high = min(m - 2, end - 1 - r)
        for k in range(0, k_high + 1):
            t = tokens[r + k]
            for f in range(LANES):
                partial[k + 1, f] = partial[k, f] + table[k, t, f]
        k = max(m - 1 - width, s0 - (r - window + 1))
        k += (stride - (r - window + 1 + k - s0) % stride) % stride
        j = (r - window + 1 + k - s0) // stride
        while k <= k_high:
            q = m - 1 - k
            if mode != 1:
                for f in range(LANES):
                    edge_max[j, f] = _fmax(edge_max[j, f], partial[k + 1, f] + right[q, f])
            if mode != 0:
                for f in range(LANES):
                    edge_sum[j, f] += _fmax(partial[k + 1, f] + right[q, f], 0.0)
            k += stride
            j += 1

    count = interior + 2 * width
    if mode != 1:
        # van Herk / Gil-Werman sliding maximum over `interior` positions.
        prefix = np.empty((n_origins, LANES), dtype=np.float32)
        suffix = np.empty((n_origins, LANES), dtype=np.float32)
        for i in range(n_origins):
            if i % interior == 0:
                for f in range(LANES):
                    prefix[i, f] = conv[i, f]
            else:
                for f in range(LANES):
                    prefix[i, f] = _fmax(prefix[i - 1, f], conv[i, f])
        for i in range(n_origins - 1, -1, -1):
            if i == n_origins - 1 or (i + 1) % interior == 0:
                for f in range(LANES):
                    suffix[i, f] = conv[i, f]
            else:
                for f in range(LANES):
                    suffix[i, f] = _fmax(suffix[i + 1, f], conv[i, f])
        for j in range(n_win):
            a = j * stride
            z = a + interior - 1
            for f in range(LANES):
                value = _fmax(_fmax(suffix[a, f], prefix[z, f]), edge_max[j, f])
                out[j0 + j, 0, f] = _fmax(value, 0.0)
    if mode != 0:
        cumulative = np.zeros((n_origins + 1, LANES), dtype=np.float64)
        for i in range(n_origins):
            for f in range(LANES):
                cumulative[i + 1, f] = cumulative[i, f] + _fmax(conv[i, f], 0.0)
        slot = 1 if mode == 2 else 0
        for j in range(n_win):
            a = j * stride
            for f in range(LANES):
                total = cumulative[a + interior, f] - cumulative[a, f] + edge_sum[j, f]
                out[j0 + j, slot, f] = total / count


@numba.njit(cache=True, inline="always")
def _fmax(a, b):
    """max of two floats as a plain select (vectorises; no NaN handling needed here)."""
    return a if a > b else b
