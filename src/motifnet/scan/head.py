"""The dense head of a genome scan's fast path: pooled features -> logits, on all CPU cores.

A DeepBind-like head is a stack ``Linear -> ReLU -> ... -> Linear`` (Dropout layers are the
identity in eval mode). Scoring millions of windows through it with torch runs on torch's
threads (often one, in benchmarks and on shared machines) while the pooling kernel runs on all
cores; :func:`dense_stack` extracts the layers once, and :func:`dense_tile` evaluates them on 16
windows at a time as the lanes of one SIMD value (:mod:`motifnet.scan.lanes`): a layer is one
broadcast multiply-add per weight for 16 windows. The scan's fast path calls it inside its
pooling kernel (:func:`motifnet.scan.fast.window_logits`); :func:`apply_dense` runs it on given
features, in parallel. Any other head (batch norm, other activations, a training-mode module)
gives None: use the module itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from motifnet.scan import lanes as simd
from motifnet.scan.lanes import LANES

COMPILED_SOURCES = {"lanes.py": "f1d4bbb047144c2e"}
"""sha256 of the files compiled into this file's cached kernels: see
:data:`motifnet.scan.fast.COMPILED_SOURCES`."""


@dataclass(frozen=True)
class DenseStack:
    """``Linear (-> ReLU -> Linear)*`` flattened for the numba kernel.

    Attributes:
        widths: int64 ``[n_layers + 1]``: input width, hidden widths, output width.
        params: float32: per layer its weight ``[out, in]`` (row-major) then its bias ``[out]``.
    """

    widths: np.ndarray
    params: np.ndarray


def dense_stack(head) -> DenseStack | None:
    """A :class:`DenseStack` computing ``head`` in eval mode (to float32 rounding: the sums run in
    another order), or None if ``head`` is anything else.

    Accepted: an ``nn.Sequential`` (or one ``nn.Linear``) of Linear, ReLU and Dropout layers, in
    eval mode, where Linear layers alternate with exactly one ReLU and the last layer is Linear.
    """
    from torch import nn

    layers = list(head) if isinstance(head, nn.Sequential) else [head]
    if head.training or not layers:
        return None
    kept = [layer for layer in layers if not isinstance(layer, nn.Dropout)]
    linear = kept[0::2]
    relu = kept[1::2]
    if not all(isinstance(layer, nn.Linear) and layer.bias is not None for layer in linear):
        return None
    if len(linear) != len(relu) + 1 or not all(isinstance(layer, nn.ReLU) for layer in relu):
        return None
    widths = [linear[0].in_features] + [layer.out_features for layer in linear]
    if any(a.out_features != b.in_features for a, b in zip(linear, linear[1:])):
        return None
    parts = []
    for layer in linear:
        parts += [layer.weight.detach().float().cpu().numpy().ravel(), layer.bias.detach().float().cpu().numpy()]
    return DenseStack(widths=np.asarray(widths, dtype=np.int64), params=np.concatenate(parts).astype(np.float32))


def apply_dense(stack: DenseStack, features: np.ndarray, block: int = 1024) -> np.ndarray:
    """``features [n, widths[0]]`` float32 -> logits ``[n, widths[-1]]`` float32; ``block``
    windows per task of the parallel loop."""
    features = np.ascontiguousarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[1] != stack.widths[0]:
        raise ValueError(f"features must be [n, {stack.widths[0]}], got {list(features.shape)}")
    return _dense(features, stack.widths, stack.params, max(LANES, block))


@numba.njit(cache=True, parallel=True)
def _dense(features, widths, params, block):
    n = features.shape[0]
    out = np.empty((n, widths[len(widths) - 1]), dtype=np.float32)
    tiles_per_task = block // LANES
    n_tiles = (n + LANES - 1) // LANES
    for task in numba.prange((n_tiles + tiles_per_task - 1) // tiles_per_task):
        current = np.zeros((widths.max(), LANES), dtype=np.float32)
        following = np.empty_like(current)
        for tile in range(task * tiles_per_task, min(n_tiles, (task + 1) * tiles_per_task)):
            r0 = tile * LANES
            rows = min(LANES, n - r0)
            for f in range(widths[0]):
                for w in range(rows):
                    current[f, w] = features[r0 + w, f]
            result = dense_tile(current, following, widths, params)
            for w in range(rows):
                for t in range(widths[len(widths) - 1]):
                    out[r0 + w, t] = result[t, w]
    return out


@numba.njit(cache=True)
def dense_tile(current, following, widths, params):
    """The stack on one tile of 16 windows: ``current[:widths[0]]`` holds their inputs, feature
    f in row f (lane w: window w). Returns the array (``current`` or ``following``, both
    ``[>= widest layer, 16]`` and overwritten) whose rows ``[:widths[-1]]`` hold the outputs."""
    source, target = current, following
    offset = 0
    for layer in range(len(widths) - 1):
        _layer(source, params, offset, widths[layer], widths[layer + 1], layer < len(widths) - 2, target)
        offset += widths[layer + 1] * (widths[layer] + 1)
        source, target = target, source
    return source


@numba.njit(cache=True, inline="always")
def _layer(source, params, offset, n_in, n_out, relu, target):
    """``target[u] = bias[u] + sum_f weight[u, f] source[f]`` (then ReLU) for 16 windows at once;
    ``params[offset:]`` holds the weight ``[n_out, n_in]`` then the bias. Two partial sums halve
    the dependency chain."""
    for u in range(n_out):
        row = offset + u * n_in
        even = simd.full(params[offset + n_out * n_in + u])
        odd = simd.full(0.0)
        for f in range(0, n_in - 1, 2):
            even = simd.add(even, simd.multiply(simd.full(params[row + f]), simd.load(source, f)))
            odd = simd.add(odd, simd.multiply(simd.full(params[row + f + 1]), simd.load(source, f + 1)))
        if n_in % 2:
            even = simd.add(even, simd.multiply(simd.full(params[row + n_in - 1]), simd.load(source, n_in - 1)))
        total = simd.add(even, odd)
        simd.store(target, u, simd.maximum(total, simd.full(0.0)) if relu else total)
