"""``motifnet predict``: a trained run's predictions for every sequence, as TSV."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="predictions of a run for every sequence (TSV: id, one column per target)",
        description="Score sequences with a trained run: probabilities for classification, values for "
        "regression. Labels in --data are not needed and are ignored.",
    )
    parser.add_argument("--run", required=True, help="run folder written by `motifnet train`")
    parser.add_argument("--data", required=True, help="sequences (any format `motifnet train` reads)")
    parser.add_argument("--out", required=True, help="TSV to write (.gz compresses)")
    parser.add_argument("--strands", choices=["auto", "forward", "both"], default="auto",
                        help="auto: both strands when the run trained with reverse-complement augmentation")
    parser.add_argument("--weights", choices=["best", "last"], default="best")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from motifnet.errors import MotifnetError
    from motifnet.io import read_data
    from motifnet.io.files import atomic_write
    from motifnet.runs import default_strands, load_run
    from motifnet.training import predict

    trained = load_run(args.run, device=args.device, weights=args.weights)
    data = read_data(args.data)
    if data.alphabet != trained.alphabet:
        raise MotifnetError(f"the run was trained on {trained.alphabet}, the data are {data.alphabet}", path=args.data)
    strands = default_strands(trained.config) if args.strands == "auto" else args.strands
    scores = predict(trained.model, data.tokens, batch_size=args.batch_size, strands=strands, task=trained.task,
                     regression_loss=trained.config.get("training", {}).get("regression_loss", "mse"), quiet=args.quiet)
    names = [name.replace("\t", " ") for name in trained.target_names]
    with atomic_write(args.out) as handle:
        handle.write("id\t" + "\t".join(names) + "\n")
        for record, row in zip(data.ids, scores):
            handle.write(f"{record}\t" + "\t".join(f"{value:.6g}" for value in row) + "\n")
    print(f"{args.out}: {len(scores)} sequences x {len(names)} target(s), strands {strands}")
    return 0
