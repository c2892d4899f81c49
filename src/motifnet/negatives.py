"""Negatives for positive-only data (e.g. ChIP-seq peaks), made as DeepBind did.

``dinuc-shuffle``: each positive is shuffled keeping its dinucleotide counts exactly
(Altschul & Erikson 1985; :func:`motifnet.sequence.dinucleotide_shuffle`, compiled with numba), so a model
cannot separate the classes by base or pair composition and must learn the motif. Seeded: the same seed gives
the same negatives.
"""

from __future__ import annotations

import numpy as np

from motifnet.data import SeqData, concatenate
from motifnet.errors import MotifnetError
from motifnet.sequence import dinucleotide_shuffle

METHODS = ("dinuc-shuffle",)


def check_method(method: str) -> str:
    """Return ``method`` if known.

    Raises:
        MotifnetError: an unknown method.
    """
    if method not in METHODS:
        raise MotifnetError(f"unknown negatives method {method!r}; expected one of {METHODS}")
    return method


def positives_of(data: SeqData) -> SeqData:
    """The rows labelled 1 of binary data.

    Raises:
        MotifnetError: the data are not binary, or hold no positives.
    """
    if data.task != "binary":
        raise MotifnetError(f"negatives can only be made for binary data, not {data.task}")
    rows = np.flatnonzero(np.asarray(data.targets[:, 0]) > 0.5)
    if len(rows) == 0:
        raise MotifnetError("no positive sequences (label 1) to make negatives from")
    return data if len(rows) == len(data) else data.subset(rows)


def make_negatives(positives: SeqData, seed: int = 0, method: str = "dinuc-shuffle") -> SeqData:
    """One shuffled copy of each sequence, labelled 0 (ids get the suffix ``_shuf``).

    Args:
        positives: binary SeqData (all rows are shuffled, whatever their label).
        seed: seed of the shuffle.
        method: "dinuc-shuffle".

    Returns:
        A SeqData of the same size, task, alphabet and target names, targets all 0.
    """
    check_method(method)
    tokens = dinucleotide_shuffle(np.asarray(positives.tokens), np.asarray(positives.lengths), seed=seed)
    return SeqData(
        tokens=tokens,
        targets=np.zeros_like(np.asarray(positives.targets)),
        task=positives.task,
        target_names=positives.target_names,
        ids=np.char.add(positives.ids.astype(str), "_shuf"),
        alphabet=positives.alphabet,
        lengths=np.asarray(positives.lengths).copy(),
    )


def with_negatives(data: SeqData, seed: int = 0, method: str = "dinuc-shuffle") -> SeqData:
    """The positives of ``data`` followed by one shuffled negative per positive."""
    positives = positives_of(data)
    stripped = SeqData(
        np.asarray(positives.tokens), np.asarray(positives.targets), positives.task, positives.target_names,
        positives.ids, positives.alphabet, np.asarray(positives.lengths),
    )
    return concatenate([stripped, make_negatives(stripped, seed=seed, method=method)])
