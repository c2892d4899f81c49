"""``motifnet interpret``: learned motifs (filters -> Tomtom), attributions and localization."""

from __future__ import annotations

import argparse

from motifnet.commands._common import add_batch_size_argument, add_threads_argument
from motifnet.commands._scoring import add_data_arguments


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "interpret",
        help="filters -> motifs -> Tomtom vs JASPAR, attributions, localization, TF-MoDISco patterns, in silico",
        description="Interpret a trained run on a data set. Writes filters.meme, tomtom.tsv, logos/ "
        "(PNG and SVG), attributions.npz and interpret.json (also as localization.json) into --out, the "
        "same files as the interpret step of `motifnet run`. With simulated data (true sites known) it "
        "also scores motif recovery and localization.",
    )
    parser.add_argument("--run", required=True, help="run folder written by `motifnet train`, or an ensemble (`motifnet tune --ensemble`: its members averaged)")
    add_data_arguments(parser, "data to interpret on (any format `read_data` reads)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--database", default="JASPAR2024",
                        help="a JASPAR release (JASPAR2024, JASPAR2022, ...) or a MEME/JASPAR/TRANSFAC file")
    parser.add_argument("--collection", default="CORE", help="JASPAR collection (default CORE)")
    parser.add_argument("--tax-group", default="vertebrates", help="JASPAR taxon; 'all' for every taxon")
    parser.add_argument("--method", default="grad_x_input",
                        choices=["grad_x_input", "saliency", "ism", "integrated_gradients", "deep_lift_shap"],
                        help="attribution method of the localization step (default grad_x_input)")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="activation threshold, a fraction of each filter's maximum (default 0.5)")
    parser.add_argument("--e-value", type=float, default=0.1, help="Tomtom E-value for a match (default 0.1)")
    parser.add_argument("--split", default="test",
                        help="rows of this 'split' annotation when the data have one; 'all' for every row")
    parser.add_argument("--n-filter-sequences", type=int, default=2000)
    parser.add_argument("--n-attributions", type=int, default=500, help="sequences explained (default 500)")
    parser.add_argument("--n-logos", type=int, default=10)
    parser.add_argument("--n-examples", type=int, default=4, help="attribution logos drawn")
    parser.add_argument("--all-sequences", action="store_true",
                        help="localize on every sequence with a site, not only correctly classified ones")
    parser.add_argument("--koo-eddy", action="store_true",
                        help="also Koo & Eddy's two fractions over all filters (simulated data)")
    parser.add_argument("--patterns", action="store_true",
                        help="also TF-MoDISco patterns from DeepLIFT/DeepSHAP contributions (integrated gradients "
                             "for recurrent models): patterns.meme, patterns_tomtom.tsv, seqlets.tsv/.bed")
    parser.add_argument("--n-pattern-sequences", type=int, default=2000,
                        help="sequences explained for patterns (default 2000)")
    parser.add_argument("--n-shuffles", type=int, default=10,
                        help="dinucleotide-shuffled references per sequence for patterns (default 10)")
    parser.add_argument("--max-seqlets", type=int, default=2000, help="seqlets clustered per sign (default 2000)")
    parser.add_argument("--in-silico", action="store_true",
                        help="also insert each true motif (or each pattern) into shuffled backgrounds and scan "
                             "the spacing of the top two (the summary's 'in_silico' section)")
    parser.add_argument("--n-backgrounds", type=int, default=100,
                        help="shuffled backgrounds for --in-silico (default 100)")
    parser.add_argument("--no-filters", dest="filters", action="store_false", help="skip filters -> Tomtom")
    parser.add_argument("--no-attributions", dest="attributions", action="store_false",
                        help="skip attributions and localization")
    parser.add_argument("--weights", choices=["best", "last"], default="best")
    add_batch_size_argument(parser)
    parser.add_argument("--device", default="cpu")
    add_threads_argument(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from motifnet.devices import set_cpu_threads
    from motifnet.errors import MotifnetError
    from motifnet.interpret.pipeline import Options, interpret
    from motifnet.commands._inputs import describe_inputs
    from motifnet.commands._scoring import read_run_data
    from motifnet.runs import load_run

    for name in ("n_filter_sequences", "n_attributions", "n_logos", "n_examples", "n_pattern_sequences"):
        if getattr(args, name) < 0:
            raise MotifnetError(f"--{name.replace('_', '-')} must be >= 0")
    for name in ("n_shuffles", "max_seqlets", "n_backgrounds"):
        if getattr(args, name) < 1:
            raise MotifnetError(f"--{name.replace('_', '-')} must be >= 1")
    if not 0 < args.threshold <= 1:
        raise MotifnetError(f"--threshold must be in (0, 1], got {args.threshold}")
    set_cpu_threads(args.threads)
    trained = load_run(args.run, device=args.device, weights=args.weights)
    trained.require_sequence_only("interpret")
    data = read_run_data(args, trained)
    options = Options(
        filters=args.filters,
        attributions=args.attributions,
        koo_eddy=args.koo_eddy,
        patterns=args.patterns,
        database=args.database,
        collection=None if args.collection.lower() == "all" else args.collection,
        tax_group=None if args.tax_group.lower() == "all" else args.tax_group,
        threshold=args.threshold,
        e_value=args.e_value,
        method=args.method,
        n_filter_sequences=args.n_filter_sequences,
        n_attributions=args.n_attributions,
        n_pattern_sequences=args.n_pattern_sequences,
        n_shuffles=args.n_shuffles,
        max_seqlets=args.max_seqlets,
        in_silico=args.in_silico,
        n_backgrounds=args.n_backgrounds,
        n_logos=args.n_logos,
        n_examples=args.n_examples,
        only_correct=not args.all_sequences,
        split=args.split,
        seed=args.seed,
        batch_size=args.batch_size,
        extra={"run": str(args.run), "data": describe_inputs(args.data)},
    )
    summary = interpret(trained.model, data, args.out, options, quiet=args.quiet, task=trained.task)
    if not args.quiet:
        print(_headline(summary, args.out))
    return 0


def _headline(summary: dict, out: str) -> str:
    filters = summary.get("filters", {})
    parts = [f"{out}:"]
    if "n_informative" in filters:
        parts.append(f"{filters['n_informative']}/{filters['n_filters']} informative filters, "
                     f"{filters.get('n_significant', 0)} with a match")
    recovery = filters.get("recovery_best")
    if recovery:
        parts.append(f"true motifs recovered {recovery['motif_recovery_fraction']:.2f}, "
                     f"filters matching a true motif {recovery['filter_match_fraction']:.2f}")
    localization = summary.get("attributions", {}).get("localization")
    if localization:
        parts.append(f"localization hit rate {localization['hit_rate']:.3f} (chance {localization['chance_hit_rate']:.3f})")
    patterns = summary.get("patterns")
    if patterns:
        found = patterns.get("patterns", [])
        parts.append(f"{len(found)} patterns ({patterns['method']}, {patterns['n_sequences']} sequences)")
        if "recovery" in patterns:
            parts.append(f"true motifs recovered as patterns {patterns['recovery']['motif_recovery_fraction']:.2f}")
        precision = patterns.get("seqlets_vs_sites", {}).get("seqlet_precision")
        if precision is not None:
            parts.append(f"seqlet precision {precision:.2f}")
    own = summary.get("in_silico", {}).get("own_output_fraction")
    if own is not None:
        parts.append(f"inserted motifs raising their own output most {own:.2f}")
    return "; ".join(parts)
