"""What ``motifnet evaluate`` and ``motifnet predict`` share: their run/data options and scoring a
data file with a run folder."""

from __future__ import annotations

import argparse

from motifnet.commands._common import add_batch_size_argument, add_threads_argument


def add_scoring_arguments(parser: argparse.ArgumentParser, data_help: str) -> None:
    """--run, --data, --strands, --weights, --batch-size, --device, --threads, --quiet."""
    parser.add_argument("--run", required=True, help="run folder written by `motifnet train`")
    parser.add_argument("--data", required=True, help=data_help)
    parser.add_argument("--strands", choices=["auto", "forward", "both"], default="auto",
                        help="auto: both strands when the run trained with reverse-complement augmentation")
    parser.add_argument("--weights", choices=["best", "last"], default="best")
    add_batch_size_argument(parser)
    parser.add_argument("--device", default="auto")
    add_threads_argument(parser)
    parser.add_argument("--quiet", action="store_true")


def score_data(args: argparse.Namespace, labelled: bool):
    """Load ``args.run`` and ``args.data`` and predict; returns ``(run, data, scores, strands)``.

    Raises:
        MotifnetError: an unreadable run or data file, or data the run cannot score (a different
            alphabet; with ``labelled``, a different task or targets too).
    """
    from motifnet.errors import MotifnetError
    from motifnet.io import read_data
    from motifnet.devices import set_cpu_threads
    from motifnet.predict import predict
    from motifnet.runs import check_compatible, load_run
    from motifnet.strands import run_strands

    set_cpu_threads(args.threads)
    trained = load_run(args.run, device=args.device, weights=args.weights)
    data = read_data(args.data)
    if labelled:
        check_compatible(trained, data, args.data)
    elif data.alphabet != trained.alphabet:
        raise MotifnetError(f"the run was trained on {trained.alphabet}, the data are {data.alphabet}", path=args.data)
    strands = run_strands(trained.config) if args.strands == "auto" else args.strands
    scores = predict(trained.model, data.tokens, batch_size=args.batch_size, strands=strands, task=trained.task,
                     regression_loss=trained.config.get("training", {}).get("regression_loss", "mse"), quiet=args.quiet)
    return trained, data, scores, strands
