"""BED / narrowPeak intervals + a genome FASTA (pyfaidx) -> fixed-width windows as SeqData.

Each interval gives one window of ``width`` bases centred on its summit (narrowPeak column 10,
an offset from the start) or its centre; minus-strand intervals (column 6 '-') are reverse
complemented when ``stranded``. Annotations ``chrom``, ``start``, ``end`` (the window taken,
0-based half-open) and ``strand`` make chromosome splits possible
(``split_by_values(data, 'chrom', ['chr8'])``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from motifnet.data import SeqData
from motifnet.errors import MotifnetError
from motifnet.io.files import is_gzipped, numbered_lines, open_text
from motifnet.io.records import RecordBuilder
from motifnet.sequence import reverse_complement

BED_SUFFIXES = (".bed", ".narrowpeak", ".broadpeak", ".bedgraph")
ANCHORS = ("auto", "summit", "center")
EDGES = ("clip", "shift", "reject")


def open_genome(path: str | os.PathLike):
    """Open a genome FASTA with pyfaidx, building its ``.fai`` index beside it if missing.

    Returns:
        A ``pyfaidx.Fasta`` (raw string sequences).

    Raises:
        MotifnetError: the file is missing, gzip that is not bgzip, or the index cannot be
            built (read-only folder, lines of unequal length inside a record, not FASTA).
    """
    import pyfaidx

    path = Path(path)
    if not path.is_file():
        raise MotifnetError("no such genome file", path=path)
    fai = Path(f"{path}.fai")
    if not fai.exists() and not os.access(path.parent, os.W_OK):
        raise MotifnetError(
            "genome has no .fai index and its folder is read-only, so none can be built "
            "(copy the genome to a writable folder, or run `samtools faidx` there)",
            path=path,
        )
    try:
        return pyfaidx.Fasta(str(path), as_raw=True)
    except pyfaidx.UnsupportedCompressionFormat:
        raise MotifnetError(
            "genome is gzip but not bgzip, so it cannot be indexed (gunzip it, or recompress with bgzip)",
            path=path,
        ) from None
    except (pyfaidx.FastaIndexingError, pyfaidx.FastaNotFoundError, ValueError, OSError) as error:
        if is_gzipped(path):
            detail = "gzip genomes must be bgzip-compressed"
        else:
            detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        if fai.exists() and fai.stat().st_size == 0:
            fai.unlink()  # pyfaidx leaves an empty index behind when indexing fails
        raise MotifnetError(f"cannot index the genome: {detail}", path=path) from None


def read_intervals(
    path: str | os.PathLike,
    genome: str | os.PathLike,
    *,
    width: int | None = None,
    anchor: str = "auto",
    edge: str = "clip",
    stranded: bool = True,
    label_column: int | None = None,
    label: float | str | None = None,
    task: str | None = None,
    alphabet: str | None = None,
) -> SeqData:
    """Read BED/narrowPeak intervals as windows of ``genome``.

    Args:
        path: BED (3+ columns) or narrowPeak (10 columns), plain or gzip; ``#``, ``track`` and
            ``browser`` lines are skipped.
        genome: FASTA or bgzip FASTA (its ``.fai`` is built if missing).
        width: window width; None keeps each interval as it is.
        anchor: 'summit' (narrowPeak column 10, falling back to the centre where it is -1),
            'center', or 'auto' (summit when the file has a 10th column).
        edge: a window reaching past a chromosome end is 'clip'ped (shorter, padded with N),
            'shift'ed inside, or 'reject'ed (dropped, with a warning saying how many).
        stranded: reverse complement windows of '-' strand intervals (column 6).
        label_column: 1-based column holding a label per interval (e.g. 5 for the score).
        label, task, alphabet: as in :func:`motifnet.io.fasta.read_fasta`; by default every
            interval is a positive (binary, label 1).

    Raises:
        MotifnetError: naming the file and line for an empty file, a malformed line, an unknown
            chromosome or an interval outside its chromosome; or any :func:`open_genome` error.
    """
    if anchor not in ANCHORS:
        raise MotifnetError(f"unknown anchor {anchor!r}; expected one of {ANCHORS}")
    if edge not in EDGES:
        raise MotifnetError(f"unknown edge rule {edge!r}; expected one of {EDGES}")
    if width is not None and width < 1:
        raise MotifnetError(f"window width must be positive, got {width}")
    fasta = open_genome(genome)
    sizes = {name: len(record) for name, record in fasta.records.items()}
    builder = RecordBuilder(path, ["label"] if label_column else ())
    rejected = 0
    seen = False
    with fasta, open_text(path) as handle:
        for number, line in numbered_lines(handle, path):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            seen = True
            fields = line.rstrip("\n").split("\t") if "\t" in line else line.split()
            chrom, start, end, summit = _parse(fields, number, path, sizes)
            strand = fields[5] if len(fields) > 5 and fields[5] in "+-." else "."
            name = fields[3] if len(fields) > 3 and fields[3] not in ("", ".") else f"{chrom}:{start}-{end}({strand})"
            use_summit = anchor == "summit" or (anchor == "auto" and len(fields) >= 10)
            if width is None:
                lo, hi = start, end
            else:
                middle = start + summit if use_summit and summit >= 0 else (start + end) // 2
                lo = middle - width // 2
                hi = lo + width
                if lo < 0 or hi > sizes[chrom]:
                    if edge == "reject":
                        rejected += 1
                        continue
                    if edge == "shift" and sizes[chrom] >= width:
                        lo = min(max(lo, 0), sizes[chrom] - width)
                        hi = lo + width
                    else:
                        lo, hi = max(lo, 0), min(hi, sizes[chrom])
            sequence = str(fasta.faidx.fetch(chrom, lo + 1, hi))
            if stranded and strand == "-":
                sequence = reverse_complement(sequence)
            labels = ()
            if label_column:
                if label_column > len(fields):
                    raise MotifnetError(f"no column {label_column} for the label", path=path, line=number)
                labels = (fields[label_column - 1],)
            builder.add(name, sequence, number, labels, chrom=chrom, start=lo, end=hi, strand=strand)
    if not seen:
        raise MotifnetError("empty file: no intervals", path=path)
    if rejected:
        warnings.warn(f"{path}: {rejected} intervals rejected: their {width} bp window passes a chromosome end")
    if not len(builder):
        raise MotifnetError(f"all {rejected} intervals were rejected at chromosome ends", path=path)
    return builder.build(task=task, alphabet=alphabet, label=label)


def _parse(fields: list[str], number: int, path, sizes: dict[str, int]) -> tuple[str, int, int, int]:
    if len(fields) < 3:
        raise MotifnetError(f"a BED line needs at least 3 columns (chrom start end), got {len(fields)}", path=path, line=number)
    chrom = fields[0]
    try:
        start, end = int(fields[1]), int(fields[2])
        summit = int(fields[9]) if len(fields) >= 10 else -1
    except ValueError:
        raise MotifnetError("start, end (and summit) must be integers", path=path, line=number, record=chrom) from None
    if chrom not in sizes:
        raise MotifnetError(f"chromosome {chrom!r} is not in the genome", path=path, line=number)
    where = f"{chrom}:{start}-{end}"
    if not 0 <= start < end:
        raise MotifnetError("interval needs 0 <= start < end", path=path, line=number, record=where)
    if end > sizes[chrom]:
        raise MotifnetError(f"interval is outside its chromosome (length {sizes[chrom]})", path=path, line=number, record=where)
    if summit >= end - start:
        raise MotifnetError(f"summit offset {summit} lies outside the interval", path=path, line=number, record=where)
    return chrom, start, end, summit
