"""bigWig files (through pyBigWig): writing score tracks; reading mean signal over fixed bins.

A scan at stride 1 of a human genome as bedGraph text is over 100 GB; as bigWig it is a few GB,
and IGV or the UCSC browser read it without loading it. Scores are written as fixed-step runs
(one value per window, ``step`` bases each), in the order the scan yields them.

>>> with bigwig_writer("scores.bw", [("chr1", 248956422), ...]) as add:
...     add("chr1", 50, 1, scores)          # scores[i] on [50 + i, 51 + i)
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from motifnet.atomic import publish, temporary_beside
from motifnet.errors import MotifnetError

BIGWIG_SUFFIXES = (".bw", ".bigwig")


def is_bigwig(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a bigWig file (by its suffix, any case)."""
    return Path(path).suffix.lower() in BIGWIG_SUFFIXES


@contextmanager
def bigwig_writer(path: str | os.PathLike,
                  chrom_sizes: Sequence[tuple[str, int]]) -> Iterator[Callable[[str, int, int, np.ndarray], None]]:
    """Write a bigWig under a temporary name beside ``path``; rename it into place on success.

    Yields ``add(chrom, start, step, values)``, which puts ``values[i]`` on ``[start + i step,
    start + (i + 1) step)``, clipped to the chromosome's end. Calls must come in the order of
    ``chrom_sizes`` and, within a chromosome, of increasing ``start``. If the block raises,
    nothing is left at ``path``.

    Raises:
        MotifnetError: the folder cannot be written.
    """
    import pyBigWig

    path = Path(path)
    sizes = dict(chrom_sizes)
    tmp = temporary_beside(path)
    handle = pyBigWig.open(str(tmp), "w")
    closed = False
    try:
        handle.addHeader([(name, int(size)) for name, size in chrom_sizes], maxZooms=10)

        def add(chrom: str, start: int, step: int, values: np.ndarray) -> None:
            values = np.asarray(values, dtype=np.float64)
            fit = max(0, min(len(values), (sizes[chrom] - start) // step))  # whole steps inside
            if fit:
                handle.addEntries(chrom, int(start), values=values[:fit], span=int(step), step=int(step))
            end = start + fit * step
            if fit < len(values) and end < sizes[chrom]:  # the last step, cut at the chromosome's end
                handle.addEntries([chrom], [int(end)], ends=[int(sizes[chrom])], values=[float(values[fit])])

        yield add
        handle.close()
        closed = True
        publish(tmp, path)
    except BaseException:
        if not closed:
            handle.close()
        tmp.unlink(missing_ok=True)
        raise


def open_bigwig(path: str | os.PathLike, sizes: dict[str, int], chroms: Sequence[str]):
    """Open a bigWig to read ``chroms`` of a genome whose chromosome lengths are ``sizes``.

    Raises:
        MotifnetError: not a readable bigWig, some of ``chroms`` missing from it (named, with the
            'chr' fix when that is the difference) or of another length there (another assembly).
    """
    import pyBigWig

    from motifnet.io.peaks import check_chromosomes

    try:
        handle = pyBigWig.open(str(path))
    except RuntimeError:
        handle = None
    if handle is None or not handle.isBigWig():
        raise MotifnetError("not a readable bigWig file", path=path)
    have = handle.chroms()
    check_chromosomes(chroms, have, path, what="the genome's ")
    wrong = [c for c in chroms if have[c] != sizes[c]]
    if wrong:
        raise MotifnetError(f"chromosome {wrong[0]!r} has length {have[wrong[0]]} in the bigWig but {sizes[wrong[0]]} "
                            "in the genome: is it the assembly the genome is?", path=path)
    return handle


def bin_means(handle, chrom: str, bins: np.ndarray, bin_size: int) -> np.ndarray:
    """Mean signal of each bin ``[k * bin_size, (k + 1) * bin_size)`` of ``chrom``, for ``k`` in
    ``bins`` (int ``[B]``); bases without data count as 0.

    Returns:
        float32 ``[B]``: exact sums over the bases (not the zoom levels) divided by ``bin_size``.
    """
    bins = np.asarray(bins, dtype=np.int64)
    if not len(bins):
        return np.zeros(0, dtype=np.float32)
    first, last = int(bins.min()), int(bins.max()) + 1
    sums = handle.stats(chrom, first * bin_size, last * bin_size, type="sum", nBins=last - first, exact=True)
    sums = np.array([0.0 if value is None else value for value in sums], dtype=np.float64)
    return (sums[bins - first] / bin_size).astype(np.float32)
