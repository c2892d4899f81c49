"""Motif-scanning baseline: FIMO hits of a PWM (e.g. a JASPAR matrix) along a genome.

The baseline a model scan is compared with: where does the known motif occur? Uses memelite's
FIMO (log-odds of the motif's probabilities, p-values from the exact score distribution) on
chunks of each record, overlapping by ``W - 1`` bases so that no hit is lost or doubled at
chunk edges. IUPAC codes are N (all-zero columns).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.io.files import atomic_write
from motifnet.sequence import encode, one_hot


@dataclass(frozen=True)
class MotifHit:
    """One FIMO hit: 0-based half-open ``[start, end)`` on ``record``, strand '+' or '-',
    log-odds ``score`` and ``pvalue``."""

    record: str
    start: int
    end: int
    strand: str
    score: float
    pvalue: float


def motif_hits(
    motif, records: Iterable[tuple[str, str]], pvalue: float = 1e-4, chunk_size: int = 1 << 20,
    both_strands: bool = True,
) -> Iterator[MotifHit]:
    """FIMO hits of ``motif`` (a :class:`motifnet.motifs.Motif`) with p-value <= ``pvalue``.

    Hits come per record, sorted by start. Records shorter than the motif have none.

    Raises:
        MotifnetError: ``pvalue`` outside (0, 1], an invalid character in a record.
    """
    from memelite import fimo

    if not 0.0 < pvalue <= 1.0:
        raise MotifnetError(f"p-value must be in (0, 1], got {pvalue}")
    pwm = np.asarray(motif.probabilities, dtype=np.float64)
    width = pwm.shape[1]
    for record, sequence in records:
        tokens = encode(sequence, record=record)
        found: list[MotifHit] = []
        for begin in range(0, max(0, len(tokens) - width + 1), chunk_size):
            piece = tokens[begin : begin + chunk_size + width - 1]
            if len(piece) < width:
                break
            frames = fimo({motif.id: pwm}, one_hot(piece[None]).numpy(), threshold=pvalue,
                          reverse_complement=both_strands)
            table = frames[0]
            if table is None or len(table) == 0:
                continue
            for start, end, strand, score, p in zip(table["start"], table["end"], table["strand"], table["score"],
                                                    table["p-value"]):
                if int(start) < chunk_size:
                    found.append(MotifHit(record, begin + int(start), begin + int(end), str(strand), float(score),
                                          float(p)))
        found.sort(key=lambda hit: (hit.start, hit.strand))
        yield from found


def write_hits_bed(path: str | os.PathLike, hits: Iterable[MotifHit], name: str) -> int:
    """Write hits as BED6+1 (chrom, start, end, name, score = rounded log-odds, strand, p-value),
    atomically; return the number of hits."""
    count = 0
    with atomic_write(path) as handle:
        for hit in hits:
            handle.write(f"{hit.record}\t{hit.start}\t{hit.end}\t{name}\t{hit.score:.3f}\t{hit.strand}\t{hit.pvalue:.3g}\n")
            count += 1
    return count


def load_motif(spec: str):
    """A motif from a JASPAR id or TF name (via :func:`motifnet.jaspar.fetch`) or a motif file
    path readable by :func:`motifnet.jaspar.resolve`.

    Raises:
        MotifnetError: unknown id or unreadable file.
    """
    from motifnet import jaspar

    motifs = jaspar.resolve([spec])
    if len(motifs) != 1:
        raise MotifnetError(f"expected one motif, {spec!r} gives {len(motifs)}")
    return motifs[0]
