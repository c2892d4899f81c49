"""What ``motifnet evaluate`` and ``motifnet predict`` share: their run/data options and scoring a
data file with a run folder."""

from __future__ import annotations

import argparse

from motifnet.commands._common import add_batch_size_argument, add_threads_argument
from motifnet.commands._inputs import DATA_FILES_HELP, add_alphabet_argument


def add_scoring_arguments(parser: argparse.ArgumentParser, data_help: str) -> None:
    """--run, --data, --alphabet, --strands, --weights, --batch-size, --device, --threads, --quiet."""
    parser.add_argument("--run", required=True, help="run folder written by `motifnet train`, or an ensemble (`motifnet tune --ensemble`: its members averaged)")
    add_data_arguments(parser, data_help)
    parser.add_argument("--strands", choices=["auto", "forward", "both"], default="auto",
                        help="auto: both strands when a DNA run trained with reverse-complement augmentation; "
                        "an RNA run reads one strand")
    parser.add_argument("--weights", choices=["best", "last"], default="best")
    add_batch_size_argument(parser)
    parser.add_argument("--device", default="auto")
    add_threads_argument(parser)
    parser.add_argument("--quiet", action="store_true")


def add_data_arguments(parser: argparse.ArgumentParser, data_help: str) -> None:
    """``--data PATH...`` and ``--alphabet`` (default: the run's) of the commands that read data with a run."""
    parser.add_argument("--data", required=True, nargs="+", metavar="PATH", help=f"{data_help}: {DATA_FILES_HELP}")
    add_alphabet_argument(parser, "default: the run's alphabet")


def read_run_data(args: argparse.Namespace, trained, labelled: bool = True, jobs: int = 1):
    """``args.data`` read in ``args.alphabet`` (default: the run's), checked against the run, with
    the structure channels the run reads folded in ``jobs`` processes.

    Raises:
        MotifnetError: unreadable data, another alphabet than the run's, or (``labelled``)
            other task or targets.
    """
    from motifnet.commands._inputs import describe_inputs, read_inputs
    from motifnet.errors import MotifnetError
    from motifnet.runs import check_compatible

    data = read_inputs(args.data, alphabet=args.alphabet or trained.alphabet)
    where = describe_inputs(args.data)
    if trained.config.get("folding") and data.alphabet == trained.alphabet:
        from motifnet.rna_structure import add_structure

        data = add_structure(data, trained.config["folding"], jobs=jobs, quiet=args.quiet)
    if labelled:
        check_compatible(trained, data, where)
    elif data.alphabet != trained.alphabet:
        raise MotifnetError(f"the run was trained on {trained.alphabet}, the data are {data.alphabet}", path=where)
    return data


def score_data(args: argparse.Namespace, labelled: bool):
    """Load ``args.run`` and ``args.data`` and predict; returns ``(run, data, scores, strands)``.

    Raises:
        MotifnetError: an unreadable run or data file, or data the run cannot score (a different
            alphabet; with ``labelled``, a different task or targets too).
    """
    from motifnet.devices import set_cpu_threads
    from motifnet.predict import predict
    from motifnet.runs import load_run
    from motifnet.strands import check_strands, run_strands

    threads = set_cpu_threads(args.threads)
    trained = load_run(args.run, device=args.device, weights=args.weights)
    data = read_run_data(args, trained, labelled, jobs=threads)
    strands = run_strands(trained.config) if args.strands == "auto" else args.strands
    check_strands(strands, ("forward", "both"), trained.alphabet)
    scores = predict(trained.model, data, batch_size=args.batch_size, strands=strands, task=trained.task,
                     regression_loss=trained.config.get("training", {}).get("regression_loss", "mse"), quiet=args.quiet)
    return trained, data, scores, strands
