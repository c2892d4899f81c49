"""``motifnet simulate PRESET --out DIR``: synthetic data with JASPAR motifs and their true sites."""

from __future__ import annotations

import argparse

PRESET_NAMES = ("classroom", "binary", "multilabel")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="make a synthetic data set (JASPAR motifs in random sequence, true sites recorded)",
        description="Embed JASPAR motif instances (sampled from the motif probabilities, kept only at p < "
        "--site-pvalue) in background sequence and write a data folder with the true sites and a "
        "train/valid/test split. Presets: classroom (10 motifs + none, 11 balanced classes, 100 bp), "
        "binary (one motif vs background), multilabel (Koo & Eddy 2019: 12 motifs, 1-5 per 200 bp).",
    )
    parser.add_argument("preset", choices=PRESET_NAMES)
    parser.add_argument("--out", required=True, help="output data folder")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument("--n", type=int, help="total sequences (balanced presets: rounded down to a multiple of "
                        "the classes); defaults: classroom 11,000, binary 10,000, multilabel 25,000")
    parser.add_argument("--n-per-class", type=int, help="sequences per class (classroom, binary)")
    parser.add_argument("--length", type=int, help="sequence length (defaults: 100; multilabel 200)")
    parser.add_argument("--motifs", help="comma-separated JASPAR ids or names, or a motif file (MEME/JASPAR/TRANSFAC); "
                        "binary: the motif(s) of the positives")
    parser.add_argument("--motifs-per-sequence", type=int, help="instances per sequence with a motif (classroom, binary)")
    parser.add_argument("--count-probabilities", help="multilabel: probabilities of 1, 2, ... motifs per sequence "
                        "(default 0.50,0.25,0.17,0.05,0.03)")
    parser.add_argument("--negatives", choices=("random", "shuffle"), help="binary: fresh background or "
                        "dinucleotide-shuffled positives (default random)")
    parser.add_argument("--no-none-class", action="store_true", help="classroom: leave out the no-motif class")
    parser.add_argument("--strand", choices=("random", "+", "-"), help="strand of the instances (default random)")
    parser.add_argument("--gc", type=float, help="background GC fraction (default: uniform 0.5)")
    parser.add_argument("--background-from", metavar="PATH",
                        help="fit a Markov background on these sequences (any input motifnet reads)")
    parser.add_argument("--markov-order", type=int, help="order of that Markov chain (default 1)")
    parser.add_argument("--site-pvalue", type=float, help="keep instances scoring at p < this (default 1e-4)")
    parser.add_argument("--any-instance", action="store_true", help="keep every sampled instance (no score filter)")
    parser.add_argument("--allow-overlap", action="store_true", help="let instances in a sequence overlap")
    parser.add_argument("--split", help="train,valid,test fractions (defaults 0.8,0.1,0.1; multilabel 0.7,0.1,0.2)")
    parser.add_argument("--release", default="JASPAR2024", help="JASPAR release (default JASPAR2024)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.set_defaults(func=run)


def _floats(text: str, flag: str) -> list[float]:
    from motifnet.errors import MotifnetError

    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise MotifnetError(f"{flag} expects comma-separated numbers, got {text!r}") from None


def build_options(args: argparse.Namespace) -> dict:
    """Keyword options of the preset function from the parsed flags (unset flags left out)."""
    from motifnet.errors import MotifnetError

    options: dict = {"seed": args.seed, "release": args.release}
    balanced = args.preset in ("classroom", "binary")
    if args.n is not None and args.n_per_class is not None:
        raise MotifnetError("give --n or --n-per-class, not both")
    if args.n_per_class is not None:
        if not balanced:
            raise MotifnetError("--n-per-class applies to classroom and binary; use --n for multilabel")
        options["n_per_class"] = args.n_per_class
    if args.n is not None:
        if balanced:
            n_classes = 2 if args.preset == "binary" else _count_motifs(args) + (0 if args.no_none_class else 1)
            options["n_per_class"] = args.n // n_classes
            if options["n_per_class"] < 1:
                raise MotifnetError(f"--n {args.n} is fewer than the {n_classes} classes")
        else:
            options["n"] = args.n
    if args.length is not None:
        options["length"] = args.length
    if args.motifs:
        options["motif" if args.preset == "binary" else "motifs"] = args.motifs
    if args.motifs_per_sequence is not None:
        if not balanced:
            raise MotifnetError("--motifs-per-sequence applies to classroom and binary; use --count-probabilities")
        options["motifs_per_sequence"] = args.motifs_per_sequence
    if args.count_probabilities:
        if args.preset != "multilabel":
            raise MotifnetError("--count-probabilities applies to multilabel")
        options["count_probabilities"] = _floats(args.count_probabilities, "--count-probabilities")
    if args.negatives:
        if args.preset != "binary":
            raise MotifnetError("--negatives applies to binary")
        options["negatives"] = args.negatives
    if args.no_none_class:
        if args.preset != "classroom":
            raise MotifnetError("--no-none-class applies to classroom")
        options["none_class"] = False
    if args.strand:
        options["strand"] = args.strand
    if args.gc is not None and args.background_from:
        raise MotifnetError("give --gc or --background-from, not both")
    if args.gc is not None:
        options["background"] = args.gc
    if args.markov_order is not None and not args.background_from:
        raise MotifnetError("--markov-order needs --background-from (the sequences to fit the chain on)")
    if args.background_from:
        from motifnet.io import read_data

        options["background"] = read_data(args.background_from)
        options["background_order"] = 1 if args.markov_order is None else args.markov_order
    if args.any_instance:
        options["site_pvalue"] = None
    elif args.site_pvalue is not None:
        options["site_pvalue"] = args.site_pvalue
    if args.allow_overlap:
        options["allow_overlap"] = True
    if args.split:
        options["split"] = _floats(args.split, "--split")
    return options


def _count_motifs(args: argparse.Namespace) -> int:
    from motifnet.jaspar import resolve
    from motifnet.simulate import CLASSROOM_MOTIFS

    return len(resolve(args.motifs or CLASSROOM_MOTIFS, args.release))


def run(args: argparse.Namespace) -> int:
    from motifnet.data import save
    from motifnet.simulate import simulate, summary

    data = simulate(args.preset, **build_options(args))
    path = save(data, args.out, overwrite=args.overwrite)
    if not args.quiet:
        print(f"Wrote {path}: {summary(data)}")
    return 0
