"""The fast path of a genome scan: every window pooled exactly, in O(m) work per base.

A DeepBind-like model (:class:`motifnet.models.deepbind.DeepBind`: input padding of width ``w``
with a constant, ``Conv1d(4, F, m)`` with bias, ReLU, global max / mean / max+mean pooling, a
dense head) scores a window of ``L`` bases as ``head(pool(relu(conv(pad(x)))))``. Its padded
convolution has ``L + 2w - m + 1`` positions:

- ``L - m + 1`` *interior* positions see only the window's bases: the valid convolution of the
  whole sequence, shared by every window that contains them;
- ``w`` *left-edge* positions (``k = 1..w`` padding columns: kernel columns ``k..m-1`` on the
  window's first ``m - k`` bases) and ``w`` *right-edge* positions (``q = 1..w``: columns
  ``0..m-1-q`` on its last ``m - q`` bases). They differ from window to window and are computed
  from the window's own bases, so that every window scores exactly as it would alone.

Two recurrences over the bases give all of them. Writing ``T[j, b]`` for kernel column ``j`` at
base ``b`` (a table row of F values; the padding constants and the bias are folded into the
tables), the left-edge value with ``k`` padding columns of the window starting at ``s`` is
``D_s(k) = T[k, x_s] + D_{s+1}(k + 1)``, and ``D_s(0)`` is the interior convolution at ``s``;
the right-edge value with ``q`` columns of the window ending at ``e`` is ``R_e(k) = R_{e-1}(k-1)
+ T[k, x_e]`` with ``k = m - 1 - q``. One pass from the last base down (``D``) and one from the
first base up (``R``) update ``m`` values per base, held in a ring buffer of rows. The interior
maximum of a window is a sliding maximum of the convolution (span doubling: ``log2 L``
vectorised passes), its mean a sliding Kahan-compensated sum.

Filters run 16 at a time as the lanes of one SIMD value (:mod:`motifnet.scan.lanes`): a step is one
table-row load and one add for 16 filters. Blocks of windows run in parallel.

:func:`conv_pool_plan` recognises such a model (else None: the caller uses the window path).
:func:`pool_windows` returns the pooled features ``[n_windows, F]`` (max or mean) or
``[n_windows, 2F]`` (maxavg) of windows starting at ``0, S, 2S, ...`` of a token chunk;
:func:`window_logits` the model's logits, with a dense head applied block by block as the
windows are pooled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from motifnet.scan import lanes as simd
from motifnet.scan.lanes import LANES
from motifnet.scan.head import DenseStack, dense_stack, dense_tile
from motifnet.sequence import N_TOKEN

POOL_MODES = {"max": 0, "mean": 1, "maxavg": 2}

COMPILED_SOURCES = {"lanes.py": "f1d4bbb047144c2e", "head.py": "a3e057eecddda4aa"}
"""sha256 (first 16 hex digits) of the other files whose numba code is compiled into this file's
cached kernels. numba's cache checks only the source of the file that holds a cached function:
a change to one of these files must change this line, or stale kernels would keep running
(``tests/test_scan.py`` checks it and prints the new line)."""


@dataclass
class ConvPoolPlan:
    """What the fast path needs from a conv + global-pooling model.

    Attributes:
        left_steps: float32 ``[n_blocks * m * 5, 16]``: row ``(block * m + k) * 5 + base`` is
            ``T[k, base]`` of filters ``16 block .. 16 block + 15`` for the ``D`` recurrence
            (base 4 = N, an all-zero one-hot column; unused lanes zero).
        right_steps: the same for the ``R`` recurrence.
        n_filters: F.
        filter_length: m.
        pad_width: w, padding columns on each side of a window.
        pool: 'max', 'mean' or 'maxavg'.
        head: the module mapping pooled features ``[B, F or 2F]`` to logits ``[B, T]``.
        dense: the same head as a :class:`motifnet.scan.head.DenseStack` when it is one
            (applied block by block by :func:`window_logits`), else None.
    """

    left_steps: np.ndarray
    right_steps: np.ndarray
    n_filters: int
    filter_length: int
    pad_width: int
    pool: str
    head: object
    dense: DenseStack | None = None


def conv_pool_plan(model, window: int) -> ConvPoolPlan | None:
    """Extract a :class:`ConvPoolPlan` from ``model`` if its fast path is exact at ``window``.

    The model must have ``conv_features`` and ``pool_head``, a ``pad`` (``width``, ``value``)
    of at most ``m - 1``, a stride-1 undilated unpadded ``Conv1d(4, F, m)``, a ReLU, a global
    pool of kind max / mean / maxavg, a ``head`` module, finite convolution weights, and
    ``window >= m``. Otherwise None (the window path then gives what torch gives: NaN for NaN
    weights, which the fast path's maxima would drop). The head becomes a
    :class:`~motifnet.scan.head.DenseStack` only when its finite parameters and its input width
    fit the pooled features; any other head is applied by torch. The plan computes the model in
    eval mode (dropout off), whatever its training flag.
    """
    import torch
    from torch import nn

    from motifnet.devices import eval_mode

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
        bias = conv.bias.detach().to("cpu", torch.float64).numpy()
    if not (np.isfinite(weight).all() and np.isfinite(bias).all() and np.isfinite(float(pad.value))):
        return None
    left_steps, right_steps = _step_tables(weight, bias, width, float(pad.value))
    n_features = weight.shape[0] * (2 if pool.kind == "maxavg" else 1)
    with eval_mode(model.head):
        dense = dense_stack(model.head)
    if dense is not None and (dense.widths[0] != n_features or not np.isfinite(dense.params).all()):
        dense = None  # torch applies the head (and raises its own shape error if it does not fit)
    return ConvPoolPlan(left_steps=left_steps, right_steps=right_steps, n_filters=weight.shape[0],
                        filter_length=m, pad_width=width, pool=pool.kind, head=model.head, dense=dense)


def _step_tables(weight: np.ndarray, bias: np.ndarray, width: int, pad_value: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``D`` and ``R`` step tables of :class:`ConvPoolPlan` from a float64 ``[F, 4, m]`` kernel.

    ``D_s(k)`` must end up as the left-edge value with ``k`` padding columns (``k <= w``: their
    constant ``pad_value`` contribution plus the bias; ``k = 0``: the bias) and ``R_e(k)`` as the
    right-edge value with ``m - 1 - k`` columns; each step adds the difference of the constants.
    """
    n_filters, _, m = weight.shape
    table = np.zeros((m, 5, n_filters))
    table[:, :4, :] = weight.transpose(2, 1, 0)
    column_pad = pad_value * weight.sum(axis=1).T  # [m, F]: one padding column under kernel column j
    left = np.zeros((m + 1, n_filters))  # left[k]: the constant in D(k); left[m] = 0 (empty sum)
    left[0] = bias
    right = np.zeros((m + 1, n_filters))  # right[k + 1]: the constant in R(k); right[0] = 0
    for p in range(1, width + 1):
        left[p] = column_pad[:p].sum(axis=0) + bias
        right[m - p] = column_pad[m - p :].sum(axis=0) + bias
    left_steps = table + (left[:-1] - left[1:])[:, None, :]
    right_steps = table + (right[1:] - right[:-1])[:, None, :]
    return _lane_rows(left_steps), _lane_rows(right_steps)


def _lane_rows(steps: np.ndarray) -> np.ndarray:
    """``[m, 5, F]`` -> float32 ``[n_blocks * m * 5, 16]``, filters in blocks of 16 lanes."""
    m, n_bases, n_filters = steps.shape
    n_blocks = -(-n_filters // LANES)
    padded = np.zeros((m, n_bases, n_blocks * LANES))
    padded[:, :, :n_filters] = steps
    blocks = padded.reshape(m, n_bases, n_blocks, LANES).transpose(2, 0, 1, 3)
    return np.ascontiguousarray(blocks.reshape(-1, LANES), dtype=np.float32)


def pool_windows(plan: ConvPoolPlan, tokens: np.ndarray, window: int, stride: int, n_windows: int) -> np.ndarray:
    """Pooled conv features of the windows ``tokens[j*stride : j*stride + window]``, ``j < n_windows``.

    Args:
        plan: from :func:`conv_pool_plan`.
        tokens: ``[n]`` tokens (A, C, G, T = 0..3; N, and any other code, read as N, as
            :func:`motifnet.sequence.one_hot` does) with ``(n_windows - 1) * stride + window <= n``.
        window: window length, at least the filter length; stride: at least 1.

    Returns:
        float32 ``[n_windows, F]`` (max or mean) or ``[n_windows, 2F]`` (maxavg: max then mean),
        what the model's global pooling gives for each window alone (to float32 rounding).

    Raises:
        ValueError: a window shorter than the filters, a stride below 1, or windows that run past
            the end of the tokens.
    """
    tokens = _checked_tokens(plan, tokens, window, stride, n_windows)
    n_filters = plan.n_filters
    if n_windows <= 0:
        return np.zeros((0, n_filters * (2 if plan.pool == "maxavg" else 1)), dtype=np.float32)
    pooled_max, pooled_mean = _pool_windows(tokens, plan.left_steps, plan.right_steps, plan.filter_length,
                                            plan.pad_width, int(window), int(stride), int(n_windows),
                                            POOL_MODES[plan.pool], _block(stride))
    parts = {"max": [pooled_max], "mean": [pooled_mean], "maxavg": [pooled_max, pooled_mean]}[plan.pool]
    parts = [part.reshape(n_windows, -1) for part in parts]
    if len(parts) == 1 and parts[0].shape[1] == n_filters:
        return parts[0]
    return np.concatenate([part[:, :n_filters] for part in parts], axis=1)


def window_logits(plan: ConvPoolPlan, tokens: np.ndarray, window: int, stride: int, n_windows: int) -> np.ndarray:
    """The model's logits ``[n_windows, T]`` (float32) for the windows of :func:`pool_windows`.

    With a dense head (``plan.dense``), pooling and head run together per block of about 4,096
    bases of windows: no ``[n_windows, F]`` array is built. Any other head gets
    :func:`pool_windows` and the module itself, in slices. Same arguments and errors as
    :func:`pool_windows`.
    """
    if plan.dense is None:
        import torch

        from motifnet.devices import eval_mode

        pooled = pool_windows(plan, tokens, window, stride, n_windows)
        with torch.no_grad(), eval_mode(plan.head):  # an empty pooled array gives the head's [0, T]
            parts = [plan.head(torch.from_numpy(pooled[i : i + 65536])).float().numpy()
                     for i in range(0, max(1, len(pooled)), 65536)]
        return np.concatenate(parts)
    tokens = _checked_tokens(plan, tokens, window, stride, n_windows)
    return _window_logits(tokens, plan.left_steps, plan.right_steps, plan.filter_length, plan.pad_width,
                          int(window), int(stride), max(0, int(n_windows)), POOL_MODES[plan.pool], _block(stride),
                          plan.n_filters, plan.dense.widths, plan.dense.params)


def _checked_tokens(plan: ConvPoolPlan, tokens: np.ndarray, window: int, stride: int, n_windows: int) -> np.ndarray:
    """uint8 tokens with every code above N read as N (the kernels index tables by token); the
    errors of :func:`pool_windows`."""
    if window < plan.filter_length or stride < 1:
        raise ValueError(f"need window >= filter length {plan.filter_length} and stride >= 1, "
                         f"got window {window}, stride {stride}")
    if n_windows > 0 and (n_windows - 1) * stride + window > len(tokens):
        raise ValueError("windows run past the end of the tokens")
    tokens = np.asarray(tokens)
    return np.where((tokens >= 0) & (tokens <= N_TOKEN), tokens, N_TOKEN).astype(np.uint8)


def _block(stride: int) -> int:
    """Windows per task of the parallel loops: about 4,096 bases."""
    return max(1, 4096 // stride)


@numba.njit(cache=True, parallel=True)
def _pool_windows(tokens, left_steps, right_steps, m, width, window, stride, n_windows, mode, block):
    pooled_max, pooled_mean = _outputs(left_steps, m, n_windows, mode)
    n_blocks = (n_windows + block - 1) // block
    for b in numba.prange(n_blocks):
        j0 = b * block
        _pool_block(tokens, left_steps, right_steps, m, width, window, stride, j0, min(n_windows, j0 + block), mode,
                    pooled_max, pooled_mean, j0)
    return pooled_max, pooled_mean


@numba.njit(cache=True, parallel=True)
def _window_logits(tokens, left_steps, right_steps, m, width, window, stride, n_windows, mode, block, n_filters,
                   widths, params):
    out = np.empty((n_windows, widths[len(widths) - 1]), dtype=np.float32)
    n_blocks = (n_windows + block - 1) // block
    for b in numba.prange(n_blocks):
        j0 = b * block
        j1 = min(n_windows, j0 + block)
        pooled_max, pooled_mean = _outputs(left_steps, m, j1 - j0, mode)
        _pool_block(tokens, left_steps, right_steps, m, width, window, stride, j0, j1, mode, pooled_max, pooled_mean, 0)
        _head_block(pooled_max, pooled_mean, j1 - j0, n_filters, mode, widths, params, out, j0)
    return out


@numba.njit(cache=True)
def _head_block(pooled_max, pooled_mean, n_win, n_filters, mode, widths, params, out, j0):
    """``out[j0 + j]`` = the dense head on window j's pooled features (max, then mean), 16 windows
    per call of :func:`motifnet.scan.head.dense_tile`."""
    n_lane_blocks = max(pooled_max.shape[0], pooled_mean.shape[0]) // n_win
    n_max = n_filters if mode != 1 else 0
    current = np.zeros((widths.max(), LANES), dtype=np.float32)
    following = np.empty_like(current)
    for r0 in range(0, n_win, LANES):
        rows = min(LANES, n_win - r0)
        for w in range(rows):
            base = (r0 + w) * n_lane_blocks
            for f in range(n_max):
                current[f, w] = pooled_max[base + f // LANES, f % LANES]
            if mode != 0:
                for f in range(n_filters):
                    current[n_max + f, w] = pooled_mean[base + f // LANES, f % LANES]
        result = dense_tile(current, following, widths, params)
        for w in range(rows):
            for t in range(widths[len(widths) - 1]):
                out[j0 + r0 + w, t] = result[t, w]


@numba.njit(cache=True)
def _outputs(left_steps, m, n_windows, mode):
    """Pooled max and mean arrays ``[n_windows * n_blocks, 16]`` (row ``j * n_blocks + block``:
    window j's filters of that lane block; a reshape gives ``[n_windows, n_blocks * 16]``), empty
    when the mode has none."""
    n_rows = n_windows * (left_steps.shape[0] // (m * 5))
    pooled_max = np.empty((n_rows if mode != 1 else 0, LANES), dtype=np.float32)
    pooled_mean = np.empty((n_rows if mode != 0 else 0, LANES), dtype=np.float32)
    return pooled_max, pooled_mean


@numba.njit(cache=True)
def _pool_block(tokens, left_steps, right_steps, m, width, window, stride, j0, j1, mode, pooled_max, pooled_mean,
                out_j0):
    """Windows ``[j0, j1)``, all filters, 16 at a time, into rows ``(out_j0 + j - j0) * n_blocks +
    block`` of the pooled arrays; positions are relative to window ``j0``."""
    n_win = j1 - j0
    last = (n_win - 1) * stride  # start of the block's last window
    n_bases = last + window
    n_conv = n_bases - m + 1  # interior convolution positions 0 .. n_conv - 1
    interior = window - m + 1
    chunk = tokens[j0 * stride : j0 * stride + n_bases]
    ring_size = 1
    while ring_size < m:
        ring_size *= 2
    mask = ring_size - 1
    ring = np.zeros((ring_size, LANES), dtype=np.float32)
    conv = np.empty((n_conv, LANES), dtype=np.float32)
    scratch = np.empty((2, n_conv, LANES), dtype=np.float32)
    edge_max = np.empty((2, n_win, LANES), dtype=np.float32)  # left, right
    edge_sum = np.empty((2, n_win, LANES), dtype=np.float32)
    zeros = simd.full(0.0)
    n_lane_blocks = left_steps.shape[0] // (m * 5)
    for lane_block in range(n_lane_blocks):
        rows = lane_block * m * 5
        _left_pass(chunk, left_steps, rows, m, width, stride, last, n_conv, ring, mask, conv, edge_max[0],
                   edge_sum[0], mode)
        _right_pass(chunk, right_steps, rows, m, width, window, stride, ring, mask, edge_max[1], edge_sum[1], mode)
        if mode != 1:
            interior_max = _sliding_max(conv, interior, scratch[0], scratch[1])
            for j in range(n_win):
                value = simd.maximum(simd.load(interior_max, j * stride),
                                     simd.maximum(simd.load(edge_max[0], j), simd.load(edge_max[1], j)))
                simd.store(pooled_max, (out_j0 + j) * n_lane_blocks + lane_block, simd.maximum(value, zeros))
        if mode != 0:
            _sliding_mean(conv, interior, stride, edge_sum, interior + 2 * width, pooled_mean,
                          out_j0 * n_lane_blocks + lane_block, n_lane_blocks)


@numba.njit(cache=True)
def _left_pass(chunk, steps, rows, m, width, stride, last, n_conv, ring, mask, conv, edge_max, edge_sum, mode):
    """``D_s(k)`` for s from the last base down to 0; ``D_s(k)`` lives in ring row ``(k - s) & mask``.

    Stores the interior convolution ``D_s(0)`` for ``s < n_conv`` and, for each window start
    ``s <= last``, the max and ReLU-sum of ``D_s(1..w)``. Ring rows of bases past the chunk's end
    hold stale values, which reach only positions that are never stored.
    """
    edge_top = min(width, m - 2)  # edge steps k = edge_top .. 1 (k = m - 1 is the first step)
    for s in range(len(chunk) - 1, -1, -1):
        row = rows + chunk[s]
        value = simd.load(steps, row + (m - 1) * 5)
        simd.store(ring, (m - 1 - s) & mask, value)
        best, relu_sum = _first_edge(value, 0 < m - 1 <= width, mode)
        for k in range(m - 2, edge_top, -1):
            _step(ring, (k - s) & mask, steps, row + k * 5)
        for k in range(edge_top, 0, -1):
            value = _step(ring, (k - s) & mask, steps, row + k * 5)
            best, relu_sum = _edge(best, relu_sum, value, mode)
        if m > 1:
            value = _step(ring, (-s) & mask, steps, row)
        if s < n_conv:
            simd.store(conv, s, value)
        if s <= last and s % stride == 0:
            simd.store(edge_max, s // stride, best)
            simd.store(edge_sum, s // stride, relu_sum)


@numba.njit(cache=True)
def _right_pass(chunk, steps, rows, m, width, window, stride, ring, mask, edge_max, edge_sum, mode):
    """``R_e(k)`` for e from 0 up; ``R_e(k)`` lives in ring row ``(e - k) & mask``. For the window
    ending at ``e`` (start ``s = e - window + 1``) stores the max and ReLU-sum of ``R_e(k)``,
    ``k = m - 1 - w .. m - 2``."""
    edge_low = max(1, m - 1 - width)  # edge steps k = edge_low .. m - 2 (k = 0 is the first step)
    for e in range(len(chunk)):
        row = rows + chunk[e]
        value = simd.load(steps, row)
        simd.store(ring, e & mask, value)
        best, relu_sum = _first_edge(value, 0 < m - 1 <= width, mode)
        for k in range(1, edge_low):
            _step(ring, (e - k) & mask, steps, row + k * 5)
        for k in range(edge_low, m - 1):
            value = _step(ring, (e - k) & mask, steps, row + k * 5)
            best, relu_sum = _edge(best, relu_sum, value, mode)
        s = e - window + 1
        if s >= 0 and s % stride == 0:
            simd.store(edge_max, s // stride, best)
            simd.store(edge_sum, s // stride, relu_sum)


@numba.njit(cache=True, inline="always")
def _step(ring, slot, steps, row):
    """One recurrence step: ``ring[slot] += steps[row]``; returns the new value."""
    value = simd.add(simd.load(ring, slot), simd.load(steps, row))
    simd.store(ring, slot, value)
    return value


@numba.njit(cache=True, inline="always")
def _edge(best, relu_sum, value, mode):
    """Fold an edge position's value into the window's max and (modes with a mean) ReLU-sum."""
    best = simd.maximum(best, value)
    if mode != 0:
        relu_sum = simd.add(relu_sum, simd.maximum(value, simd.full(0.0)))
    return best, relu_sum


@numba.njit(cache=True, inline="always")
def _first_edge(value, is_edge, mode):
    """Start of a pass's edge max and ReLU-sum: ``value`` (the step with ``m - 1`` padding
    columns) if that is an edge position of the model, else -inf and 0."""
    zeros = simd.full(0.0)
    if not is_edge:
        return simd.full(-np.inf), zeros
    return value, simd.maximum(value, zeros) if mode != 0 else zeros


@numba.njit(cache=True)
def _sliding_mean(conv, interior, stride, edge_sum, count, out, first_row, row_step):
    """``out[first_row + j * row_step]`` = (sum of ReLU(conv) over window j's interior + its edge
    ReLU-sums ``edge_sum[:, j]``) / count, for every window j of ``edge_sum``.

    The interior sum slides from window to window (add the entering positions, subtract the
    leaving ones) with Kahan compensation, so its error stays at float32 rounding however many
    windows it slides over. An infinite convolution value (weights near the float32 limit) would
    make the rest of the block NaN, where torch gives inf only for the windows that hold it.
    """
    zeros = simd.full(0.0)
    total, compensation = zeros, zeros
    for i in range(interior):
        total, compensation = _kahan_add(total, compensation, simd.maximum(simd.load(conv, i), zeros))
    scale = simd.full(1.0 / count)
    for j in range(edge_sum.shape[1]):
        a = j * stride
        if j > 0:
            for i in range(a - stride, a):
                leaving = simd.subtract(zeros, simd.maximum(simd.load(conv, i), zeros))
                total, compensation = _kahan_add(total, compensation, leaving)
            for i in range(a - stride + interior, a + interior):
                total, compensation = _kahan_add(total, compensation, simd.maximum(simd.load(conv, i), zeros))
        edges = simd.add(simd.load(edge_sum[0], j), simd.load(edge_sum[1], j))
        simd.store(out, first_row + j * row_step, simd.multiply(simd.add(total, edges), scale))


@numba.njit(cache=True, inline="always")
def _kahan_add(total, compensation, value):
    """Kahan summation step: ``total + value`` with the lost low-order part kept in ``compensation``."""
    corrected = simd.subtract(value, compensation)
    new_total = simd.add(total, corrected)
    return new_total, simd.subtract(simd.subtract(new_total, total), corrected)


@numba.njit(cache=True)
def _sliding_max(values, size, scratch, other):
    """Rows ``i <= len - size`` of the returned array are ``max(values[i : i + size])`` (lane-wise),
    by doubling spans: each pass is vectorised over rows (prefix-scan methods are serial chains).
    ``scratch`` and ``other`` are work arrays shaped like ``values`` (which is not written); the
    result is one of the three."""
    n = values.shape[0]
    buffers = (scratch, other)
    passes = 0
    source = values
    span = 1
    while span * 2 <= size:
        target = buffers[passes % 2]
        for i in range(n - 2 * span + 1):
            simd.store(target, i, simd.maximum(simd.load(source, i), simd.load(source, i + span)))
        source = target
        passes += 1
        span *= 2
    rest = size - span
    if rest == 0:
        return source
    target = buffers[passes % 2]
    for i in range(n - size + 1):
        simd.store(target, i, simd.maximum(simd.load(source, i), simd.load(source, i + rest)))
    return target
