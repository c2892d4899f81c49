"""Peak files as arrays: BED3+ / narrowPeak intervals, sample sheets, and chromosome-name checks.

:func:`read_peaks` keeps columns 1-3 of any BED-like file (BED3, BED6, narrowPeak, broadPeak),
in any order: the callers sort. A sample sheet is a TSV ``name<TAB>path`` naming each target.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, NamedTuple

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.io.files import numbered_lines, open_text

_SKIP = ("#", "track", "browser")


class Peaks(NamedTuple):
    """Intervals of one file: ``chroms`` str ``[K]``, ``starts``/``ends`` int64 ``[K]`` (0-based,
    half-open), ``lines`` int64 ``[K]`` (1-based line of each, for errors)."""

    chroms: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray


def read_peaks(path: str | os.PathLike) -> Peaks:
    """Read the intervals of a BED3+ or narrowPeak file (plain or gzip).

    Blank, ``#``, ``track`` and ``browser`` lines are skipped; an empty file gives no intervals.

    Raises:
        MotifnetError: naming the file and line for fewer than 3 columns, coordinates that are not
            integers, or ``start < 0`` / ``end <= start``.
    """
    chroms, starts, ends, lines = [], [], [], []
    with open_text(path) as handle:
        for number, line in numbered_lines(handle, path):
            if not line.strip() or line.startswith(_SKIP):
                continue
            fields = line.split("\t", 3) if "\t" in line else line.split(None, 3)
            if len(fields) < 3:
                raise MotifnetError(f"a BED line needs at least 3 columns (chrom start end), got {len(fields)}",
                                    path=path, line=number)
            try:
                start, end = int(fields[1]), int(fields[2])
            except ValueError:
                raise MotifnetError("start and end must be integers", path=path, line=number) from None
            if not 0 <= start < end:
                raise MotifnetError("interval needs 0 <= start < end", path=path, line=number,
                                    record=f"{fields[0]}:{start}-{end}")
            chroms.append(fields[0])
            starts.append(start)
            ends.append(end)
            lines.append(number)
    return Peaks(np.asarray(chroms, dtype=str), np.asarray(starts, dtype=np.int64),
                 np.asarray(ends, dtype=np.int64), np.asarray(lines, dtype=np.int64))


def check_peaks(peaks: Peaks, sizes: dict[str, int], path: str | os.PathLike) -> None:
    """Every interval lies on a chromosome of the genome and inside it.

    Raises:
        MotifnetError: chromosomes not in the genome (named, with a fix when only a 'chr' prefix
            differs), or the first interval past its chromosome's end (file, line, record).
    """
    check_chromosomes(np.unique(peaks.chroms), sizes, path)
    lengths = np.array([sizes[c] for c in peaks.chroms], dtype=np.int64) if len(peaks.chroms) else np.zeros(0, np.int64)
    past = np.flatnonzero(peaks.ends > lengths)
    if len(past):
        i = past[0]
        raise MotifnetError(f"interval ends past its chromosome's end (length {lengths[i]}); "
                            f"{len(past)} such interval(s): were these peaks called on another assembly?",
                            path=path, line=int(peaks.lines[i]),
                            record=f"{peaks.chroms[i]}:{peaks.starts[i]}-{peaks.ends[i]}")


def check_chromosomes(names: Iterable[str], sizes: dict[str, int], path: str | os.PathLike, what: str = "") -> None:
    """Raise when some of ``names`` are not chromosomes of the genome.

    Raises:
        MotifnetError: naming up to 5 missing chromosomes and, when adding or dropping a 'chr'
            prefix would match the genome, saying so (e.g. 'chr1' vs '1').
    """
    missing = sorted(str(name) for name in set(names) - set(sizes))
    if not missing:
        return
    shown = ", ".join(repr(m) for m in missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    renamed = [m[3:] if m.startswith("chr") else f"chr{m}" for m in missing]
    if all(r in sizes for r in renamed):
        example = f"{missing[0]!r} is {renamed[0]!r} there"
        hint = (f"; the genome names them without 'chr' ({example}): strip it, e.g. sed 's/^chr//'"
                if missing[0].startswith("chr") else
                f"; the genome names them with 'chr' ({example}): add it, e.g. sed 's/^/chr/'")
    else:
        some = ", ".join(repr(s) for s in list(sizes)[:3]) + (", ..." if len(sizes) > 3 else "")
        hint = f"; the genome has {len(sizes)} chromosome(s) ({some}): is it the assembly the file was made on?"
    raise MotifnetError(f"{what}chromosome(s) {shown} not in the genome{hint}", path=path)


def read_sample_sheet(path: str | os.PathLike) -> list[tuple[str, Path]]:
    """Read a TSV sample sheet ``name<TAB>path`` (one target a line; a first line ``name<TAB>path``
    is a header; ``#`` lines skipped). Relative paths are relative to the sheet's folder.

    Raises:
        MotifnetError: a line without two tab-separated fields, a missing file, or no rows.
    """
    rows = []
    with open_text(path) as handle:
        for number, line in numbered_lines(handle, path):
            if not line.strip() or line.startswith("#"):
                continue
            fields = [field.strip() for field in line.rstrip("\n").split("\t")]
            if len(fields) < 2 or not fields[0] or not fields[1]:
                raise MotifnetError("a sample sheet line needs 2 tab-separated fields: name<TAB>path",
                                    path=path, line=number)
            if not rows and fields[:2] == ["name", "path"]:
                continue
            file = Path(fields[1]).expanduser()
            file = file if file.is_absolute() else Path(path).parent / file
            if not file.is_file():
                raise MotifnetError(f"no such file {str(file)!r} for target {fields[0]!r}", path=path, line=number)
            rows.append((fields[0], file))
    if not rows:
        raise MotifnetError("empty sample sheet: no name<TAB>path rows", path=path)
    return rows


def file_targets(paths: Iterable[str | os.PathLike]) -> list[tuple[str, Path]]:
    """``(name, path)`` for each file, the name being the file name without ``.gz`` and its suffix
    (``K562_CTCF.narrowPeak.gz`` -> ``K562_CTCF``)."""
    out = []
    for path in paths:
        name = Path(path).name
        name = name[:-3] if name.lower().endswith(".gz") else name
        out.append((Path(name).stem or name, Path(path)))
    return out


def check_unique(targets: list[tuple[str, Path]]) -> None:
    """Raise when two targets share a name.

    Raises:
        MotifnetError: naming the name and both files (rename one, or give a sample sheet).
    """
    seen: dict[str, Path] = {}
    for name, path in targets:
        if name in seen:
            raise MotifnetError(f"target name {name!r} is given twice ({seen[name]} and {path}); "
                                "rename a file or name the targets in a sample sheet (--sample-sheet)")
        seen[name] = path
