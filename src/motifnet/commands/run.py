"""``motifnet run EXPERIMENT.yaml --out DIR``: run (or resume) a YAML experiment and write its report."""

from __future__ import annotations

import argparse

from motifnet.commands._common import TRAINING_THREADS, add_threads_argument


def add_experiment_options(parser: argparse.ArgumentParser, default_out: str | None, jobs: str = "1") -> None:
    """The options shared by ``run`` and ``demo`` (``jobs``: the default of ``--jobs``)."""
    parser.add_argument("--out", default=default_out, metavar="DIR",
                        help="output folder; finished steps in it are reused" + (f" (default {default_out})" if default_out else
                                                                                 " (default runs/<experiment name>)"))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting, e.g. --set train.epochs=2 or --set models.LSTM.params.hidden=64 "
                             "(repeatable; VALUE is read as YAML)")
    add_threads_argument(parser, trains=True)
    parser.add_argument("--jobs", default=jobs, type=parse_jobs,
                        help="steps run side by side, each in its own process with --threads threads: a number, or "
                             f"auto (the CPU cores divided by --threads); results do not depend on it (default {jobs})")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or step lines")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a YAML experiment: data -> train -> evaluate -> interpret -> HTML report",
        description="Run a YAML experiment (see examples/ and docs/experiments.md). Each step writes into its "
                    "own folder under DIR with a completion marker, so an interrupted or repeated run redoes "
                    "only what is missing or changed.",
    )
    parser.add_argument("experiment", metavar="EXPERIMENT.yaml", help="experiment file")
    add_experiment_options(parser, None)
    parser.set_defaults(func=run)


def parse_jobs(text: str) -> int | str:
    """``--jobs``: a positive number or 'auto'."""
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1 or auto, got {text!r}")
    return value


def run(args) -> int:
    from motifnet.experiments import load_experiment

    experiment = load_experiment(args.experiment, args.overrides)
    return execute(experiment, args.out or f"runs/{experiment.name}", args.quiet, args.threads, args.jobs)


def execute(experiment, out: str, quiet: bool, threads: int | str | None = TRAINING_THREADS,
            jobs: int | str = 1) -> int:
    """Run ``experiment`` into ``out`` with ``threads`` CPU threads per step
    (:func:`motifnet.devices.set_cpu_threads`), ``jobs`` steps at a time ('auto': the usable CPU
    cores divided by the threads), and print where the report is and its conclusions."""
    import json

    from motifnet.devices import available_cores, set_cpu_threads
    from motifnet.experiments import run_experiment

    threads = set_cpu_threads(threads)
    if jobs == "auto":
        jobs = max(1, available_cores() // threads)
    log = None if quiet else (lambda line: print(f"[{experiment.name}] {line}", flush=True))
    result = run_experiment(experiment, out, quiet=quiet, log=log, jobs=jobs)
    ran = len(result.ran)
    print(f"report: {result.report}  ({ran} step(s) run, {len(result.events) - ran} reused, {result.seconds:.0f} s)")
    if not quiet:
        results = json.loads((result.report.parent / "results.json").read_text())
        for sentence in results.get("conclusions", [])[:8]:
            print(f"  - {sentence}")
    return 0
