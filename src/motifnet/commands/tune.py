"""``motifnet tune``: search model and training settings by k-fold cross-validation (Optuna),
retrain the best, and write the trials, a report and the run folders to DIR."""

from __future__ import annotations

import argparse

from motifnet.commands._common import add_threads_argument
from motifnet.commands._inputs import DATA_FILES_HELP, add_alphabet_argument, add_structure_arguments


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "tune",
        help="search settings by k-fold cross-validation (Optuna), retrain the best, HTML report",
        description="Sample settings from SPACE (YAML: name: {low, high, log: true} or a list of choices; names "
        "as --set takes them), score each by k-fold cross-validation of --data (stratified, or by a fold or "
        "chrom column), prune trials whose validation curve falls below the median, and write DIR: study.db "
        "(the study; resumable, shareable with --storage/--study), trials.tsv, best.json, report.html, best/ "
        "(the best setting retrained on all the data) and, with --ensemble, ensemble/ (the fold models, "
        "averaged by predict, evaluate, scan and interpret).",
    )
    parser.add_argument("--data", required=True, nargs="+", metavar="PATH", help=f"training data: {DATA_FILES_HELP}")
    add_alphabet_argument(parser, "default: RNA if U and no T")
    add_structure_arguments(parser)
    parser.add_argument("--model", required=True, help="model name (see `motifnet describe`)")
    parser.add_argument("--preset", help="named configuration of the model (e.g. paper, encode, classroom)")
    parser.add_argument("--space", required=True, help="YAML/JSON search space")
    parser.add_argument("--trials", type=int, default=30,
                        help="finished trials the study should hold (default 30; a resumed study runs the rest)")
    parser.add_argument("--folds", type=int, default=3, help="cross-validation folds (default 3)")
    parser.add_argument("--fold-by", default="auto",
                        help="auto (a fold or chrom column with enough values, else stratified), stratified, "
                             "or an annotation column")
    parser.add_argument("--split", default="train,valid",
                        help="rows whose 'split' annotation is one of these, when the data have one "
                             "(default train,valid: test rows never take part); all: every row")
    parser.add_argument("--config", help="YAML/JSON file of fixed settings (as `motifnet train --config`)")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                        help="one fixed setting; repeat as needed")
    parser.add_argument("--negatives", choices=["dinuc-shuffle"], help="make negatives for positive-only data")
    parser.add_argument("--epochs", type=int, help="shortcut for --set epochs=N")
    parser.add_argument("--seed", type=int, help="sampling, folds and training (default 0)")
    parser.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    parser.add_argument("--sampler", choices=["tpe", "random"], default="tpe",
                        help="tpe (default: 10 random trials, then TPE) or random")
    parser.add_argument("--pruner", choices=["median", "none"], default="median")
    parser.add_argument("--prune-startup", type=int, default=5, help="complete trials before any pruning (default 5)")
    parser.add_argument("--prune-warmup", type=int, default=1,
                        help="epochs of each fold that are never pruned (default 1)")
    parser.add_argument("--storage", help="Optuna storage URL (default sqlite:///DIR/study.db; any database URL "
                        "for workers on several machines)")
    parser.add_argument("--study", default="motifnet", help="study name in the storage (default motifnet)")
    parser.add_argument("--ensemble", action="store_true", help="keep the best trial's fold models as DIR/ensemble")
    parser.add_argument("--no-retrain", action="store_true",
                        help="search only (a worker); a later call with the same arguments retrains")
    parser.add_argument("--out", required=True, help="folder DIR to write")
    add_threads_argument(parser, trains=True)
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(func=run)


def _rows_of_split(data, split: str):
    """The rows of ``data`` whose 'split' annotation is in the comma-separated ``split``."""
    import numpy as np

    from motifnet.errors import MotifnetError

    if split == "all" or "split" not in data.annotations:
        return data
    wanted = [s.strip() for s in split.split(",") if s.strip()]
    rows = np.flatnonzero(np.isin(np.asarray(data.annotations["split"]).astype(str), wanted))
    if len(rows) == 0:
        have = sorted(set(np.asarray(data.annotations["split"]).astype(str)))
        raise MotifnetError(f"no rows with split {', '.join(wanted)}; the data have {', '.join(have)}")
    return data.subset(rows) if len(rows) < len(data) else data


def run(args: argparse.Namespace) -> int:
    import optuna

    from motifnet.commands._inputs import describe_inputs, read_inputs, with_structure
    from motifnet.commands._settings import parse_assignments, read_settings_file, split_settings
    from motifnet.devices import set_cpu_threads
    from motifnet.jsonio import read_json
    from motifnet.report.tuning import build_tuning_report
    from motifnet.training.space import read_space
    from motifnet.training.tune import BEST_FILE, tune

    threads = set_cpu_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # the progress lines below say what Optuna would
    model_params, options = split_settings(read_settings_file(args.config) if args.config else {})
    extra_model, extra_options = split_settings(parse_assignments(args.assignments))
    model_params.update(extra_model)
    options.update(extra_options)
    preset = args.preset or model_params.pop("preset", None)
    for key in ("negatives", "epochs", "device"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    seed = args.seed if args.seed is not None else int(options.pop("seed", 0))
    options.pop("seed", None)
    space = read_space(args.space, args.model, preset)
    data = with_structure(_rows_of_split(read_inputs(args.data, alphabet=args.alphabet), args.split), args, threads)
    fixed = {**{f"model.{k}": v for k, v in model_params.items()}, **{f"training.{k}": v for k, v in options.items()}}
    result = tune(data, args.model, space, trials=args.trials, folds=args.folds, fold_by=args.fold_by, fixed=fixed,
                  preset=preset, out_dir=args.out, storage=args.storage, study_name=args.study, sampler=args.sampler,
                  pruner=args.pruner, prune_startup=args.prune_startup, prune_warmup=args.prune_warmup,
                  retrain=not args.no_retrain, ensemble=args.ensemble, seed=seed, quiet=args.quiet,
                  run_info={"data": {"train": describe_inputs(args.data), "split": args.split}})
    report = build_tuning_report(read_json(f"{args.out}/{BEST_FILE}"), result.trials, f"{args.out}/report.html",
                                 title=f"Hyperparameter search: {args.model}")
    made = [str(report)] + [str(path) for path in (result.best_run, result.ensemble) if path is not None]
    print(f"{args.out}: best trial {result.best_trial} of {len(result.trials)}, {result.monitor} "
          f"{result.best_value:.4f} ({result.new_trials} new); wrote {', '.join(made)}")
    return 0
