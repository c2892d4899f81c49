"""``motifnet demo``: the shipped classroom experiment (five models on simulated JASPAR data)."""

from __future__ import annotations

from motifnet.commands.run import add_experiment_options, execute


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the classroom experiment (examples/classroom.yaml) and write its HTML report",
        description="Simulate the 11-class classroom data set (10 JASPAR motifs + none), train DeepBind, DanQ, "
                    "a residual CNN, a simple RNN and an LSTM, evaluate, interpret and write an HTML report. "
                    "Steps run side by side on the CPU cores (--jobs auto); rerunning reuses finished steps.",
    )
    add_experiment_options(parser, "runs/demo", jobs="auto")
    parser.set_defaults(func=run)


def run(args) -> int:
    from motifnet.experiments import example_path, load_experiment

    experiment = load_experiment(example_path("classroom"), args.overrides)
    return execute(experiment, args.out, args.quiet, args.threads, args.jobs)
