"""Subcommands of the ``motifnet`` CLI, one module each (see :mod:`motifnet.cli`)."""
