"""``motifnet scan``: score every window of a genome with a trained run (bedGraph or bigWig, +
peaks), or find the hits of a JASPAR motif with FIMO (the motif-scanning baseline)."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager

from motifnet.commands._common import add_batch_size_argument, add_threads_argument


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="scan a genome: model scores as bedGraph or bigWig (+ peaks as BED), or motif hits (FIMO)",
        description="Score every window of every record of a FASTA (plain or gzip) with a trained run, "
        "both strands for DNA, and write a bedGraph of scores (the window's score on the stride bases "
        "around its centre), or a bigWig if --out ends in .bw or .bigwig; with --threshold, also merged "
        "peaks as BED. A scan on the fast path leaves the run's plan beside its weights (model.scan.npz, safe to "
        "delete), which later scans of the run read without loading torch. With --motif instead of --run, write the "
        "FIMO hits of a JASPAR motif as BED.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="run folder written by `motifnet train`, or an ensemble (`motifnet tune --ensemble`: its members averaged)")
    source.add_argument("--motif", help="JASPAR id or name (MA0139, CTCF) or motif file: FIMO baseline")
    parser.add_argument("--fasta", required=True, help="genome or transcripts, FASTA (.gz ok)")
    parser.add_argument("--out", required=True, help="scores (--run): bedGraph (.gz ok), or bigWig if it ends in "
                        ".bw/.bigwig; hits (--motif): BED")
    parser.add_argument("--window", type=int, help="window length (default: the run's input length)")
    parser.add_argument("--stride", type=int, default=1, help="bases between window starts (default 1)")
    parser.add_argument("--strands", choices=["forward", "reverse", "both"],
                        help="default: both for DNA runs, forward for RNA runs")
    parser.add_argument("--combine", choices=["max", "mean"], default="max",
                        help="both strands: max of the logits (default, keeps the strand) or mean of the probabilities")
    parser.add_argument("--target", help="target name or index to write (default: the first)")
    parser.add_argument("--threshold", type=float, help="peaks: windows scoring at least this (probability)")
    parser.add_argument("--peaks", help="BED file of peaks (merged windows >= --threshold, narrowPeak columns)")
    parser.add_argument("--method", choices=["auto", "fast", "window"], default="auto",
                        help="auto: the exact conv/pool fast path when the model allows it (CPU)")
    parser.add_argument("--pvalue", type=float, default=1e-4, help="--motif: FIMO p-value threshold (default 1e-4)")
    parser.add_argument("--chunk-size", type=int, default=1 << 18, help="bases per chunk (memory bound; default 262144)")
    add_batch_size_argument(parser)
    parser.add_argument("--weights", choices=["best", "last"], default="best")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    add_threads_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from motifnet.errors import MotifnetError

    if args.motif:
        return _motif(args)
    if (args.threshold is None) != (args.peaks is None):
        raise MotifnetError("--threshold and --peaks go together")
    return _model(args)


def _model(args: argparse.Namespace) -> int:
    from motifnet.devices import set_cpu_threads
    from motifnet.io.fasta import iter_fasta
    from motifnet.io.files import atomic_write
    from motifnet.runs import load_run
    from motifnet.predict import probabilities
    from motifnet.scan import PeakCaller, ScanSummary, check_window, scan_records, target_index
    from motifnet.scan.saved_plan import load_saved_run, plan_digest, save_plan
    from motifnet.strands import default_strands

    digest = saved = None
    if args.method != "window" and args.device == "cpu":  # the fast path may run: a saved plan may serve
        digest = plan_digest(args.run, args.weights)  # before loading: never newer than the weights loaded
        saved = load_saved_run(args.run, args.weights, args.window, digest) if digest else None  # no torch
    set_cpu_threads(args.threads, with_torch=saved is None)
    if saved is not None:
        trained = saved  # its plan scores every window at least as long as its filters
    else:
        trained = load_run(args.run, device=args.device, weights=args.weights)
    trained.require_sequence_only("scan")
    window = trained.input_length if args.window is None else args.window
    if saved is None:
        check_window(trained.model, window)
    target = target_index(trained.target_names, args.target)
    target_name = trained.target_names[target]
    strands = args.strands or default_strands(trained.alphabet, genome=True)
    regression_loss = (trained.config.get("training") or {}).get("regression_loss", "mse")
    summary = ScanSummary()
    caller = PeakCaller(args.threshold, window) if args.peaks else None
    peaks = []
    chunks = scan_records(
        trained.model, iter_fasta(args.fasta), window, args.stride, strands, trained.alphabet, args.method,
        args.chunk_size, args.batch_size, quiet=args.quiet, summary=summary, combine=args.combine, task=trained.task,
        regression_loss=regression_loss,
    )
    description = f"motifnet scan {args.run} window={window} stride={args.stride} strands={strands}"
    if strands == "both" and args.combine != "max":
        description += f" combine={args.combine}"
    with _score_track(args.out, target_name, description, args.fasta, window, args.stride) as write:
        for chunk in chunks:
            scores = probabilities(chunk.logits, trained.task, regression_loss)[:, target]
            write(chunk.record, chunk.starts, scores)
            if caller is not None:
                peaks += caller.add(chunk.record, chunk.starts, scores, chunk.strand[:, target])
    if caller is not None:
        peaks += caller.finish()
        with atomic_write(args.peaks) as handle:
            for index, peak in enumerate(peaks, start=1):
                handle.write(peak.bed(index, window))
    if saved is None and summary.method == "fast":
        save_plan(trained, args.weights, window, digest)  # the next scan of this run starts without torch
    for record, length in summary.skipped:
        print(f"skipped {record}: {length} bp is shorter than the {window} bp window", file=sys.stderr)
    print(f"{args.out}: {summary.windows} windows on {summary.records} record(s), {summary.bases} bp, "
          f"strands {strands}, {summary.method} path" + (" (the run's saved plan)" if saved is not None else "")
          + (f"; {args.peaks}: {len(peaks)} peaks >= {args.threshold}" if args.peaks else ""))
    return 0


@contextmanager
def _score_track(out: str, name: str, description: str, fasta: str, window: int, stride: int):
    """Yield ``write(record, starts, scores)`` for the output file: bigWig (its header needs every
    record's length: a first pass over the FASTA) or bedGraph text, written atomically."""
    from motifnet.io.bigwig import bigwig_writer, is_bigwig
    from motifnet.io.fasta import iter_fasta
    from motifnet.io.files import atomic_write
    from motifnet.io.bedgraph import bedgraph_blocks, score_offset

    if is_bigwig(out):
        sizes = [(record, len(sequence)) for record, sequence in iter_fasta(fasta)]
        with bigwig_writer(out, sizes) as add:
            yield lambda record, starts, scores: add(record, int(starts[0]) + score_offset(window, stride), stride,
                                                     scores)
        return
    with atomic_write(out, mode="wb") as handle:
        handle.write(f'track type=bedGraph name="{name}" description="{description}"\n'.encode())

        def write(record, starts, scores):
            for block in bedgraph_blocks(record, starts, scores, window, stride):
                handle.write(block)

        yield write


def _motif(args: argparse.Namespace) -> int:
    from motifnet.io.fasta import iter_fasta
    from motifnet.scan.motif_scan import load_motif, motif_hits, write_hits_bed

    motif = load_motif(args.motif)
    hits = motif_hits(motif, iter_fasta(args.fasta), pvalue=args.pvalue, chunk_size=args.chunk_size,
                      both_strands=args.strands != "forward")
    count = write_hits_bed(args.out, hits, motif.name if motif.name == motif.id else f"{motif.id}_{motif.name}")
    print(f"{args.out}: {count} hits of {motif.id} ({motif.name}) with p <= {args.pvalue}")
    return 0
