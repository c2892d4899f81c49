"""``motifnet evaluate``: metrics of a trained run on labelled data, as JSON."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from motifnet.commands._scoring import add_scoring_arguments

    parser = subparsers.add_parser(
        "evaluate",
        help="AUROC/AUPRC (per target, macro, micro), accuracy and confusion matrix of a run on data",
        description="Score labelled data with a trained run and write the metrics as JSON "
        "(to --out, else standard output).",
    )
    add_scoring_arguments(parser, "labelled data (any format `motifnet train` reads)")
    parser.add_argument("--out", help="JSON file to write (default: print)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from motifnet.metrics import evaluate, headline
    from motifnet.jsonio import json_safe, write_json
    from motifnet.commands._inputs import describe_inputs
    from motifnet.commands._scoring import score_data

    trained, data, scores, strands = score_data(args, labelled=True)
    result = evaluate(trained.task, data.targets, scores, trained.target_names)
    result.update({"run": str(args.run), "data": describe_inputs(args.data), "strands": strands})
    if args.out:
        write_json(args.out, result)
        shown = " ".join(f"{k} {v:.4f}" for k, v in headline(result).items() if v == v)
        print(f"{args.out}: n {result['n']} {shown}")
    else:
        print(json.dumps(json_safe(result), indent=2))
    return 0
