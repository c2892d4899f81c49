"""``motifnet train``: fit a registered model to a data file and write a run folder."""

from __future__ import annotations

import argparse

from motifnet.commands._common import add_threads_argument
from motifnet.commands._inputs import DATA_FILES_HELP, add_alphabet_argument, add_structure_arguments


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model and write a run folder",
        description="Train a registered model on a data file (FASTA, DeepBind .seq, TSV/CSV, BED+genome, "
        "or a store) and write RUN_DIR: config.json, model.safetensors, last.safetensors, metrics.json, "
        "history.csv. Settings: --config FILE (YAML/JSON, flat or with model:/training: sections) then "
        "--set key=value (training options such as epochs, lr, batch_size, optimizer, schedule, patience, "
        "augment=rc,shift, amp, seed; anything else is a model parameter, e.g. n_filters=32).",
    )
    parser.add_argument("--data", required=True, nargs="+", metavar="PATH", help=f"training data: {DATA_FILES_HELP}")
    parser.add_argument("--valid", nargs="+", metavar="PATH",
                        help="validation data, read as --data (default: a seeded stratified split of --data)")
    add_alphabet_argument(parser, "default: RNA if U and no T; recorded in the run folder")
    add_structure_arguments(parser)
    parser.add_argument("--model", required=True, help="model name (see `motifnet describe`)")
    parser.add_argument("--preset", help="named configuration of the model (e.g. paper, encode, classroom)")
    parser.add_argument("--config", help="YAML/JSON settings file")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                        help="one setting; repeat as needed")
    parser.add_argument("--out", required=True, help="run folder to write")
    parser.add_argument("--negatives", choices=["dinuc-shuffle"], help="make negatives for positive-only data")
    parser.add_argument("--epochs", type=int, help="shortcut for --set epochs=N")
    parser.add_argument("--seed", type=int, help="shortcut for --set seed=N")
    parser.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    add_threads_argument(parser, trains=True)
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last epoch")
    parser.add_argument("--overwrite", action="store_true", help="replace a run already in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from motifnet.commands._settings import parse_assignments, read_settings_file, split_settings
    from motifnet.devices import set_cpu_threads
    from motifnet.commands._inputs import describe_inputs, read_inputs, with_structure
    from motifnet.metrics import headline
    from motifnet.models import build
    from motifnet.training import fit
    from motifnet.training.distributed import rank_and_size

    threads = set_cpu_threads(args.threads)
    settings = read_settings_file(args.config) if args.config else {}
    model_params, options = split_settings(settings)
    extra_model, extra_options = split_settings(parse_assignments(args.assignments))
    model_params.update(extra_model)
    options.update(extra_options)
    preset = args.preset or model_params.pop("preset", None)
    for key in ("negatives", "epochs", "seed", "device"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    train = with_structure(read_inputs(args.data, alphabet=args.alphabet), args, jobs=threads)
    valid = None
    if args.valid:
        valid = with_structure(read_inputs(args.valid, alphabet=args.alphabet or train.alphabet), args, jobs=threads)
    torch.manual_seed(int(options.get("seed", 0)))
    model = build(args.model, n_targets=train.n_targets, input_length=train.length, preset=preset,
                  in_channels=train.channels, **model_params)
    info = {"data": {"train": describe_inputs(args.data), "valid": describe_inputs(args.valid)}}
    result = fit(model, train, valid, out_dir=args.out, resume=args.resume, overwrite=args.overwrite,
                 quiet=args.quiet, run_info=info, **options)
    if rank_and_size()[0] == 0:
        summary = headline(result.metrics) if result.metrics else {}
        shown = " ".join(f"{k} {v:.4f}" for k, v in summary.items() if v == v)
        print(f"{args.out}: best epoch {result.best_epoch} of {len(result.history)}, "
              f"{result.seconds:.1f} s{', ' if shown else ''}{shown}")
    return 0
