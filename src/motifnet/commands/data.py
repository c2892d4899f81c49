"""``motifnet data summary|convert``: describe any readable input, or write it as a store folder."""

from __future__ import annotations

import argparse
import json
import sys

from motifnet.commands._inputs import DATA_FILES_HELP, add_alphabet_argument, add_structure_arguments
from motifnet.commands._peaks import add_peak_arguments, run_peaks, wants_peaks


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of :func:`motifnet.io.read_data` as command-line flags (reusable by other commands)."""
    group = parser.add_argument_group("reading the input")
    group.add_argument("--format", choices=("store", "fasta", "table", "bed"), help="default: from the name or content")
    add_alphabet_argument(group)
    group.add_argument("--task", choices=("binary", "multiclass", "multilabel", "regression"), help="default: from the labels")
    group.add_argument("--label", help="one label for every record (e.g. 1 for positives)")
    group.add_argument("--label-pattern", help="FASTA: regular expression whose group 1 is the label in a header "
                       "(default finds class:1 or label=..)")
    group.add_argument("--sequence-column", help="table: the sequence column (default seq/sequence)")
    group.add_argument("--label-columns", help="table: comma-separated label columns (default Bound/label/... or numeric columns)")
    group.add_argument("--id-column", help="table: the record id column")
    group.add_argument("--genome", help="BED: the genome FASTA (plain or bgzip; .fai built if missing)")
    group.add_argument("--width", type=int, help="BED: window width (default: the intervals as they are)")
    group.add_argument("--anchor", choices=("auto", "summit", "center"), help="BED: window centre (default auto: summit for narrowPeak)")
    group.add_argument("--edge", choices=("clip", "shift", "reject"), help="BED: windows past a chromosome end (default clip)")
    group.add_argument("--unstranded", action="store_true", help="BED: do not reverse complement '-' intervals")
    group.add_argument("--concat", action="store_true",
                       help="several FASTA files: concatenate them instead of reading one file per class")


def read_input(args: argparse.Namespace):
    """Read ``args.inputs`` (one path, one FASTA per class, or files with labels ``pos.fa=1 neg.fa=0``)
    with the flags of :func:`add_input_arguments`."""
    from motifnet.commands._inputs import read_inputs

    options = {
        "task": args.task,
        "label": args.label,
        "label_pattern": args.label_pattern,
        "sequence_column": args.sequence_column,
        "label_columns": args.label_columns.split(",") if args.label_columns else None,
        "id_column": args.id_column,
        "genome": args.genome,
        "width": args.width,
        "anchor": args.anchor,
        "edge": args.edge,
        "stranded": False if args.unstranded else None,
    }
    classes = False if args.concat else None
    return read_inputs(args.inputs, format=args.format, alphabet=args.alphabet, classes=classes, **options)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "data", help="summarise or convert sequence data",
        description="Summarise or convert sequence data: FASTA(.gz), DeepBind .seq, TSV/CSV, BED/narrowPeak + genome, "
        "or a motifnet data folder. Several FASTA files are read as one file per class; PATH=LABEL gives "
        "each file its label (pos.fa=1 neg.fa=0).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    summary = actions.add_parser("summary", help="counts, lengths, class balance, GC, N fraction")
    summary.add_argument("inputs", nargs="+", metavar="PATH", help=DATA_FILES_HELP)
    summary.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_input_arguments(summary)
    summary.set_defaults(func=run_summary)
    convert = actions.add_parser("convert", help="write the input as a motifnet data folder (memory-mappable), "
                                 "or build a multi-task set from a genome and peak files (--peaks)")
    convert.add_argument("inputs", nargs="*", metavar="PATH", help=DATA_FILES_HELP)
    convert.add_argument("--out", required=True, help="the data folder to write")
    convert.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    convert.add_argument("--quiet", action="store_true", help="no progress output")
    convert.add_argument("--jobs", type=int, default=1, help="processes that fold RNA structure (default 1)")
    add_input_arguments(convert)
    add_structure_arguments(convert.add_argument_group("RNA structure channels (stored with the data)"))
    add_peak_arguments(convert)
    convert.set_defaults(func=run_convert)


def run_summary(args: argparse.Namespace) -> int:
    from motifnet.data import summarize

    summary = summarize(read_input(args))
    summary["path"] = " ".join(args.inputs)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        sys.stdout.write(format_summary(summary))
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from motifnet.data import save
    from motifnet.errors import MotifnetError

    if wants_peaks(args):
        return run_peaks(args)
    if not args.inputs:
        raise MotifnetError("give data files to convert, or --genome with --peaks/--sample-sheet/--bigwig")
    if not args.overwrite:
        from pathlib import Path

        if Path(args.out).exists():
            raise MotifnetError("already exists (pass --overwrite or choose another folder)", path=args.out)
    from motifnet.commands._inputs import with_structure

    data = with_structure(read_input(args), args, jobs=args.jobs)
    path = save(data, args.out, overwrite=args.overwrite)
    channels = f", {data.channels - 4} structure channels" if data.structure is not None else ""
    print(f"wrote {path}: {len(data)} sequences x {data.length} ({data.task}, {data.n_targets} targets{channels})")
    return 0


def format_summary(summary: dict) -> str:
    """The summary as aligned text lines."""
    length = summary["length"]
    gc = "n/a" if summary["gc"] is None else f"{summary['gc']:.3f}"
    n_fraction = "n/a" if summary["n_fraction"] is None else f"{summary['n_fraction']:.4f}"
    lines = [
        f"{summary['path']}",
        f"  sequences   {summary['n']}  ({summary['alphabet']}, task {summary['task']})",
        f"  length      min {length['min']}  median {length['median']:g}  max {length['max']}"
        + (f"  (padded to {length['padded']})" if length["min"] != length["max"] else ""),
        f"  GC          {gc}",
        f"  N fraction  {n_fraction}",
    ]
    if summary.get("structure"):
        folding = summary["structure"]
        lines.append(f"  structure   {folding['kind']} (RNAplfold W {folding['window']}, L {folding['span']})")
    labels = summary["labels"]
    if labels.get("unlabeled"):
        lines.append("  labels      none (unlabeled)")
    else:
        lines.append("  labels")
        for name, stats in labels.items():
            if "count" in stats:
                text = f"{stats['count']} ({stats['fraction']:.1%})"
            elif "positive" in stats:
                text = f"{stats['positive']} positive, {stats['negative']} negative ({stats['fraction']:.1%} positive)"
            else:
                text = f"mean {stats['mean']:.4g}  std {stats['std']:.4g}  min {stats['min']:.4g}  max {stats['max']:.4g}"
            lines.append(f"    {name:<12}{text}")
    for key, stats in summary["annotations"].items():
        shown = ", ".join(f"{k} {v}" for k, v in list(stats.items())[:12])
        lines.append(f"  {key:<11} {shown}")
    return "\n".join(lines) + "\n"
