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
instead of ``O(L m)`` per window). Interior maxima use the van Herk / Gil-Werman sliding
maximum; interior means a sliding float64 sum. The numba loops run over positions (contiguous,
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
    if n_windows <= 0:
        return np.zeros((0, n_filters * (2 if plan.pool == "maxavg" else 1)), dtype=np.float32)
    if (n_windows - 1) * stride + window > len(tokens):
        raise ValueError("windows run past the end of the tokens")
    weight = np.ascontiguousarray(plan.table[:, :4, :].transpose(2, 1, 0))  # [F, 4, m]
    left = np.ascontiguousarray((plan.left_pad + plan.bias).T)  # [F, w + 1]: padding + bias
    right = np.ascontiguousarray((plan.right_pad + plan.bias).T)
    block = max(1, 4096 // stride)
    kernel = _pool_windows if n_windows > block else _pool_windows_serial  # no thread start-up for small jobs
    return kernel(tokens, weight, np.ascontiguousarray(plan.bias), left, right, int(window), int(stride),
                  int(n_windows), POOL_MODES[plan.pool], block)


@numba.njit(cache=True, parallel=True)
def _pool_windows(tokens, weight, bias, left, right, window, stride, n_windows, mode, block):
    out = np.zeros((n_windows, weight.shape[0] * (2 if mode == 2 else 1)), dtype=np.float32)
    n_blocks = (n_windows + block - 1) // block
    for b in numba.prange(n_blocks):
        _pool_block(tokens, weight, bias, left, right, window, stride, b * block, min(n_windows, (b + 1) * block),
                    mode, out)
    return out


@numba.njit(cache=True)
def _pool_windows_serial(tokens, weight, bias, left, right, window, stride, n_windows, mode, block):
    out = np.zeros((n_windows, weight.shape[0] * (2 if mode == 2 else 1)), dtype=np.float32)
    _pool_block(tokens, weight, bias, left, right, window, stride, 0, n_windows, mode, out)
    return out


@numba.njit(cache=True)
def _pool_block(tokens, weight, bias, left, right, window, stride, j0, j1, mode, out):
    """Windows ``[j0, j1)``, all filters; loops run over positions (contiguous, vectorised)."""
    n_filters, _, m = weight.shape
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
    acc = np.empty(max(n_left, n_right), dtype=np.float32)
    conv = np.empty(n_origins, dtype=np.float32)
    edge_max = np.empty(n_win, dtype=np.float32)
    edge_sum = np.empty(n_win, dtype=np.float32)
    running = np.empty(n_origins, dtype=np.float32)
    for f in range(n_filters):
        edge_max[:] = -np.inf
        edge_sum[:] = 0.0
        # Left edges and the convolution: suffix sums over kernel columns k = m-1 .. 0 for each
        # origin o' (= o - s0 + width); after column k, acc[o'] is window (o + k)'s left-edge
        # position with k padding columns.
        acc[:n_left] = 0.0
        for k in range(m - 1, -1, -1):
            w0, w1, w2, w3 = weight[f, 0, k], weight[f, 1, k], weight[f, 2, k], weight[f, 3, k]
            _accumulate(acc, hot, k, n_left, w0, w1, w2, w3)
            if 1 <= k <= width:
                _fold(acc, width - k, stride, left[f, k], edge_max, edge_sum, mode)
        for i in range(n_origins):
            conv[i] = acc[i + width] + bias[f]
        # Right edges: prefix sums over k = 0 .. m-2 per origin r' (= r - (s0 + window - m + 1));
        # after column k, acc[r'] is the right-edge position with q = m-1-k padding columns of
        # window s0 + r' + 1 - q.
        acc[:n_right] = 0.0
        offset = width + window - m + 1
        for k in range(0, m - 1):
            w0, w1, w2, w3 = weight[f, 0, k], weight[f, 1, k], weight[f, 2, k], weight[f, 3, k]
            _accumulate(acc, hot, offset + k, n_right, w0, w1, w2, w3)
            q = m - 1 - k
            if q <= width:
                _fold(acc, q - 1, stride, right[f, q], edge_max, edge_sum, mode)
        if mode != 1:
            _sliding_max(conv, interior, running)
            for j in range(n_win):
                value = running[j * stride]
                if edge_max[j] > value:
                    value = edge_max[j]
                out[j0 + j, f] = value if value > 0.0 else 0.0
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
                out[j0 + j, slot] = (total + edge_sum[j]) / count


@numba.njit(cache=True, inline="always")
def _accumulate(acc, hot, shift, n, w0, w1, w2, w3):
    """acc[:n] += sum_c w_c * hot[c, shift : shift + n] (one kernel column at every origin)."""
    a = acc[:n]
    h0, h1, h2, h3 = hot[0, shift : shift + n], hot[1, shift : shift + n], hot[2, shift : shift + n], hot[3, shift : shift + n]
    for o in range(n):
        a[o] += w0 * h0[o] + w1 * h1[o] + w2 * h2[o] + w3 * h3[o]


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
def _sliding_max(values, size, result):
    """result[i] = max(values[i : i + size]) for i <= len - size (van Herk / Gil-Werman)."""
    n = len(values)
    prefix = np.empty(n, dtype=np.float32)
    suffix = np.empty(n, dtype=np.float32)
    for start in range(0, n, size):
        stop = min(n, start + size)
        prefix[start] = values[start]
        for i in range(start + 1, stop):
            prefix[i] = values[i] if values[i] > prefix[i - 1] else prefix[i - 1]
        suffix[stop - 1] = values[stop - 1]
        for i in range(stop - 2, start - 1, -1):
            suffix[i] = values[i] if values[i] > suffix[i + 1] else suffix[i + 1]
    for i in range(n - size + 1):
        a, b = suffix[i], prefix[i + size - 1]
        result[i] = a if a > b else b
