"""The dense head of a genome scan's fast path: pooled features -> logits, on all CPU cores.

A DeepBind-like head is a stack ``Linear -> ReLU -> ... -> Linear`` (Dropout layers are the
identity in eval mode). Scoring millions of windows through it with torch runs on torch's
threads (often one, in benchmarks and on shared machines) while the pooling kernel runs on all
cores; :func:`dense_stack` extracts the layers once and :func:`apply_dense` evaluates them in
parallel numba loops, feature-major so the inner loops run over windows (vectorised). Any other
head (batch norm, other activations, a training-mode module) gives None: use the module itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np


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


def apply_dense(stack: DenseStack, features: np.ndarray, block: int | None = None) -> np.ndarray:
    """``features [n, widths[0]]`` float32 -> logits ``[n, widths[-1]]`` float32.

    ``block`` rows are evaluated together by one thread; by default as many as keep a block's
    widest layer within 512 KiB (4,096 rows for a 16 -> 32 -> 1 head, 512 for 256 -> 32 -> 1),
    so that each layer's inputs stay in the core's cache while every output unit reads them.
    """
    features = np.ascontiguousarray(features, dtype=np.float32)
    if features.ndim != 2 or features.shape[1] != stack.widths[0]:
        raise ValueError(f"features must be [n, {stack.widths[0]}], got {list(features.shape)}")
    if block is None:
        block = int(np.clip((512 << 10) // (4 * int(stack.widths.max())), 64, 4096))
    return _dense(features, stack.widths, stack.params, block)


@numba.njit(cache=True, parallel=True)
def _dense(features, widths, params, block):
    n = features.shape[0]
    n_layers = len(widths) - 1
    out = np.empty((n, widths[n_layers]), dtype=np.float32)
    widest = widths.max()
    n_blocks = (n + block - 1) // block
    for b in numba.prange(n_blocks):
        r0 = b * block
        rows = min(n, r0 + block) - r0
        current = np.empty((widest, rows), dtype=np.float32)  # feature-major: loops over rows vectorise
        following = np.empty((widest, rows), dtype=np.float32)
        for f in range(widths[0]):
            for r in range(rows):
                current[f, r] = features[r0 + r, f]
        offset = 0
        for layer in range(n_layers):
            n_in, n_out = widths[layer], widths[layer + 1]
            for u in range(n_out):
                target = following[u]
                bias = params[offset + n_out * n_in + u]
                for r in range(rows):
                    target[r] = bias
                for f in range(n_in):
                    weight = params[offset + u * n_in + f]
                    source = current[f]
                    for r in range(rows):
                        target[r] += weight * source[r]
                if layer < n_layers - 1:
                    for r in range(rows):
                        target[r] = target[r] if target[r] > 0.0 else np.float32(0.0)
            offset += n_out * n_in + n_out
            current, following = following, current
        for t in range(widths[n_layers]):
            for r in range(rows):
                out[r0 + r, t] = current[t, r]
    return out
