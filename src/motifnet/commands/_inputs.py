"""Data arguments of the commands: one or several files, with optional labels (``pos.fa=1 neg.fa=0``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

DATA_FILES_HELP = ("one file, or one FASTA per class: pos.fa neg.fa (the file named neg/background/control/"
                   "shuf/unbound is 0), or with labels: pos.fa=1 neg.fa=0")


def add_alphabet_argument(parser, default_help: str = "default: RNA if U and no T") -> None:
    """``--alphabet DNA|RNA`` (upper-cased)."""
    parser.add_argument("--alphabet", choices=("DNA", "RNA"), type=str.upper,
                        help=f"RNA reads T as U (one strand, never reverse-complemented); {default_help}")


def add_structure_arguments(parser) -> None:
    """``--structure paired|contexts`` with RNAplfold's ``--structure-window`` and ``--structure-span``."""
    from motifnet.rna_structure import KINDS, Folding

    parser.add_argument("--structure", choices=sorted(KINDS),
                        help="add RNA secondary structure channels, folded with ViennaRNA's RNAplfold (RNA data): "
                        "paired (P(paired)) or contexts (paired, exterior, hairpin, interior, multiloop)")
    parser.add_argument("--structure-window", type=int, default=Folding.window, metavar="W",
                        help=f"RNAplfold window W in nt (default {Folding.window}; capped at the sequence length)")
    parser.add_argument("--structure-span", type=int, default=Folding.span, metavar="L",
                        help=f"RNAplfold's longest base-pair span L in nt (default {Folding.span})")


def with_structure(data, args, jobs: int = 1):
    """``data`` with the structure channels that ``args.structure`` asks for (unchanged without)."""
    if not getattr(args, "structure", None):
        return data
    from motifnet.rna_structure import Folding, add_structure

    folding = Folding(args.structure, args.structure_window, args.structure_span)
    return add_structure(data, folding, jobs=jobs, quiet=getattr(args, "quiet", False))


def split_labels(items: Sequence[str]) -> list[tuple[str, str]] | None:
    """``["pos.fa=1", "neg.fa=0"]`` -> ``[("pos.fa", "1"), ("neg.fa", "0")]``; None when no item
    carries a label. An item that names an existing file is a path, even with '=' in it.

    Raises:
        MotifnetError: some items have a label and others not.
    """
    from motifnet.errors import MotifnetError

    pairs = []
    for item in items:
        path, sep, label = item.rpartition("=")
        labelled = bool(sep and path and label) and not Path(item).exists()
        pairs.append((path, label) if labelled else (item, None))
    given = [label is not None for _, label in pairs]
    if not any(given):
        return None
    if not all(given):
        bare = next(path for path, label in pairs if label is None)
        raise MotifnetError(f"{bare} has no label but other files do: give every file one (pos.fa=1 neg.fa=0)")
    return pairs


def read_inputs(items: str | Sequence[str], *, format: str | None = None, alphabet: str | None = None,
                classes: bool | None = None, **options):
    """Read one path or several (:func:`motifnet.io.read_data`), or files with labels
    (:func:`motifnet.io.read_labelled`). Returns SeqData.

    Raises:
        MotifnetError: any error of the readers (one file per class whose names do not tell
            which is negative, a file holding T and U, ...).
    """
    from motifnet.io import read_data, read_labelled

    items = [items] if isinstance(items, str) else list(items)
    labelled = split_labels(items)
    if labelled is not None:
        return read_labelled(labelled, format=format, alphabet=alphabet, **options)
    return read_data(items if len(items) > 1 else items[0], format=format, alphabet=alphabet, classes=classes,
                     **options)


def describe_inputs(items: str | Sequence[str] | None) -> str | None:
    """The paths as one string, for run records and results (None stays None)."""
    if items is None or isinstance(items, str):
        return items
    return " ".join(items)


__all__ = ["DATA_FILES_HELP", "add_alphabet_argument", "add_structure_arguments", "describe_inputs", "read_inputs",
           "split_labels", "with_structure"]
