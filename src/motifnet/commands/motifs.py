"""``motifnet motifs show|export``: look at JASPAR motifs (or motif files) in the terminal, or write them as MEME."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "motifs",
        help="show a JASPAR motif (consensus, information, text logo) or export motifs as MEME",
        description="Look up motifs offline in JASPAR (by matrix id, with or without version, or by TF name) "
        "or read them from a MEME/JASPAR/TRANSFAC file.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="consensus, information content, p<1e-4 threshold and a text logo")
    show.add_argument("motifs", nargs="+", metavar="ID", help="JASPAR id (MA0139, MA0139.2), TF name (CTCF) or motif file")
    show.add_argument("--release", default="JASPAR2024", help="JASPAR release (default JASPAR2024)")
    show.add_argument("--pvalue", type=float, default=1e-4, help="p-value for the score threshold (default 1e-4)")
    show.add_argument("--height", type=int, default=8, help="rows of the text logo (default 8 = 2 bits)")
    show.set_defaults(func=run_show)
    export = actions.add_parser("export", help="write motifs (ids, names, files, or a whole JASPAR collection) as MEME")
    export.add_argument("motifs", nargs="*", metavar="ID", help="JASPAR ids/names or motif files (none: --collection)")
    export.add_argument("--collection", default="CORE", help="with no ID: JASPAR collection (default CORE)")
    export.add_argument("--tax-group", default="vertebrates", help="with no ID: taxon (default vertebrates)")
    export.add_argument("--release", default="JASPAR2024", help="JASPAR release (default JASPAR2024)")
    export.add_argument("--out", required=True, help="output .meme file")
    export.set_defaults(func=run_export)


def describe_motif(motif, pvalue: float = 1e-4, height: int = 8) -> str:
    """The text printed by ``motifnet motifs show`` for one motif."""
    info = motif.information_content
    lines = [
        f"{motif.id}  {motif.name}",
        f"  width {motif.width}, sites {motif.nsites:g}, information {motif.total_information:.2f} bits "
        f"(mean {info.mean():.2f} per position)",
        f"  consensus            {motif.consensus}",
        f"  reverse complement   {motif.reverse_complement().consensus}",
        f"  log-odds threshold at p < {pvalue:g} (uniform background): {motif.threshold(pvalue):.2f} bits "
        f"(best {motif.log_odds().max(axis=0).sum():.2f})",
        "  information per position: " + " ".join(f"{v:.1f}" for v in info),
        "",
        motif.text_logo(height),
    ]
    return "\n".join(lines)


def run_show(args: argparse.Namespace) -> int:
    from motifnet.jaspar import resolve

    motifs = resolve(args.motifs, args.release)
    print("\n\n".join(describe_motif(m, args.pvalue, args.height) for m in motifs))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from motifnet.io.motif_files import write_meme
    from motifnet.jaspar import database, resolve

    motifs = resolve(args.motifs, args.release) if args.motifs else database(args.release, args.collection, args.tax_group)
    path = write_meme(motifs, args.out)
    print(f"Wrote {len(motifs)} motifs to {path}")
    return 0
