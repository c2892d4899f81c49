"""Tables of sequences: DeepBind ``.seq`` (``FoldID EventID seq Bound``) and general TSV/CSV.

A table has a header row naming its columns. One column holds the sequences; label columns
(one or many) become targets; an id column becomes record ids; a fold column (``FoldID``,
``fold``) and any other requested columns become annotations.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from motifnet.data import SeqData
from motifnet.errors import MotifnetError
from motifnet.io.files import atomic_write, open_text, whole_line_blocks
from motifnet.io.records import RecordBuilder
from motifnet.sequence import decode

TABLE_SUFFIXES = (".seq", ".tsv", ".csv", ".txt", ".tab")
SEQUENCE_COLUMNS = ("seq", "sequence", "sequences", "dna", "rna")
ID_COLUMNS = ("id", "eventid", "name", "record", "seq_id", "sequence_id")
FOLD_COLUMNS = ("foldid", "fold")
LABEL_COLUMNS = ("bound", "label", "labels", "class", "target", "y")
BLOCK_SIZE = 1 << 18
"""Characters read at a time by :func:`read_table`."""


def _pick(header: list[str], wanted: Sequence[str]) -> str | None:
    lower = {name.lower(): name for name in header}
    return next((lower[w] for w in wanted if w in lower), None)


def read_table(
    path: str | os.PathLike,
    *,
    sequence_column: str | None = None,
    label_columns: Sequence[str] | str | None = None,
    id_column: str | None = None,
    annotation_columns: Sequence[str] = (),
    delimiter: str | None = None,
    alphabet: str | None = None,
    label: float | str | None = None,
    task: str | None = None,
) -> SeqData:
    """Read a DeepBind ``.seq`` or TSV/CSV table (plain or gzip) into SeqData.

    Args:
        path: the table; its first line names the columns.
        sequence_column: default: the column named seq/sequence (case-insensitive).
        label_columns: one name, several names, or ``[]`` for none (all positives). Default: the column
            named Bound/label/class/target/y if there is one, otherwise every column (other than
            sequence, id, fold and annotations) whose first value is a number.
        id_column: default: id/EventID/name (else ``row<line>``).
        annotation_columns: extra columns kept as ``annotations`` (FoldID/fold is kept as 'fold').
        delimiter: default: tab if the header has one, else ',' for .csv, else whitespace.
        alphabet, label, task: as in :func:`motifnet.io.fasta.read_fasta`.

    Raises:
        MotifnetError: naming the file and line for an empty file, a missing column, a row with
            the wrong number of fields, an invalid character, or a missing or non-numeric label.
    """
    with open_text(path) as handle:
        first = handle.readline()
        header_line = 1
        while first and not first.strip():
            first, header_line = handle.readline(), header_line + 1
        if not first:
            raise MotifnetError("empty file: expected a header row naming the columns", path=path)
        if delimiter is None:
            delimiter = "\t" if "\t" in first else ("," if "," in first else None)
        header = _split(first, delimiter)
        columns = _columns(path, header, header_line, sequence_column, label_columns, id_column, annotation_columns, handle, delimiter)
        seq_at, id_at, label_at, annotation_at = columns
        label_names = [header[k] for k in label_at]
        builder = RecordBuilder(path, label_names)
        width = len(header)
        for start, text in whole_line_blocks(handle, path, start=header_line + 1, size=BLOCK_SIZE):
            columns, numbers = _split_block(text, start, delimiter, width, path)
            if not numbers:
                continue
            builder.add_many(
                _stripped(columns[id_at]) if id_at is not None else [f"row{n}" for n in numbers],
                _stripped(columns[seq_at]),
                numbers,
                [columns[k] for k in label_at],
                {name: _stripped(columns[k]) for name, k in annotation_at.items()},
            )
    return builder.build(task=task, alphabet=alphabet, label=label)


def _split_block(
    text: str, start: int, delimiter: str | None, width: int, path
) -> tuple[list[Sequence[str]], Sequence[int]]:
    """Whole lines -> ``(columns, line numbers)``.

    The fast path splits the whole block at once: each line end becomes an extra field holding
    a NUL marker, and the block is well-formed exactly when every ``width + 1``-th field is that
    marker. Otherwise (blank lines, a row of the wrong width, quoted CSV, whitespace-separated)
    the block is split line by line, which skips blank lines and names the first bad row.
    """
    if not text.endswith("\n"):
        text += "\n"
    n_lines = text.count("\n")
    if delimiter is not None and not (delimiter == "," and '"' in text) and "\x00" not in text:
        flat = text.replace("\n", f"{delimiter}\x00{delimiter}").split(delimiter)
        stride = width + 1
        if len(flat) == n_lines * stride + 1 and flat[width::stride].count("\x00") == n_lines:
            return [flat[k : len(flat) - 1 : stride] for k in range(width)], range(start, start + n_lines)
    rows, numbers = _split_rows(text.splitlines(True), start, delimiter, width, path)
    return (list(zip(*rows)) if rows else [[] for _ in range(width)]), numbers


def _stripped(values: Sequence[str]) -> list[str]:
    joined = "".join(values)
    return [v.strip() for v in values] if (" " in joined or "\r" in joined) else list(values)


def _split_rows(
    lines: list[str], start: int, delimiter: str | None, width: int, path
) -> tuple[list[list[str]], Sequence[int]]:
    """Split lines into fields; skip blank lines; raise naming the line of a row with the wrong width."""
    if delimiter is None:
        rows = [line.split() for line in lines]
    elif delimiter == "," and any('"' in line for line in lines):
        rows = list(csv.reader(lines))
    else:
        rows = [line.rstrip("\n").split(delimiter) for line in lines]
    numbers: Sequence[int] = range(start, start + len(lines))
    if all(len(row) == width for row in rows):
        return rows, numbers
    kept, kept_numbers = [], []
    for number, line, row in zip(numbers, lines, rows):
        if not line.strip():
            continue
        if len(row) != width:
            raise MotifnetError(f"{len(row)} fields, but the header names {width} columns", path=path, line=number)
        kept.append(row)
        kept_numbers.append(number)
    return kept, kept_numbers


def _split(line: str, delimiter: str | None) -> list[str]:
    line = line.rstrip("\n")
    if not line.strip():
        return []
    if delimiter is None:
        return line.split()
    if delimiter == "," and '"' in line:
        return next(csv.reader([line]))
    return line.split(delimiter)


def _columns(path, header, header_line, sequence_column, label_columns, id_column, annotation_columns, handle, delimiter):
    def index(name: str, role: str) -> int:
        if name not in header:
            raise MotifnetError(f"no {role} column {name!r}; the header has {header}", path=path, line=header_line)
        return header.index(name)

    sequence_column = sequence_column or _pick(header, SEQUENCE_COLUMNS)
    if sequence_column is None:
        raise MotifnetError(
            f"no sequence column (expected one named seq or sequence; the header has {header})",
            path=path, line=header_line,
        )
    seq_at = index(sequence_column, "sequence")
    id_column = id_column or _pick(header, ID_COLUMNS)
    id_at = index(id_column, "id") if id_column else None
    annotation_at = {name: index(name, "annotation") for name in annotation_columns}
    fold = _pick(header, FOLD_COLUMNS)
    if fold is not None and "fold" not in annotation_at:
        annotation_at["fold"] = header.index(fold)
    used = {seq_at, id_at, *annotation_at.values()}
    if isinstance(label_columns, str):
        label_columns = [label_columns]
    if label_columns is None:
        named = _pick(header, LABEL_COLUMNS)
        if named is not None:
            label_columns = [named]
        else:
            position = handle.tell() if handle.seekable() else None
            sample = _split(handle.readline(), delimiter) if position is not None else []
            if position is not None:
                handle.seek(position)
            label_columns = [
                header[k] for k in range(len(header))
                if k not in used and k < len(sample) and _is_number(sample[k])
            ]
    label_at = [index(name, "label") for name in label_columns]
    return seq_at, id_at, label_at, annotation_at


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_table(path: str | os.PathLike, data: SeqData, delimiter: str | None = None) -> Path:
    """Write SeqData as a table (columns id, seq, annotations, one column per target), atomically.

    ``delimiter`` defaults to ',' for .csv(.gz) and tab otherwise; gzip if ``path`` ends in .gz.
    Multiclass targets are written as class names in a column 'class'. Read it back with
    :func:`read_table` (``task='multiclass'`` for class names that are not integers).

    Raises:
        MotifnetError: the file cannot be written, or a value contains the delimiter.
    """
    name = str(path)[:-3] if str(path).endswith(".gz") else str(path)
    delimiter = delimiter or ("," if name.endswith(".csv") else "\t")
    annotations = [key for key in data.annotations if key not in ("id", "seq")]
    unlabeled = data.task != "multiclass" and bool(np.isnan(np.asarray(data.targets, dtype=float)).all())
    target_columns = ["class"] if data.task == "multiclass" else ([] if unlabeled else list(data.target_names))
    header = ["id", "seq", *annotations, *target_columns]
    with atomic_write(path) as handle:
        handle.write(delimiter.join(header) + "\n")
        for i in range(len(data)):
            if data.task == "multiclass":
                targets = [data.target_names[int(data.targets[i])]]
            else:
                targets = [] if unlabeled else [f"{float(v):g}" for v in data.targets[i]]
            row = [str(data.ids[i]), decode(data.tokens[i, : int(data.lengths[i])], data.alphabet)]
            row += [str(data.annotations[key][i]) for key in annotations] + targets
            if any(delimiter in value for value in row):
                raise MotifnetError(f"value contains the delimiter {delimiter!r}", path=path, record=str(data.ids[i]))
            handle.write(delimiter.join(row) + "\n")
    return Path(path)
