"""``motifnet variants``: reference vs alternative scores of the window centred on each VCF variant."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from motifnet.commands._common import add_batch_size_argument, add_threads_argument


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "variants",
        help="variant effects: ref vs alt score of the window centred on each VCF variant (TSV)",
        description="Score the window centred on each variant of a VCF (SNVs, MNVs, indels up to half the "
        "window) with the reference and the alternative allele. A REF that does not match the genome, an "
        "unknown chromosome or a symbolic allele is reported in the status column of that row.",
    )
    parser.add_argument("--run", required=True, help="run folder written by `motifnet train`, or an ensemble (`motifnet tune --ensemble`: its members averaged)")
    parser.add_argument("--fasta", required=True, help="the genome, FASTA (.gz ok)")
    parser.add_argument("--vcf", required=True, help="variants, VCF (.gz ok)")
    parser.add_argument("--out", required=True, help="TSV to write")
    parser.add_argument("--window", type=int, help="window length (default: the run's input length)")
    parser.add_argument("--strands", choices=["forward", "reverse", "both"],
                        help="default: both for DNA runs, forward for RNA runs")
    add_batch_size_argument(parser)
    parser.add_argument("--weights", choices=["best", "last"], default="best")
    parser.add_argument("--device", default="cpu")
    add_threads_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from motifnet.devices import set_cpu_threads
    from motifnet.errors import MotifnetError
    from motifnet.io.fasta import iter_fasta
    from motifnet.io.vcf import read_vcf
    from motifnet.runs import load_run
    from motifnet.scan.variants import score_variants, write_variants_tsv
    from motifnet.scan.windows import check_window

    set_cpu_threads(args.threads)
    trained = load_run(args.run, device=args.device, weights=args.weights)
    trained.require_sequence_only("variants")
    window = trained.input_length if args.window is None else args.window
    check_window(trained.model, window)
    records = read_vcf(args.vcf)
    if not records:
        raise MotifnetError("no variant records", path=args.vcf)
    results = score_variants(trained.model, iter_fasta(args.fasta), records, window, args.strands,
                             trained.alphabet, args.batch_size)
    regression_loss = (trained.config.get("training") or {}).get("regression_loss", "mse")
    write_variants_tsv(args.out, results, trained.target_names, trained.task, regression_loss)
    counts = Counter(result.status for result in results)
    problems = [result for result in results if result.status != "ok"]
    for result in problems[:20]:
        rec = result.record
        print(f"{args.vcf}:{rec.line}: {rec.chrom}:{rec.pos} {rec.ref}>{result.alt}: {result.status}"
              + (f" ({result.detail})" if result.detail else ""), file=sys.stderr)
    if len(problems) > 20:
        print(f"... and {len(problems) - 20} more (see the status column)", file=sys.stderr)
    print(f"{args.out}: {len(results)} allele(s): " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return 0
