"""K-fold cross-validation splits: stratified by class, or by an annotation column (a fold
column, chromosomes) so that related sequences never sit on both sides of a split.

``fold_by``:

- ``"auto"`` (default): the ``fold`` annotation if it has at least K distinct values, else
  ``chrom`` if it has, else stratified;
- ``"stratified"``: seeded; each class (binary, multiclass) spread evenly over the folds, the
  fold sizes differing by at most one; multilabel and regression data are split at random;
- a column name (``fold``, ``chrom``, ...): whole groups of equal values per fold. With exactly K
  values each is a fold; with more, groups are dealt largest first to the smallest fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from motifnet.data import SeqData
from motifnet.errors import MotifnetError

AUTO_COLUMNS = ("fold", "chrom")


@dataclass
class Folds:
    """K held-out index arrays (sorted int64, disjoint, covering every row) and how they were made."""

    held_out: list[np.ndarray]
    by: str

    def __len__(self) -> int:
        return len(self.held_out)

    def splits(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(train rows, held-out rows)`` for each fold in turn."""
        everything = np.concatenate(self.held_out)
        for held in self.held_out:
            yield np.sort(np.setdiff1d(everything, held, assume_unique=True)), held


def kfold(data: SeqData, k: int, fold_by: str = "auto", seed: int = 0) -> Folds:
    """Split the rows of ``data`` into ``k`` folds (see the module doc for ``fold_by``).

    Raises:
        MotifnetError: ``k < 2``, more folds than sequences, an unknown column, or a column
            with fewer than ``k`` distinct values.
    """
    if not isinstance(k, int) or k < 2:
        raise MotifnetError(f"cross-validation needs at least 2 folds, got {k}")
    if k > len(data):
        raise MotifnetError(f"{k} folds of {len(data)} sequences: give fewer folds or more data")
    column = _auto_column(data, k) if fold_by == "auto" else None if fold_by == "stratified" else fold_by
    if column is None:
        return Folds(_stratified(data, k, seed), "stratified" if data.class_labels() is not None else "random")
    if column not in data.annotations:
        raise MotifnetError(f"no annotation column {column!r} to make folds by; the data have "
                            f"{sorted(data.annotations) or 'none'} (or use fold_by 'stratified')")
    return Folds(_grouped(np.asarray(data.annotations[column]).astype(str), k, column), column)


def _auto_column(data: SeqData, k: int) -> str | None:
    for column in AUTO_COLUMNS:
        if column in data.annotations and len(np.unique(np.asarray(data.annotations[column]).astype(str))) >= k:
            return column
    return None


def _stratified(data: SeqData, k: int, seed: int) -> list[np.ndarray]:
    """Each class shuffled and dealt round-robin, continuing the deal across classes."""
    rng = np.random.default_rng(seed)
    labels = data.class_labels()
    groups = [np.arange(len(data))] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    fold_of = np.empty(len(data), dtype=np.int64)
    dealt = 0
    for group in groups:
        fold_of[rng.permutation(group)] = (dealt + np.arange(len(group))) % k
        dealt += len(group)
    return [np.flatnonzero(fold_of == f) for f in range(k)]


def _grouped(values: np.ndarray, k: int, column: str) -> list[np.ndarray]:
    names, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    if len(names) < k:
        raise MotifnetError(f"the {column!r} column has {len(names)} distinct value(s) "
                            f"({', '.join(names[:5])}), fewer than the {k} folds asked for")
    if len(names) == k:
        return [np.flatnonzero(inverse == g) for g in range(k)]
    sizes = np.zeros(k, dtype=np.int64)
    fold_of_group = np.empty(len(names), dtype=np.int64)
    for g in sorted(range(len(names)), key=lambda g: (-counts[g], names[g])):
        target = int(np.argmin(sizes))
        fold_of_group[g] = target
        sizes[target] += counts[g]
    fold_of = fold_of_group[inverse]
    return [np.flatnonzero(fold_of == f) for f in range(k)]


__all__ = ["AUTO_COLUMNS", "Folds", "kfold"]
