"""``motifnet evaluate``: metrics of a trained run on labelled data, as JSON."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="AUROC/AUPRC (per target, macro, micro), accuracy and confusion matrix of a run on data",
        description="Score labelled data with a trained run and write the metrics as JSON "
        "(to --out, else standard output).",
    )
    parser.add_argument("--run", required=True, help="run folder written by `motifnet train`")
    parser.add_argument("--data", required=True, help="labelled data")
    parser.add_argument("--out", help="JSON file to write (default: print)")
    parser.add_argument("--strands", choices=["auto", "forward", "both"], default="auto",
                        help="auto: both strands when the run trained with reverse-complement augmentation")
    parser.add_argument("--weights", choices=["best", "last"], default="best")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from motifnet.io import read_data
    from motifnet.metrics import evaluate, headline
    from motifnet.runs import json_safe, check_compatible, default_strands, load_run, write_json
    from motifnet.training import predict

    trained = load_run(args.run, device=args.device, weights=args.weights)
    data = read_data(args.data)
    check_compatible(trained, data, args.data)
    strands = default_strands(trained.config) if args.strands == "auto" else args.strands
    scores = predict(trained.model, data, batch_size=args.batch_size, strands=strands, task=trained.task,
                     regression_loss=trained.config.get("training", {}).get("regression_loss", "mse"), quiet=args.quiet)
    result = evaluate(trained.task, data.targets, scores, trained.target_names)
    result.update({"run": str(args.run), "data": str(args.data), "strands": strands})
    if args.out:
        write_json(args.out, result)
        shown = " ".join(f"{k} {v:.4f}" for k, v in headline(result).items() if v == v)
        print(f"{args.out}: n {result['n']} {shown}")
    else:
        print(json.dumps(json_safe(result), indent=2))
    return 0
