"""bigWig output: binary, indexed, zoomable score tracks for genome browsers (through pyBigWig).

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
