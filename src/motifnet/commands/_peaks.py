"""``motifnet data convert --genome G.fa --peaks ...``: the flags of a multi-task (DeepSEA) build."""

from __future__ import annotations

import argparse


def add_peak_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of :func:`motifnet.peak_store.build_peak_store` (with ``--genome`` of the reading flags)."""
    group = parser.add_argument_group(
        "peak files to a multi-task set (DeepSEA/DanQ): --genome G.fa --peaks a.narrowPeak b.bed ... "
        "(writes --out/train, --out/valid, --out/test)")
    group.add_argument("--peaks", nargs="+", metavar="BED", default=[],
                       help="BED3+/narrowPeak files, one target each, named by the file name")
    group.add_argument("--sample-sheet", metavar="TSV",
                       help="name<TAB>path per target (peak or bigWig files), instead of file names")
    group.add_argument("--bigwig", nargs="+", metavar="BW", default=[],
                       help="bigWig files: the mean signal over each bin as regression targets "
                       "(peak files, if given, only choose the bins; without them every bin is kept)")
    group.add_argument("--transform", choices=("none", "log1p", "asinh"), default="none",
                       help="of the bigWig means (default none: raw, for a Poisson loss)")
    group.add_argument("--bin-size", type=int, default=200, help="bases per bin (default 200)")
    group.add_argument("--window", type=int, default=1000, help="input window centred on the bin (default 1000)")
    group.add_argument("--background-ratio", type=float, default=0.0, metavar="R",
                       help="R random all-negative bins per positive bin (default 0: DeepSEA's rule, "
                       "only bins with a label)")
    group.add_argument("--blacklist", metavar="BED", help="drop bins whose window touches these regions")
    group.add_argument("--max-n-fraction", type=float, default=0.1, help="drop windows with more N (default 0.1)")
    group.add_argument("--valid-chroms", nargs="+", default=[], metavar="CHROM", help="validation chromosomes")
    group.add_argument("--test-chroms", nargs="+", default=[], metavar="CHROM",
                       help="test chromosomes (DeepSEA: chr8 chr9)")
    group.add_argument("--seed", type=int, default=0, help="for the background bins (default 0)")


def wants_peaks(args: argparse.Namespace) -> bool:
    """Whether the command line asks for a multi-task build."""
    return bool(args.peaks or args.sample_sheet or args.bigwig)


def run_peaks(args: argparse.Namespace) -> int:
    """Build the stores and print one line per split.

    Raises:
        MotifnetError: positional inputs as well, no --genome, or any error of the build.
    """
    from motifnet.errors import MotifnetError
    from motifnet.io.bigwig import is_bigwig
    from motifnet.io.peaks import file_targets, read_sample_sheet
    from motifnet.peak_bins import BinOptions
    from motifnet.peak_store import build_peak_store

    if args.inputs:
        raise MotifnetError(f"give either data files ({' '.join(args.inputs)}) or --peaks/--sample-sheet/--bigwig, not both")
    if not args.genome:
        raise MotifnetError("--peaks, --sample-sheet and --bigwig need --genome G.fa")
    sheet = read_sample_sheet(args.sample_sheet) if args.sample_sheet else []
    peaks = file_targets(args.peaks) + [(name, path) for name, path in sheet if not is_bigwig(path)]
    bigwigs = file_targets(args.bigwig) + [(name, path) for name, path in sheet if is_bigwig(path)]
    options = BinOptions(bin_size=args.bin_size, window=args.window, background_ratio=args.background_ratio,
                         max_n_fraction=args.max_n_fraction, valid_chroms=list(args.valid_chroms),
                         test_chroms=list(args.test_chroms), transform=args.transform, seed=args.seed)
    summary = build_peak_store(args.genome, args.out, peaks=peaks, bigwigs=bigwigs, blacklist=args.blacklist,
                               options=options, overwrite=args.overwrite, quiet=args.quiet)
    for split, n in summary["rows"].items():
        print(f"wrote {args.out}/{split}: {n} sequences x {args.window} ({summary['task']}, "
              f"{len(summary['targets'])} targets)")
    return 0
