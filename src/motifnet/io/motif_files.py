"""Motif files: MEME minimal format (read and write), JASPAR / plain PFM, and TRANSFAC.

Every reader returns a list of :class:`motifnet.motifs.Motif` (rows A, C, G, T) and raises
:class:`motifnet.errors.MotifnetError` naming the file and line of the first problem. Files may
be gzipped. :func:`read_motifs` picks the reader from the extension or the content.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.io.files import atomic_write, open_text
from motifnet.motifs import Motif, background_vector

FORMATS = ("meme", "jaspar", "transfac")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _lines(path: str | os.PathLike) -> list[str]:
    with open_text(path) as handle:
        return handle.read().splitlines()


def _numbers(text: str, path, line: int, expected: int | None = None) -> list[float]:
    fields = text.split()
    bad = [f for f in fields if not _NUMBER.match(f)]
    if bad or not fields:
        raise MotifnetError(f"expected numbers, got {text.strip()!r}", path=path, line=line)
    if expected is not None and len(fields) != expected:
        raise MotifnetError(f"expected {expected} numbers, got {len(fields)}: {text.strip()!r}", path=path, line=line)
    return [float(f) for f in fields]


def _motif(matrix, id: str, name: str | None, path, line: int, **options) -> Motif:
    try:
        return Motif(np.asarray(matrix, dtype=float), id=id, name=name, **options)
    except MotifnetError as error:
        raise MotifnetError(error.message, path=path, line=line, record=id) from None


# ---------------------------------------------------------------------------------------------
# MEME minimal format


def read_meme(path: str | os.PathLike) -> list[Motif]:
    """Read every motif of a MEME (minimal or full text) file.

    Each ``MOTIF id [name]`` needs a ``letter-probability matrix:`` (``w=`` and ``nsites=`` are
    read when present) followed by W rows of 4 probabilities. DNA/RNA alphabets only.

    Raises:
        MotifnetError: a non-nucleotide alphabet, a bad or short matrix, or no motif (file and line).
    """
    lines = _lines(path)
    motifs: list[Motif] = []
    current: tuple[str, str | None, int] | None = None
    i = 0
    while i < len(lines):
        text = lines[i].strip()
        number = i + 1
        i += 1
        if text.startswith("ALPHABET="):
            letters = text.split("=", 1)[1].strip().upper()
            if letters not in ("ACGT", "ACGU"):
                raise MotifnetError(f"alphabet {letters!r} is not DNA (ACGT) or RNA (ACGU)", path=path, line=number)
        elif text.startswith("ALPHABET ") or text.startswith('ALPHABET"'):
            if not re.search(r"\b(DNA|RNA)\b", text.upper()):
                raise MotifnetError(f"only DNA or RNA alphabets are supported: {text!r}", path=path, line=number)
            while i < len(lines) and not lines[i].strip().upper().startswith("END ALPHABET"):
                i += 1
            i += 1
        elif text.startswith("MOTIF"):
            fields = text.split()
            if len(fields) < 2:
                raise MotifnetError("MOTIF line without an identifier", path=path, line=number)
            current = (fields[1], fields[2] if len(fields) > 2 else None, number)
        elif text.startswith("letter-probability matrix"):
            if current is None:
                raise MotifnetError("letter-probability matrix before any MOTIF line", path=path, line=number)
            options = dict(re.findall(r"(\w+)=\s*([^\s]+)", text.split(":", 1)[-1]))
            if options.get("alength", "4") != "4":
                raise MotifnetError(f"alength= {options['alength']}, expected 4", path=path, line=number)
            width = int(float(options["w"])) if "w" in options else None
            rows: list[list[float]] = []
            while i < len(lines) and (width is None or len(rows) < width):
                row_text = lines[i].strip()
                if not row_text:
                    if rows and width is None:
                        break
                    i += 1
                    continue
                if width is None and not _NUMBER.match(row_text.split()[0]):
                    break
                rows.append(_numbers(row_text, path, i + 1, 4))
                i += 1
            if width is not None and len(rows) < width:
                raise MotifnetError(f"motif {current[0]}: w= {width} but only {len(rows)} rows", path=path, line=number)
            if not rows:
                raise MotifnetError(f"motif {current[0]}: empty matrix", path=path, line=number)
            nsites = float(options["nsites"]) if "nsites" in options and _NUMBER.match(options["nsites"]) else None
            motifs.append(
                _motif(np.array(rows).T, current[0], current[1], path, number, is_counts=False, nsites=nsites)
            )
            current = None
    if not motifs:
        raise MotifnetError("no motifs found (expected MOTIF lines with a letter-probability matrix)", path=path)
    return motifs


def write_meme(
    motifs: Iterable[Motif] | Motif,
    path: str | os.PathLike,
    background=None,
    alphabet: str = "ACGT",
) -> Path:
    """Write motifs as MEME minimal format (version 4), atomically.

    Args:
        background: letter frequencies for the header (None: uniform; a GC fraction; 4 numbers).
        alphabet: 'ACGT' (DNA) or 'ACGU' (RNA).

    Raises:
        MotifnetError: an unknown alphabet, no motifs, or the file cannot be written.
    """
    motifs = [motifs] if isinstance(motifs, Motif) else list(motifs)
    if alphabet not in ("ACGT", "ACGU"):
        raise MotifnetError(f"alphabet must be 'ACGT' or 'ACGU', got {alphabet!r}")
    if not motifs:
        raise MotifnetError("no motifs to write", path=path)
    bg = background_vector(background)
    out = ["MEME version 4", "", f"ALPHABET= {alphabet}", "", "strands: + -", "",
           "Background letter frequencies", " ".join(f"{a} {p:.4f}" for a, p in zip(alphabet, bg)), ""]  # fmt: skip
    for motif in motifs:
        name = f" {motif.name}" if motif.name and motif.name != motif.id and " " not in motif.name else ""
        out.append(f"MOTIF {motif.id.replace(' ', '_')}{name}")
        nsites = max(1, round(motif.nsites))  # an integer: Biopython's reader needs one
        out.append(f"letter-probability matrix: alength= 4 w= {motif.width} nsites= {nsites} E= 0")
        out.extend(" " + " ".join(f"{p:.6f}" for p in column) for column in motif.probabilities.T)
        out.append("")
    path = Path(path)
    with atomic_write(path) as handle:
        handle.write("\n".join(out))
    return path


# ---------------------------------------------------------------------------------------------
# JASPAR and plain PFM


def read_jaspar(path: str | os.PathLike) -> list[Motif]:
    """Read JASPAR count matrices: ``>ID name`` then 4 rows ``A [ n n ... ]`` (A, C, G, T in any
    order, brackets optional), or a plain ``.pfm`` of 4 rows of numbers (rows A, C, G, T).

    Raises:
        MotifnetError: a bad row, rows of different lengths, or no matrix (file and line).
    """
    lines = _lines(path)
    motifs: list[Motif] = []
    header: tuple[str, str | None, int] | None = None
    rows: dict[str, list[float]] = {}
    plain: list[list[float]] = []
    start = 1

    def finish(line: int) -> None:
        nonlocal rows, plain
        if not rows and not plain:
            return
        ident, name, at = header if header else (Path(path).name.split(".")[0], None, start)
        if rows:
            letters = "ACGU" if "U" in rows else "ACGT"
            missing = [b for b in letters if b not in rows]
            if missing:
                raise MotifnetError(f"matrix {ident} lacks row(s) {', '.join(missing)}", path=path, line=at)
            matrix = [rows[b] for b in letters]
        else:
            if len(plain) != 4:
                raise MotifnetError(f"matrix {ident} has {len(plain)} rows, expected 4 (A, C, G, T)", path=path, line=at)
            matrix = plain
        if len({len(r) for r in matrix}) != 1:
            raise MotifnetError(f"matrix {ident}: rows of different lengths", path=path, line=at)
        motifs.append(_motif(matrix, ident, name, path, at))
        rows, plain = {}, []

    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith(">"):
            finish(number)
            fields = text[1:].split(None, 1)
            if not fields:
                raise MotifnetError("a '>' header without an identifier", path=path, line=number)
            header = (fields[0], fields[1].strip() if len(fields) > 1 else None, number)
            continue
        letter = text[0].upper()
        if letter in "ACGTU" and not _NUMBER.match(text.split()[0]):
            values = text[1:].replace("[", " ").replace("]", " ")
            if letter in rows:
                raise MotifnetError(f"row {letter} given twice", path=path, line=number)
            rows[letter] = _numbers(values, path, number)
        else:
            if header is None and not plain:
                start = number
            plain.append(_numbers(text, path, number))
    finish(len(lines))
    if not motifs:
        raise MotifnetError("no JASPAR matrices found (expected '>ID name' and rows 'A [ ... ]')", path=path)
    return motifs


# ---------------------------------------------------------------------------------------------
# TRANSFAC


def read_transfac(path: str | os.PathLike) -> list[Motif]:
    """Read TRANSFAC matrices: ``AC``/``ID``/``NA`` lines, a ``P0``/``PO`` header naming the
    columns (A C G T), numbered rows of counts, records ended by ``//``.

    Raises:
        MotifnetError: a row before its header, a bad row, or no matrix (file and line).
    """
    lines = _lines(path)
    motifs: list[Motif] = []
    fields: dict[str, str] = {}
    order: list[str] | None = None
    rows: list[list[float]] = []
    start = 1

    def finish() -> None:
        nonlocal fields, order, rows
        if rows:
            ident = fields.get("AC") or fields.get("ID") or f"motif{len(motifs) + 1}"
            name = fields.get("ID") if fields.get("ID") != ident else fields.get("NA")
            matrix = np.array(rows).T
            matrix = np.stack([matrix[order.index(b if b in order else "U")] for b in "ACGT"])
            motifs.append(_motif(matrix, ident, name or fields.get("NA"), path, start))
        fields, order, rows = {}, None, []

    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip()
        if not text.strip():
            continue
        key, _, value = text.partition(" ")
        key = key.strip()
        if key == "//":
            finish()
        elif key in ("P0", "PO"):
            order = [letter.upper() for letter in value.split()]
            if sorted(order) not in (list("ACGT"), list("ACGU")):
                raise MotifnetError(f"matrix header must name A C G T, got {value.strip()!r}", path=path, line=number)
            start = number
        elif key.isdigit():
            if order is None:
                raise MotifnetError("a matrix row before the P0 header", path=path, line=number)
            values = value.split()
            rows.append(_numbers(" ".join(values[:4]), path, number, 4))
        elif len(key) == 2 and key.isalpha():  # AC, ID, NA kept; XX, CC, DE and others ignored
            fields.setdefault(key, value.strip())
        else:
            raise MotifnetError(f"unexpected TRANSFAC line {text.strip()!r}", path=path, line=number)
    finish()
    if not motifs:
        raise MotifnetError("no TRANSFAC matrices found (expected a P0 header and numbered rows)", path=path)
    return motifs


# ---------------------------------------------------------------------------------------------
# Dispatch

_EXTENSIONS = {".meme": "meme", ".jaspar": "jaspar", ".pfm": "jaspar", ".transfac": "transfac", ".tf": "transfac",
               ".dat": "transfac"}  # fmt: skip
_READERS = {"meme": read_meme, "jaspar": read_jaspar, "transfac": read_transfac}


def detect_format(path: str | os.PathLike) -> str:
    """'meme', 'jaspar' or 'transfac', from the extension (ignoring .gz) or else the content.

    Raises:
        MotifnetError: the file cannot be read or its format is not recognised.
    """
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    if suffixes and suffixes[-1] in _EXTENSIONS:
        return _EXTENSIONS[suffixes[-1]]
    for text in _lines(path)[:200]:
        text = text.strip()
        if text.startswith(("MEME version", "MOTIF", "ALPHABET")):
            return "meme"
        if text.startswith(">"):
            return "jaspar"
        if text[:2] in ("AC", "ID", "P0", "PO", "NA"):
            return "transfac"
    raise MotifnetError("cannot tell the motif format (expected MEME, JASPAR or TRANSFAC)", path=path)


def read_motifs(path: str | os.PathLike, format: str | None = None) -> list[Motif]:
    """Read a motif file of any supported format (``format``: one of :data:`FORMATS`, default
    detected).

    Raises:
        MotifnetError: an unknown format or a bad file (file and line).
    """
    format = detect_format(path) if format is None else format.lower()
    if format not in _READERS:
        raise MotifnetError(f"unknown motif format {format!r}; expected one of {', '.join(FORMATS)}", path=path)
    return _READERS[format](path)


def write_motifs(motifs: Sequence[Motif], path: str | os.PathLike) -> Path:
    """Write motifs (MEME minimal format; the only format written)."""
    return write_meme(motifs, path)
