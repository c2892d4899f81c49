"""Readers and writers of sequence and interval files, and :func:`read_data` to read any of them.

>>> from motifnet.io import read_data
>>> data = read_data("ARID3A_AC.seq.gz")                        # DeepBind table
>>> data = read_data("train.fa.gz", alphabet="RNA")             # labels from `class:1` headers
>>> data = read_data(["positives.fa", "negatives.fa"])          # one file per class
>>> data = read_labelled([("bound.fa", 1), ("other.fa", 0)])    # the same, labels given
>>> data = read_data("peaks.narrowPeak", genome="hg38.fa", width=101)
>>> data = read_data("store_folder")                            # a saved SeqData (memory-mapped)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
from motifnet.data import SeqData
from motifnet.errors import MotifnetError
from motifnet.io.fasta import (
    DEFAULT_LABEL_PATTERN,
    FASTA_SUFFIXES,
    iter_fasta,
    iter_fasta_records,
    read_fasta,
    read_fasta_classes,
    write_fasta,
)
from motifnet.io.files import atomic_write, is_gzipped, open_text
from motifnet.io.intervals import BED_SUFFIXES, open_genome, read_intervals
from motifnet.io.tables import TABLE_SUFFIXES, read_table, write_table

FORMATS = ("store", "fasta", "table", "bed")

__all__ = [
    "FORMATS", "DEFAULT_LABEL_PATTERN", "read_data", "read_labelled", "detect_format", "iter_fasta", "iter_fasta_records",
    "read_fasta", "read_fasta_classes", "write_fasta", "read_table", "write_table", "read_intervals",
    "open_genome", "open_text", "atomic_write", "is_gzipped",
]

_OPTIONS = {
    "fasta": {"label_pattern", "label", "task", "coordinates"},
    "table": {"sequence_column", "label_columns", "id_column", "annotation_columns", "delimiter", "label", "task"},
    "bed": {"genome", "width", "anchor", "edge", "stranded", "label_column", "label", "task"},
    "store": {"mmap"},
}


def detect_format(path: str | os.PathLike) -> str:
    """The format of ``path``: 'store' (a SeqData folder), 'fasta', 'table' or 'bed'.

    By suffix (``.gz`` ignored: .fa .fasta .fna .fas; .seq .tsv .csv .txt; .bed .narrowPeak),
    otherwise by content (a first line starting with '>' is FASTA; three tab-separated fields
    with integers in columns 2-3 are BED; other delimited text is a table).

    Raises:
        MotifnetError: missing path, a folder that is not a store, or an unrecognised file.
    """
    from motifnet.data import is_store

    path = Path(path)
    if path.is_dir():
        if is_store(path):
            return "store"
        raise MotifnetError("is a folder but not a motifnet data folder (no meta.json)", path=path)
    if not path.exists():
        raise MotifnetError("no such file", path=path)
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    if suffix in FASTA_SUFFIXES:
        return "fasta"
    if suffix in TABLE_SUFFIXES:
        return "table"
    if suffix in BED_SUFFIXES:
        return "bed"
    with open_text(path) as handle:
        first = next((line for line in handle if line.strip() and not line.startswith(("#", "track", "browser"))), "")
    if not first:
        raise MotifnetError("empty file", path=path)
    if first.startswith(">"):
        return "fasta"
    fields = first.rstrip("\n").split("\t")
    if len(fields) >= 3 and fields[1].isdigit() and fields[2].isdigit():
        return "bed"
    if "\t" in first or "," in first:
        return "table"
    raise MotifnetError("unrecognised format (expected FASTA, a table with a header, BED or a data folder)", path=path)


def read_data(
    path: str | os.PathLike | Sequence[str | os.PathLike] | dict[str, str | os.PathLike],
    *,
    format: str | None = None,
    alphabet: str | None = None,
    classes: bool | None = None,
    **options,
) -> SeqData:
    """Read any supported input into SeqData.

    Args:
        path: a file, a store folder, or several (a list, or ``{class: path}``). Several FASTA
            files are one file per class (:func:`motifnet.io.fasta.read_fasta_classes`); other
            inputs, or FASTA with ``classes=False``, are read alike and concatenated (with an
            annotation 'file' naming each record's file).
        format: one of :data:`FORMATS` (default: :func:`detect_format`).
        alphabet: 'DNA' or 'RNA' (default: detected, RNA if U and no T).
        classes: for several paths, whether each is one class (default: True for FASTA, a dict
            is always classes).
        **options: passed to the reader: FASTA ``label_pattern``, ``label``, ``task``,
            ``coordinates``; tables
            ``sequence_column``, ``label_columns``, ``id_column``, ``annotation_columns``,
            ``delimiter``, ``label``, ``task``; BED ``genome`` (required), ``width``, ``anchor``,
            ``edge``, ``stranded``, ``label_column``, ``label``, ``task``; store ``mmap``.
            Options set to None are ignored.

    Raises:
        MotifnetError: an unknown format or option, or any error of the reader (naming the
            file, line and record).
    """
    options = {key: value for key, value in options.items() if value is not None}
    if isinstance(path, (list, tuple, dict)):
        if len(path) == 1 and not isinstance(path, dict):
            return read_data(path[0], format=format, alphabet=alphabet, **options)
        if classes is None:
            classes = isinstance(path, dict) or all((format or detect_format(p)) == "fasta" for p in path)
        if not classes:
            from motifnet.data import concatenate

            parts = [read_data(p, format=format, alphabet=alphabet, **options) for p in path]
            return concatenate([_with_file(part, p) for part, p in zip(parts, path)])
        if options:
            raise MotifnetError(f"options {sorted(options)} do not apply to one FASTA file per class")
        return read_fasta_classes(path, alphabet=alphabet)
    format = format or detect_format(path)
    if format not in FORMATS:
        raise MotifnetError(f"unknown format {format!r}; expected one of {FORMATS}")
    unknown = set(options) - _OPTIONS[format]
    if unknown:
        raise MotifnetError(f"option(s) {sorted(unknown)} do not apply to {format} input", path=path)
    if format == "store":
        from motifnet.data import load

        data = load(path, **options)
        if alphabet is not None and data.alphabet != alphabet.upper():
            from dataclasses import replace

            data = replace(data, alphabet=alphabet)
        return data
    if format == "fasta":
        return read_fasta(path, alphabet=alphabet, **options)
    if format == "table":
        return read_table(path, alphabet=alphabet, **options)
    if "genome" not in options:
        raise MotifnetError("BED input needs a genome FASTA (genome=... / --genome)", path=path)
    return read_intervals(path, options.pop("genome"), alphabet=alphabet, **options)


def read_labelled(
    files: Sequence[tuple[str | os.PathLike, str | float]],
    *,
    format: str | None = None,
    alphabet: str | None = None,
    **options,
) -> SeqData:
    """Read several files with their labels given: ``[(path, label), ...]``.

    Labels 0 and 1 only: a binary task, every record of a file labelled as given (any format;
    labels in the files are ignored), annotation 'file'. Other labels are class names: one
    FASTA file per class, ``read_data({label: path})`` (multiclass, classes in the order given).

    Raises:
        MotifnetError: no files, a class name given twice, a ``label`` option as well, files
            of different alphabets (without ``alphabet``), or any error of :func:`read_data`.
    """
    from motifnet.data import concatenate

    if not files:
        raise MotifnetError("no input files")
    options = {key: value for key, value in options.items() if value is not None}
    labels = [str(label).strip() for _, label in files]
    if not all(_is_binary_label(label) for label in labels):
        if len(set(labels)) != len(labels):
            raise MotifnetError(f"class names given twice among {labels} (labels other than 0/1 are one class per file)")
        return read_data({label: path for label, (path, _) in zip(labels, files)}, format=format,
                         alphabet=alphabet, **options)
    if "label" in options:
        raise MotifnetError("a label for every record (label=...) and labels per file do not go together")
    parts = [read_data(path, format=format, alphabet=alphabet, label=str(int(float(label))), **options)
             for (path, _), label in zip(files, labels)]
    alphabets = {part.alphabet for part in parts}
    if len(alphabets) > 1:
        rna = next(path for (path, _), part in zip(files, parts) if part.alphabet == "RNA")
        dna = next(path for (path, _), part in zip(files, parts) if part.alphabet == "DNA")
        raise MotifnetError(f"{rna} is RNA (U) but {dna} is DNA (T); pass --alphabet RNA "
                            "(alphabet='RNA': T read as U) if both are RNA")
    return concatenate([_with_file(part, path) for part, (path, _) in zip(parts, files)])


def _with_file(part: SeqData, path: str | os.PathLike) -> SeqData:
    """``part`` with an annotation 'file': the name of ``path`` on every record."""
    from dataclasses import replace

    return replace(part, annotations={**part.annotations, "file": np.full(len(part), Path(path).name)})


def _is_binary_label(label: str) -> bool:
    try:
        return float(label) in (0.0, 1.0)
    except ValueError:
        return False
