"""DeepSEA's design from a genome and peak files: bins, their labels, and which bins are kept.

The genome is cut into bins of ``bin_size`` bases from each chromosome's start (a last partial
bin is dropped). A bin is labelled 1 for a target when MORE than half of its bases lie in that
target's peaks (the peaks of a file merged first, so overlapping or adjacent peaks count once;
exactly half is 0). Each bin's input is the window of ``window`` bases centred on it; a window
that runs past a chromosome end is dropped, as is one with more than ``max_n_fraction`` N or
one that touches a blacklist interval. Kept by default: the bins with at least one positive
label (DeepSEA's rule), plus ``background_ratio`` random all-negative bins per positive bin.

Everything here works on one chromosome's arrays at a time (:mod:`motifnet.ranges`);
:mod:`motifnet.peak_store` reads the files and writes the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.ranges import covered_before, covered_bins, merge
from motifnet.sequence import N_TOKEN

TRANSFORMS = ("none", "log1p", "asinh")


@dataclass
class BinOptions:
    """How bins are made, labelled, filtered and split (defaults in brackets).

    bin_size [200], window (input length, centred on the bin) [1000], background_ratio
    (all-negative bins added per positive bin, drawn at random on each chromosome) [0],
    max_n_fraction (windows with more N are dropped) [0.1], valid_chroms / test_chroms
    (chromosomes held out; the rest are 'train') [none], transform of bigWig means
    none|log1p|asinh [none], seed [0].
    """

    bin_size: int = 200
    window: int = 1000
    background_ratio: float = 0.0
    max_n_fraction: float = 0.1
    valid_chroms: list[str] = field(default_factory=list)
    test_chroms: list[str] = field(default_factory=list)
    transform: str = "none"
    seed: int = 0

    def check(self) -> None:
        """Raise MotifnetError for values out of range."""
        if not (isinstance(self.bin_size, int) and self.bin_size >= 1):
            raise MotifnetError(f"bin size must be a positive integer, got {self.bin_size!r}")
        if not (isinstance(self.window, int) and self.window >= 1):
            raise MotifnetError(f"window must be a positive integer, got {self.window!r}")
        if not self.background_ratio >= 0:
            raise MotifnetError(f"background ratio must be >= 0, got {self.background_ratio!r}")
        if not 0 <= self.max_n_fraction <= 1:
            raise MotifnetError(f"max N fraction must lie in [0, 1], got {self.max_n_fraction!r}")
        both = sorted(set(self.valid_chroms) & set(self.test_chroms))
        if both:
            raise MotifnetError(f"chromosome(s) {both} are both validation and test chromosomes")
        if self.transform not in TRANSFORMS:
            raise MotifnetError(f"unknown transform {self.transform!r}; expected one of {TRANSFORMS}")

    def split_of(self, chrom: str) -> str:
        """'valid', 'test' or 'train' for a chromosome."""
        return "valid" if chrom in self.valid_chroms else "test" if chrom in self.test_chroms else "train"

    def window_starts(self, bins: np.ndarray) -> np.ndarray:
        """Start of the window of each bin (int64 ``[B]``; may be negative near a chromosome start)."""
        return np.asarray(bins, dtype=np.int64) * self.bin_size + (self.bin_size - self.window) // 2


def n_runs(tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of N in a chromosome's tokens (uint8 ``[L]``) as merged intervals ``(starts, ends)``."""
    is_n = np.zeros(len(tokens) + 2, dtype=np.int8)
    is_n[1:-1] = tokens == N_TOKEN
    edges = np.flatnonzero(np.diff(is_n))
    return edges[0::2].astype(np.int64), edges[1::2].astype(np.int64)


def candidate_bins(size: int, tokens: np.ndarray, blacklist: tuple[np.ndarray, np.ndarray],
                   options: BinOptions) -> np.ndarray:
    """Which bins of a chromosome may be kept: bool ``[size // bin_size]``.

    A bin is a candidate when its window lies inside the chromosome, holds at most
    ``max_n_fraction`` N and touches no blacklist interval (``blacklist``: merged intervals).
    """
    bins = np.arange(size // options.bin_size, dtype=np.int64)
    starts = options.window_starts(bins)
    ends = starts + options.window
    inside = (starts >= 0) & (ends <= size)
    n_starts, n_ends = n_runs(tokens)
    n_count = covered_before(n_starts, n_ends, ends) - covered_before(n_starts, n_ends, starts)
    black = covered_before(*blacklist, ends) - covered_before(*blacklist, starts)
    return inside & (n_count <= options.max_n_fraction * options.window) & (black == 0)


def positive_bins(targets: np.ndarray, starts: np.ndarray, ends: np.ndarray, size: int,
                  bin_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The (bin, target) pairs labelled 1 on one chromosome.

    Args:
        targets: int ``[K]`` target index of each peak; ``starts``, ``ends``: int64 ``[K]`` peaks
            on this chromosome (any order, overlaps allowed); ``size``: chromosome length.

    Returns:
        ``(bins, targets)``: int64 ``[P]`` each, for bins with more than half of their bases in
        the target's (merged) peaks, sorted by target then bin.
    """
    n_bins = size // bin_size
    stride = n_bins + 1  # bins per target on one number line: targets never touch
    offset = np.asarray(targets, dtype=np.int64) * stride * bin_size
    merged = merge(offset + starts, offset + ends)
    keys, bases = covered_bins(*merged, bin_size)
    keys = keys[2 * bases > bin_size]
    bins, which = keys % stride, keys // stride
    inside = bins < n_bins
    return bins[inside], which[inside]


def choose_bins(candidates: np.ndarray, positive: np.ndarray | None, ratio: float,
                rng: np.random.Generator) -> np.ndarray:
    """The bins kept on one chromosome, sorted (int64).

    Args:
        candidates: bool ``[n_bins]`` from :func:`candidate_bins`.
        positive: bin indices with at least one label (may repeat), or None to keep every
            candidate (coverage targets without peak files).
        ratio: all-negative candidates drawn per kept positive bin (all of them if fewer).
    """
    if positive is None:
        return np.flatnonzero(candidates)
    labelled = np.zeros(len(candidates), dtype=bool)
    labelled[positive] = True
    kept = np.flatnonzero(candidates & labelled)
    if ratio > 0:
        pool = np.flatnonzero(candidates & ~labelled)
        count = min(len(pool), int(round(ratio * len(kept))))
        kept = np.union1d(kept, rng.choice(pool, size=count, replace=False))
    return kept


def label_rows(kept: np.ndarray, bins: np.ndarray, targets: np.ndarray, n_targets: int) -> np.ndarray:
    """Dense 0/1 labels of the kept bins: float32 ``[len(kept), n_targets]`` from the positive
    (bin, target) pairs of :func:`positive_bins`."""
    labels = np.zeros((len(kept), n_targets), dtype=np.float32)
    rows = np.searchsorted(kept, bins)
    found = rows < len(kept)
    found[found] = kept[rows[found]] == bins[found]
    labels[rows[found], targets[found]] = 1.0
    return labels


def transform(values: np.ndarray, name: str) -> np.ndarray:
    """Apply a coverage transform: 'none', 'log1p' (log(1 + x)) or 'asinh'."""
    if name == "log1p":
        return np.log1p(values)
    if name == "asinh":
        return np.arcsinh(values)
    return values
