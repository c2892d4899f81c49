"""Interval arithmetic on NumPy arrays: merge, covered bases, and which fixed bins are covered.

Intervals are 0-based half-open ``[start, end)`` as int64 arrays. Several groups (targets,
chromosomes) are handled in one call by giving each a ``key`` that offsets it into its own
range of one number line, so that intervals of different groups can never touch.
Every function is a few sorts, searches and cumulative sums: no Python loop over intervals.
"""

from __future__ import annotations

import numpy as np


def merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort intervals and merge those that overlap or touch.

    Args:
        starts, ends: int ``[K]`` (any order; ``start < end``).

    Returns:
        ``(starts, ends)``: int64 ``[M]``, sorted, disjoint and not touching.
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    if not len(starts):
        return starts.copy(), ends.copy()
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    first = np.ones(len(starts), dtype=bool)
    first[1:] = starts[1:] > reach[:-1]
    last = np.append(np.flatnonzero(first)[1:] - 1, len(starts) - 1)
    return starts[first], reach[last]


def covered_before(starts: np.ndarray, ends: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bases of merged intervals that lie before each point: ``|union ∩ [-inf, point)|``.

    Args:
        starts, ends: int64 ``[M]`` as :func:`merge` returns them (sorted and disjoint).
        points: int ``[P]``, any order.

    Returns:
        int64 ``[P]``. The bases covered in ``[a, b)`` are ``covered_before(b) - covered_before(a)``.
    """
    points = np.asarray(points, dtype=np.int64)
    if not len(starts):
        return np.zeros(points.shape, dtype=np.int64)
    lengths = np.concatenate([[0], np.cumsum(ends - starts)])  # bases in intervals 0..i-1
    index = np.searchsorted(starts, points, side="right") - 1  # last interval starting at or before
    inside = np.clip(points - starts[np.maximum(index, 0)], 0, (ends - starts)[np.maximum(index, 0)])
    return np.where(index >= 0, lengths[np.maximum(index, 0)] + inside, 0)


def covered_bins(starts: np.ndarray, ends: np.ndarray, bin_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The bins ``[k * bin_size, (k + 1) * bin_size)`` that merged intervals touch, and how many
    of each bin's bases they cover.

    Args:
        starts, ends: int64 ``[M]`` as :func:`merge` returns them.
        bin_size: bases per bin.

    Returns:
        ``(bins, bases)``: int64 ``[B]`` bin indices (sorted, unique) and covered bases in each.
    """
    if not len(starts):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    first = starts // bin_size
    count = (ends - 1) // bin_size - first + 1
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    bins = np.unique(np.repeat(first, count) + offsets)
    bases = covered_before(starts, ends, (bins + 1) * bin_size) - covered_before(starts, ends, bins * bin_size)
    return bins, bases
