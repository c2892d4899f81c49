"""Options that several commands share, defined once."""

from __future__ import annotations

import argparse

from motifnet.devices import DEFAULT_BATCH_SIZE


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    """``--threads`` (default auto), read by :func:`motifnet.devices.set_cpu_threads`."""
    parser.add_argument("--threads", default="auto",
                        help="CPU threads for torch: a number, or auto (default: the cores other work leaves free)")


def add_batch_size_argument(parser: argparse.ArgumentParser) -> None:
    """``--batch-size`` of inference (default :data:`~motifnet.devices.DEFAULT_BATCH_SIZE`)."""
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                        help=f"sequences per forward pass (default {DEFAULT_BATCH_SIZE}; changes speed only)")


__all__ = ["DEFAULT_BATCH_SIZE", "add_batch_size_argument", "add_threads_argument"]
