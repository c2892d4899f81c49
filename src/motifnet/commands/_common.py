"""Options that several commands share, defined once."""

from __future__ import annotations

import argparse

from motifnet.devices import DEFAULT_BATCH_SIZE


TRAINING_THREADS = "1"
"""The thread count of commands that train. Float sums split over another number of threads round
differently, and training carries the difference on: the same seed gives other weights with 1
and 2 threads. A fixed default keeps a command's numbers the same on every machine and at any
load; ``--threads auto`` (or N) trades that for speed."""


def add_threads_argument(parser: argparse.ArgumentParser, trains: bool = False) -> None:
    """``--threads``, read by :func:`motifnet.devices.set_cpu_threads`: default auto for
    inference, :data:`TRAINING_THREADS` for commands that train (``trains=True``)."""
    if trains:
        parser.add_argument("--threads", default=TRAINING_THREADS,
                            help="CPU threads for torch: a number, or auto (the cores other work leaves free). "
                                 "Default 1: training results then do not depend on the machine or its load")
    else:
        parser.add_argument("--threads", default="auto",
                            help="CPU threads for torch: a number, or auto (default: the cores other work leaves free)")


def add_batch_size_argument(parser: argparse.ArgumentParser) -> None:
    """``--batch-size`` of inference (default :data:`~motifnet.devices.DEFAULT_BATCH_SIZE`)."""
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                        help=f"sequences per forward pass (default {DEFAULT_BATCH_SIZE}; changes speed only)")


__all__ = ["DEFAULT_BATCH_SIZE", "TRAINING_THREADS", "add_batch_size_argument", "add_threads_argument"]
