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
goes to window ``o + p``), right edges are prefix sums (``O(m)`` work per base and filter
instead of ``O(L m)`` per window). Interior maxima are sliding maxima by span doubling
(``log2 L`` passes, each vectorised; the van Herk / Gil-Werman scans are serial dependency
chains and were 3x slower here); interior means a sliding float64 sum. The numba loops run over positions (contiguous,
vectorised by LLVM), one filter at a time, blocks of windows in parallel.

:func:`conv_pool_plan` recognises such a model (else None: the caller uses the window path).
:func:`pool_windows` returns the pooled features ``[n_windows, F]`` (max or mean) or
``[n_windows, 2F]`` (maxavg) of windows starting at ``0, S, 2S, ...`` of a token chunk; the
model's head turns them into logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from motifnet.scan_head import DenseStack, dense_stack

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
        dense: the same head as a :class:`motifnet.scan_head.DenseStack` when it is one
            (evaluated on all cores by :func:`motifnet.scan_head.apply_dense`), else None.
    """

    table: np.ndarray
    bias: np.ndarray
    left_pad: np.ndarray
    right_pad: np.ndarray
    pool: str
    head: object
    dense: DenseStack | None = None

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
        dense=dense_stack(model.head),
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
    if n_windows <= 0:
        return np.zeros((0, n_filters * (2 if plan.pool == "maxavg" else 1)), dtype=np.float32)
    if (n_windows - 1) * stride + window > len(tokens):
        raise ValueError("windows run past the end of the tokens")
    padded = -(-n_filters // GROUP) * GROUP  # filters run GROUP at a time; padding filters are zero

    def filters_first(array: np.ndarray) -> np.ndarray:  # [..., F] -> [padded, ...]
        moved = np.moveaxis(np.asarray(array, dtype=np.float32), -1, 0)
        out = np.zeros((padded,) + moved.shape[1:], dtype=np.float32)
        out[:n_filters] = moved
        return out

    weight = filters_first(plan.table[:, :4, :].transpose(1, 0, 2))  # [F', 4, m]
    left = filters_first(plan.left_pad + plan.bias)  # [F', w + 1]: padding + bias
    right = filters_first(plan.right_pad + plan.bias)
    bias = filters_first(plan.bias)
    block = max(1, 4096 // stride)
    kernel = _pool_windows if n_windows > block else _pool_windows_serial  # no thread start-up for small jobs
    return kernel(tokens, weight, bias, left, right, int(window), int(stride), int(n_windows),
                  POOL_MODES[plan.pool], block, n_filters)


GROUP = 4
"""Filters accumulated together (the one-hot rows are loaded once for all of them)."""


@numba.njit(cache=True, parallel=True)
def _pool_windows(tokens, weight, bias, left, right, window, stride, n_windows, mode, block, n_filters):
    out = np.zeros((n_windows, n_filters * (2 if mode == 2 else 1)), dtype=np.float32)
    n_blocks = (n_windows + block - 1) // block
    for b in numba.prange(n_blocks):
        _pool_block(tokens, weight, bias, left, right, window, stride, b * block, min(n_windows, (b + 1) * block),
                    mode, out, n_filters)
    return out


@numba.njit(cache=True)
def _pool_windows_serial(tokens, weight, bias, left, right, window, stride, n_windows, mode, block, n_filters):
    out = np.zeros((n_windows, n_filters * (2 if mode == 2 else 1)), dtype=np.float32)
    _pool_block(tokens, weight, bias, left, right, window, stride, 0, n_windows, mode, out, n_filters)
    return out


@numba.njit(cache=True)
def _pool_block(tokens, weight, bias, left, right, window, stride, j0, j1, mode, out, n_filters):
    """Windows ``[j0, j1)``, all filters; loops run over positions (contiguous, vectorised)."""
    m = weight.shape[2]
    width = left.shape[1] - 1
    s0 = j0 * stride
    end = (j1 - 1) * stride + window  # one past the last base any window of the block reads
    n_bases = end - s0
    n_origins = n_bases - m + 1  # interior convolution positions s0 .. end - m
    n_win = j1 - j0
    interior = window - m + 1
    count = interior + 2 * width
    # one-hot of the block's bases with `width` zero columns on each side (bases outside the
    # block only ever reach values that no window of the block reads)
    hot = np.zeros((4, n_bases + 2 * width), dtype=np.float32)
    for i in range(n_bases):
        t = tokens[s0 + i]
        if t < 4:
            hot[t, width + i] = 1.0
    n_left = n_origins + width  # origins s0 - width .. end - m
    n_right = (n_win - 1) * stride + width  # origins s0 + window - m + 1 .. end - m + width
    acc = np.empty((GROUP, max(n_left, n_right)), dtype=np.float32)
    conv = np.empty(n_origins, dtype=np.float32)
    edge_max = np.empty((GROUP, n_win), dtype=np.float32)
    edge_sum = np.empty((GROUP, n_win), dtype=np.float32)
    running = np.empty(n_origins, dtype=np.float32)
    scratch = np.empty((2, n_origins), dtype=np.float32)
    offset = width + window - m + 1
    for f0 in range(0, weight.shape[0], GROUP):
        edge_max[:, :] = -np.inf
        edge_sum[:, :] = 0.0
        # Left edges and the convolution: suffix sums over kernel columns k = m-1 .. 0 for each
        # origin o' (= o - s0 + width); after column k, acc[g, o'] is window (o + k)'s left-edge
        # position with k padding columns for filter f0 + g.
        acc[:, :n_left] = 0.0
        for k in range(m - 1, -1, -1):
            _accumulate(acc, hot, k, n_left, weight, f0, k)
            if 1 <= k <= width:
                for g in range(GROUP):
                    _fold(acc[g], width - k, stride, left[f0 + g, k], edge_max[g], edge_sum[g], mode)
        for g in range(GROUP):
            f = f0 + g
            if f >= n_filters:
                break
            for i in range(n_origins):
                conv[i] = acc[g, i + width] + bias[f]
            _interior(conv, interior, stride, n_win, running, scratch, mode, edge_max[g], j0, f, n_filters, out)
        # Right edges: prefix sums over k = 0 .. m-2 per origin r' (= r - (s0 + window - m + 1));
        # after column k, acc[g, r'] is the right-edge position with q = m-1-k padding columns of
        # window s0 + r' + 1 - q.
        acc[:, :n_right] = 0.0
        for k in range(0, m - 1):
            _accumulate(acc, hot, offset + k, n_right, weight, f0, k)
            q = m - 1 - k
            if q <= width:
                for g in range(GROUP):
                    _fold(acc[g], q - 1, stride, right[f0 + g, q], edge_max[g], edge_sum[g], mode)
        for g in range(GROUP):
            f = f0 + g
            if f >= n_filters:
                break
            _finish(out, j0, f, n_filters, n_win, edge_max[g], edge_sum[g], count, mode)


@numba.njit(cache=True)
def _interior(conv, interior, stride, n_win, running, scratch, mode, edge_max, j0, f, n_filters, out):
    """Interior pooling of one filter: the max goes into ``out[:, f]`` (edges folded in later by
    :func:`_finish`), the sum of ReLU values into ``out[:, F + f]`` / ``out[:, f]`` (mean mode)."""
    if mode != 1:
        _sliding_max(conv, interior, running, scratch)
        for j in range(n_win):
            out[j0 + j, f] = running[j * stride]
    if mode != 0:
        slot = n_filters + f if mode == 2 else f
        total = 0.0
        for i in range(interior):
            total += conv[i] if conv[i] > 0.0 else 0.0
        for j in range(n_win):
            a = j * stride
            if j > 0:  # slide the window sum from the previous window (float64)
                for i in range(a - stride, a):
                    total -= conv[i] if conv[i] > 0.0 else 0.0
                for i in range(a - stride + interior, a + interior):
                    total += conv[i] if conv[i] > 0.0 else 0.0
            out[j0 + j, slot] = total


@numba.njit(cache=True)
def _finish(out, j0, f, n_filters, n_win, edge_max, edge_sum, count, mode):
    """Fold one filter's edge max / sum into its interior values; ReLU of the max, sum -> mean."""
    if mode != 1:
        for j in range(n_win):
            value = out[j0 + j, f]
            if edge_max[j] > value:
                value = edge_max[j]
            out[j0 + j, f] = value if value > 0.0 else 0.0
    if mode != 0:
        slot = n_filters + f if mode == 2 else f
        for j in range(n_win):
            out[j0 + j, slot] = (out[j0 + j, slot] + edge_sum[j]) / count


@numba.njit(cache=True, inline="always")
def _accumulate(acc, hot, shift, n, weight, f0, k):
    """acc[g, :n] += sum_c weight[f0 + g, c, k] * hot[c, shift : shift + n] for g < GROUP (4):
    one kernel column of four filters at every origin, each one-hot value loaded once."""
    a0, a1, a2, a3 = acc[0, :n], acc[1, :n], acc[2, :n], acc[3, :n]
    h0, h1, h2, h3 = hot[0, shift : shift + n], hot[1, shift : shift + n], hot[2, shift : shift + n], hot[3, shift : shift + n]
    w00, w01, w02, w03 = weight[f0, 0, k], weight[f0, 1, k], weight[f0, 2, k], weight[f0, 3, k]
    w10, w11, w12, w13 = weight[f0 + 1, 0, k], weight[f0 + 1, 1, k], weight[f0 + 1, 2, k], weight[f0 + 1, 3, k]
    w20, w21, w22, w23 = weight[f0 + 2, 0, k], weight[f0 + 2, 1, k], weight[f0 + 2, 2, k], weight[f0 + 2, 3, k]
    w30, w31, w32, w33 = weight[f0 + 3, 0, k], weight[f0 + 3, 1, k], weight[f0 + 3, 2, k], weight[f0 + 3, 3, k]
    for o in range(n):
        x0, x1, x2, x3 = h0[o], h1[o], h2[o], h3[o]
        a0[o] += w00 * x0 + w01 * x1 + w02 * x2 + w03 * x3
        a1[o] += w10 * x0 + w11 * x1 + w12 * x2 + w13 * x3
        a2[o] += w20 * x0 + w21 * x1 + w22 * x2 + w23 * x3
        a3[o] += w30 * x0 + w31 * x1 + w32 * x2 + w33 * x3


@numba.njit(cache=True, inline="always")
def _fold(acc, shift, stride, pad, edge_max, edge_sum, mode):
    """Fold the edge values ``acc[shift + j * stride] + pad`` into window j's max and sum."""
    n = len(edge_max)
    if stride == 1:  # contiguous: vectorised
        _fold_values(acc[shift : shift + n], pad, edge_max, edge_sum, mode)
    else:
        _fold_values(acc[shift : shift + (n - 1) * stride + 1 : stride], pad, edge_max, edge_sum, mode)


@numba.njit(cache=True, inline="always")
def _fold_values(values, pad, edge_max, edge_sum, mode):
    n = len(edge_max)
    if mode != 1:
        for j in range(n):
            value = values[j] + pad
            edge_max[j] = value if value > edge_max[j] else edge_max[j]
    if mode != 0:
        for j in range(n):
            value = values[j] + pad
            edge_sum[j] += value if value > 0.0 else 0.0


@numba.njit(cache=True)
def _sliding_max(values, size, result, scratch):
    """result[i] = max(values[i : i + size]) for i <= len - size, by doubling spans: each pass
    is vectorised over positions (prefix-scan methods are one serial dependency chain)."""
    n = len(values)
    span = 1
    source, target = values, scratch[0, :n]
    other = scratch[1, :n]
    while span * 2 <= size:
        for i in range(n - 2 * span + 1):
            a, b = source[i], source[i + span]
            target[i] = a if a > b else b
        source = target
        target, other = other, target
        span *= 2
    rest = size - span
    for i in range(n - size + 1):
        a, b = source[i], source[i + rest]
        result[i] = a if a > b else b
