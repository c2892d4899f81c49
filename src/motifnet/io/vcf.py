"""Reading VCF files (plain or gzip): the first five columns of each variant line.

Only what variant scoring needs is read: CHROM, POS (1-based), ID, REF and ALT (comma-separated
alleles). Meta lines (``##``) and the ``#CHROM`` header are skipped; the remaining columns are
ignored.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Iterator

from motifnet.errors import MotifnetError
from motifnet.io.files import open_text

_ALLELE = re.compile(r"^[ACGTNacgtn]+$")


@dataclass(frozen=True)
class VcfRecord:
    """One VCF line.

    Attributes:
        chrom: chromosome name; pos: 1-based position of the first REF base; id: the ID column
        ('.' if none); ref: the REF allele (upper case); alts: ALT alleles as written
        (upper case; symbolic ones such as ``<DEL>`` or ``*`` kept for reporting); line: line number.
    """

    chrom: str
    pos: int
    id: str
    ref: str
    alts: tuple[str, ...]
    line: int


def is_sequence_allele(allele: str) -> bool:
    """Whether an allele is spelled in bases (A, C, G, T, N), not symbolic (``<DEL>``, ``*``, ``.``)."""
    return bool(_ALLELE.match(allele))


def iter_vcf(path: str | os.PathLike) -> Iterator[VcfRecord]:
    """Stream the variant records of a VCF file.

    Raises:
        MotifnetError: (naming the file and line) fewer than 5 tab-separated columns, a POS that
            is not a positive integer, or a REF that is not spelled in A, C, G, T, N.
    """
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 5:
                raise MotifnetError(
                    f"a VCF line needs at least 5 tab-separated columns (CHROM POS ID REF ALT), got {len(fields)}",
                    path=path, line=number,
                )
            chrom, pos, vid, ref, alt = (f.strip() for f in fields[:5])
            if not pos.isdigit() or int(pos) < 1:
                raise MotifnetError(f"POS must be a positive integer, got {pos!r}", path=path, line=number)
            if not is_sequence_allele(ref):
                raise MotifnetError(f"REF must be spelled in A, C, G, T, N, got {ref!r}", path=path, line=number)
            yield VcfRecord(chrom, int(pos), vid or ".", ref.upper(), tuple(a.upper() for a in alt.split(",")), number)


def read_vcf(path: str | os.PathLike) -> list[VcfRecord]:
    """All records of a VCF file (see :func:`iter_vcf`)."""
    return list(iter_vcf(path))
