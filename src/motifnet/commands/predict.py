"""``motifnet predict``: a trained run's predictions for every sequence, as TSV."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from motifnet.commands._scoring import add_scoring_arguments

    parser = subparsers.add_parser(
        "predict",
        help="predictions of a run for every sequence (TSV: id, one column per target)",
        description="Score sequences with a trained run: probabilities for classification, values for "
        "regression. Labels in --data are not needed and are ignored.",
    )
    add_scoring_arguments(parser, "sequences (any format `motifnet train` reads)")
    parser.add_argument("--out", required=True, help="TSV to write (.gz compresses)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from motifnet.io.files import atomic_write
    from motifnet.commands._scoring import score_data

    trained, data, scores, strands = score_data(args, labelled=False)
    names = [name.replace("\t", " ") for name in trained.target_names]
    with atomic_write(args.out) as handle:
        handle.write("id\t" + "\t".join(names) + "\n")
        for record, row in zip(data.ids, scores):
            handle.write(f"{record}\t" + "\t".join(f"{value:.6g}" for value in row) + "\n")
    print(f"{args.out}: {len(scores)} sequences x {len(names)} target(s), strands {strands}")
    return 0
