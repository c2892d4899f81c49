"""The ``motifnet`` command.

Each subcommand lives in its own module of :mod:`motifnet.commands` and defines
``register(subparsers)``, which adds its parser and sets ``func`` to a function taking the
parsed arguments. Command modules import heavy libraries inside ``func`` so that
``motifnet --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from motifnet import __version__
from motifnet.errors import MotifnetError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand found in :mod:`motifnet.commands`."""
    import motifnet.commands as commands

    parser = argparse.ArgumentParser(
        prog="motifnet",
        description="Learn where proteins bind DNA and RNA, and which motifs they read.",
    )
    parser.add_argument("--version", action="version", version=f"motifnet {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"motifnet.commands.{info.name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI. User mistakes print one line and return 2; nothing else is caught."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        result = args.func(args)
    except MotifnetError as error:
        print(f"motifnet {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"motifnet {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
