"""FASTA reading (streaming, plain or gzip) and writing; labels from headers or one file per class."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from motifnet.data import SeqData
from motifnet.errors import MotifnetError
from motifnet.io.files import atomic_write, open_text, whole_line_blocks
from motifnet.io.records import RecordBuilder
from motifnet.sequence import decode

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fas", ".ffn", ".frn")
DEFAULT_LABEL_PATTERN = r"(?:class|label)\s*[:=]\s*([^\s;,|]+)"
"""Finds ``class:1``, ``class=0``, ``label=2.5``, ``label: bound`` anywhere in a header."""

_INVALID_CHAR = re.compile(r"[^ACGTUNRYSWKMBDHVacgtunryswkmbdhv.\-\s]")
_VALID_OR_NEWLINE = b"ACGTUNRYSWKMBDHVacgtunryswkmbdhv.-\n"
BLOCK_SIZE = 1 << 18
"""Characters read at a time by :func:`iter_fasta_records`."""
_COORDINATES = re.compile(
    r"^(?P<chrom>[^\s,:;()]+)(?:,(?P<strand>[+-]))?[,:](?P<start>\d+)[,-](?P<end>\d+)(?:\((?P<strand2>[+.-])\))?;?$",
    re.MULTILINE,
)
_NEGATIVE_NAME = re.compile(r"neg|background|control|shuf|unbound", re.IGNORECASE)


def iter_fasta_records(path: str | os.PathLike, validate: bool = True) -> Iterator[tuple[str, str, int]]:
    """Stream ``(header, sequence, header_line)`` from a FASTA file (gzip detected by content).

    The header is the text after '>' (stripped); the sequence has its lines joined, whitespace
    removed and case kept. Blank lines are skipped. The file is read in blocks of about 1 MB
    and each run of sequence lines is joined and checked by C-level string methods, so a
    genome streams at the speed of decompression; memory holds one record at a time.

    Raises:
        MotifnetError: an empty file, a sequence line before the first header, or (with
            ``validate``) a character that is not a nucleotide or IUPAC code, naming the line.
    """
    header: str | None = None
    header_line = 0
    parts: list[str] = []
    with open_text(path) as handle:
        for line, text in whole_line_blocks(handle, path, size=BLOCK_SIZE):
            pieces = _split_records(text, line)
            spaces = _check(pieces, path, header) if validate else True
            for head, body, start, _ in pieces:
                if head is not None:
                    if header is not None:
                        yield header, "".join(parts), header_line
                    header, header_line, parts = head, start, []
                elif header is None and body and not body.isspace():
                    first = len(body) - len(body.lstrip())
                    raise MotifnetError(
                        "not FASTA: a sequence line comes before the first '>' header",
                        path=path, line=start + body.count("\n", 0, first),
                    )
                if body:
                    sequence = body.replace("\n", "")
                    parts.append("".join(sequence.split()) if spaces else sequence)
    if header is None:
        raise MotifnetError("empty file: no FASTA records", path=path)
    yield header, "".join(parts), header_line


def _split_records(text: str, line: int) -> list[tuple[str | None, str, int, int]]:
    """Whole lines of FASTA -> ``(header or None, sequence lines, first line number, line count)``
    per record start (the first piece may continue the previous block's record)."""
    pieces = text.split("\n>")
    out = []
    last = len(pieces) - 1
    for k, piece in enumerate(pieces):
        count = piece.count("\n") + (k < last)
        if k > 0 or piece.startswith(">"):
            head, _, body = piece.partition("\n")
            out.append(((head[1:] if k == 0 else head).strip(), body, line, count))
        else:
            out.append((None, piece, line, count))
        line += count
    return out


def _check(pieces: list[tuple[str | None, str, int, int]], path, header: str | None) -> bool:
    """Whether the sequence lines hold whitespace other than line ends (spaces, tabs, CR).

    Raises:
        MotifnetError: naming the line of the first character that is not a nucleotide or IUPAC code.
    """
    joined = "".join(body for _, body, _, _ in pieces).encode("ascii", "replace")
    leftover = joined.translate(None, _VALID_OR_NEWLINE)
    if not leftover or leftover.isspace():
        return bool(leftover)
    for head, body, start, _ in pieces:
        header = head if head is not None else header
        if header is None:
            continue  # text before the first header: iter_fasta_records says so
        bad = _INVALID_CHAR.search(body)
        if bad:
            offset = 1 if head is not None else 0
            raise MotifnetError(
                f"character {bad.group()!r} is not a nucleotide or IUPAC code "
                "(expected A, C, G, T/U, N or R Y S W K M B D H V)",
                path=path, line=start + offset + body.count("\n", 0, bad.start()), record=_record_id(header or ""),
            )
    return True


def _record_id(header: str) -> str:
    words = header.split(maxsplit=1)
    return words[0] if words else header


def iter_fasta(path: str | os.PathLike, validate: bool = True) -> Iterator[tuple[str, str]]:
    """Stream ``(id, sequence)`` records of a FASTA file of any size, plain or gzip.

    ``id`` is the first word of the header. Memory holds one record at a time.

    Raises:
        MotifnetError: see :func:`iter_fasta_records`.
    """
    for header, sequence, _ in iter_fasta_records(path, validate):
        yield _record_id(header), sequence


def read_fasta(
    path: str | os.PathLike,
    *,
    alphabet: str | None = None,
    label_pattern: str | None = DEFAULT_LABEL_PATTERN,
    label: float | str | None = None,
    task: str | None = None,
    coordinates: bool = True,
) -> SeqData:
    """Read a FASTA file into SeqData, labels taken from the headers.

    Args:
        path: FASTA or gzipped FASTA.
        alphabet: 'DNA' or 'RNA' (default: RNA if the sequences hold U and no T).
        label_pattern: a regular expression whose first group is the label (default finds
            ``class:1`` or ``label=0.5``). If no header matches, every record is a positive
            (binary, label 1); if some headers match and some do not, that is an error. None:
            ignore headers (all positives).
        label: one label for every record instead (e.g. 1 for a file of positives).
        task: force a task; otherwise chosen from the labels (see :mod:`motifnet.io.records`).
        coordinates: add annotations chrom/start/end/strand when every id is a coordinate
            (see :func:`header_coordinates`; about 2 us per record).

    Raises:
        MotifnetError: naming the file and line for an empty file, a missing header, an invalid
            character, an empty sequence, or a missing or non-numeric label.
    """
    pattern = re.compile(label_pattern) if label_pattern and label is None else None
    builder = _fasta_builder(path, pattern)
    if coordinates:
        builder.annotations.update(header_coordinates(builder.ids))
    return builder.build(task=task, alphabet=alphabet, label=label)


def header_coordinates(ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Annotations ``chrom``, ``start``, ``end`` (and ``strand``) parsed from record ids such as
    ``chr1,+,368294,368394;`` (RBP-31) or ``chr1:100-200`` / ``chr1:100-200(-)`` (bedtools),
    if every id has that form; otherwise ``{}``. Coordinates are kept as written."""
    if not ids or not _COORDINATES.fullmatch(ids[0]):
        return {}
    found = _COORDINATES.findall("\n".join(ids))  # anchored per line: all match or some are missing
    if len(found) != len(ids):
        return {}
    table = np.array(found)  # [N, 5] strings: chrom, strand, start, end, strand in brackets
    chrom, strand, start, end, strand2 = table.T
    out = {"chrom": chrom, "start": start.astype(np.int64), "end": end.astype(np.int64)}
    strands = np.char.add(strand, strand2).astype("<U1")  # at most one of the two is set
    if np.isin(strands, ("+", "-")).any():
        out["strand"] = np.where(strands == "", ".", strands)
    return out


def _fasta_builder(path: str | os.PathLike, pattern: re.Pattern | None) -> RecordBuilder:
    builder = RecordBuilder(path, ["label"] if pattern else ())
    first_missing: tuple[int, str] | None = None
    ids: list[str] = []
    sequences: list[str] = []
    lines: list[int] = []
    labels: list[str] = []
    for header, sequence, line in iter_fasta_records(path):
        ids.append(_record_id(header))
        sequences.append(sequence)
        lines.append(line)
        if pattern is not None:
            found = pattern.search(header)
            labels.append(found.group(1) if found else "")
            if not found and first_missing is None:
                first_missing = (line, ids[-1])
        if len(ids) >= 8192:
            builder.add_many(ids, sequences, lines, [labels])
            ids, sequences, lines, labels = [], [], [], []
    builder.add_many(ids, sequences, lines, [labels])
    if pattern is not None and first_missing is not None:
        if all(not row[0] for row in builder.labels):
            builder.label_names, builder.labels = [], []  # no header has a label: all positives
        else:
            line, record = first_missing
            raise MotifnetError(f"label missing in header (pattern {pattern.pattern!r})", path=path, line=line, record=record)
    return builder


def read_fasta_classes(
    paths: Sequence[str | os.PathLike] | dict[str, str | os.PathLike],
    *,
    alphabet: str | None = None,
) -> SeqData:
    """Read one FASTA file per class.

    Two files give a binary task: the file whose name says neg/background/control/shuf/unbound
    (:func:`negative_index`) is class 0, the other 1. More files (or a dict
    ``{class_name: path}``) give a multiclass task, classes in the order given, named by the
    dict keys or the file names without suffixes. An annotation 'file' records where each
    sequence came from. The alphabet (default) is RNA if the files hold U and none holds T.

    Raises:
        MotifnetError: fewer than two files, two files of the same name, two files whose
            names do not tell which is negative (neither or both look negative), one file in U
            and another in T without ``alphabet``, or any error of :func:`read_fasta`.
    """
    from dataclasses import replace

    from motifnet.data import concatenate

    named = dict(paths) if isinstance(paths, dict) else {_stem(p): p for p in paths}
    if len(named) != len(paths):
        stems = [_stem(p) for p in paths]
        clash = next(stem for stem in stems if stems.count(stem) > 1)
        raise MotifnetError(f"one file per class: two files are named {clash!r}; pass {{class: path}} instead")
    if len(named) < 2:
        raise MotifnetError("one file per class needs at least two files")
    binary = len(named) == 2 and not isinstance(paths, dict)
    positive_index = 1 - negative_index(list(named.values())) if binary else None
    builders = [_fasta_builder(p, None) for p in named.values()]
    if alphabet is None:
        alphabet = joint_alphabet({str(p): builder.letters() for p, builder in zip(named.values(), builders)})
    parts = [builder.build(alphabet=alphabet) for builder in builders]
    names = list(named)
    if binary:
        labelled = [
            replace(part, targets=np.full((len(part), 1), float(k == positive_index), np.float32),
                    target_names=["bound"], alphabet=alphabet)
            for k, part in enumerate(parts)
        ]
    else:
        labelled = [
            replace(part, targets=np.full(len(part), k, np.int64), task="multiclass", target_names=names,
                    alphabet=alphabet)
            for k, part in enumerate(parts)
        ]
    labelled = [
        replace(part, annotations={"file": np.full(len(part), Path(p).name)})
        for part, p in zip(labelled, named.values())
    ]
    return concatenate(labelled)


def negative_index(paths: Sequence[str | os.PathLike]) -> int:
    """Which of two files is the negatives: the one whose name says
    neg/background/control/shuf/unbound.

    Raises:
        MotifnetError: neither or both names say so (asking for explicit labels).
    """
    negative = [bool(_NEGATIVE_NAME.search(_stem(p))) for p in paths]
    if sum(negative) != 1:
        names = " ".join(Path(p).name for p in paths)
        raise MotifnetError(
            f"cannot tell which of {names} is the negatives ({'both' if all(negative) else 'neither'} named "
            f"neg/background/control/shuf/unbound); give the labels: {Path(paths[0]).name}=1 {Path(paths[1]).name}=0"
        )
    return negative.index(True)


def joint_alphabet(letters: dict[str, tuple[bool, bool]]) -> str:
    """The alphabet of several files from ``{path: (has_u, has_t)}``: RNA if some hold U and
    none holds T, else DNA.

    Raises:
        MotifnetError: one file holds U and another T.
    """
    with_u = [path for path, (u, _) in letters.items() if u]
    with_t = [path for path, (_, t) in letters.items() if t]
    if with_u and with_t:
        raise MotifnetError(f"{with_u[0]} holds U but {with_t[0]} holds T; pass --alphabet RNA "
                            "(alphabet='RNA': T read as U) if both are RNA")
    return "RNA" if with_u else "DNA"


def _stem(path: str | os.PathLike) -> str:
    name = Path(path).name
    if name.endswith(".gz"):
        name = name[:-3]
    return name.rsplit(".", 1)[0] if "." in name else name


def write_fasta(
    path: str | os.PathLike,
    records: Iterable[tuple[str, str]] | SeqData,
    line_width: int = 60,
    with_labels: bool = True,
) -> Path:
    """Write records ``(id, sequence)`` or a SeqData as FASTA (gzip if ``path`` ends in .gz), atomically.

    A SeqData's records are written at their true lengths; ``with_labels`` appends
    ``label=..`` to each header when it has one target (or classes), so
    that :func:`read_fasta` reads it back.

    Raises:
        MotifnetError: the file cannot be written.
    """
    if isinstance(records, SeqData):
        records = _seqdata_records(records, with_labels)
    width = line_width if line_width > 0 else None
    with atomic_write(path) as handle:
        for record_id, sequence in records:
            handle.write(f">{record_id}\n")
            step = width or max(len(sequence), 1)
            for begin in range(0, len(sequence), step):
                handle.write(sequence[begin : begin + step])
                handle.write("\n")
    return Path(path)


def _seqdata_records(data: SeqData, with_labels: bool) -> Iterator[tuple[str, str]]:
    labelled = (
        with_labels
        and (data.task == "multiclass" or data.n_targets == 1)
        and not np.isnan(np.asarray(data.targets, dtype=float)).all()
    )
    for i in range(len(data)):
        sequence = decode(data.tokens[i, : int(data.lengths[i])], data.alphabet)
        header = str(data.ids[i])
        if labelled:
            target = data.targets[i]
            if data.task == "multiclass":
                header += f" label={data.target_names[int(target)]}"
            else:
                header += f" label={float(target[0]):g}"
        yield header, sequence
