"""``motifnet describe MODEL``: layer-by-layer output shapes, parameters and receptive fields."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "describe",
        help="print a model's layers: output shape, parameters, receptive field",
        description="Build a registered model and print, per layer, its output shape (channels x "
        "length, per sequence), parameter count, receptive field and jump in input positions. "
        "Without --length/--targets the preset's design values are used.",
    )
    parser.add_argument("model", nargs="?", help="model name (omit with --list)")
    parser.add_argument("--preset", help="named configuration of the model (default: the model's default)")
    parser.add_argument("--length", type=int, help="input length L")
    parser.add_argument("--targets", type=int, help="number of outputs T")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parameter; VALUE is read as YAML (e.g. hidden=0, pool=maxavg, dilation=[1,2,4])")
    parser.add_argument("--rc", choices=("mean", "max"), help="wrap in the reverse-complement wrapper")
    parser.add_argument("--compact", action="store_true", help="leave out activations, dropout and batch norm rows")
    parser.add_argument("--json", action="store_true", help="print the rows and the model config as JSON")
    parser.add_argument("--list", action="store_true", help="list the models and their presets")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from motifnet.arithmetic import count_parameters, describe, format_table
    from motifnet.commands._settings import parse_assignments
    from motifnet.errors import MotifnetError
    from motifnet.models import ReverseComplement, available, build, get_spec

    if args.list or not args.model:
        if not args.list:
            raise MotifnetError(f"name a model; expected one of {sorted(available())}")
        for name, presets in available().items():
            spec = get_spec(name)
            print(f"{name:9s} {spec.doc}; default preset: {spec.default_preset or '-'}")
            for preset in presets:
                print(f"  {preset:10s} {spec.presets[preset].get('doc', '')}")
        return 0
    spec = get_spec(args.model)
    length, targets = spec.design(args.preset)
    length = args.length if args.length is not None else length
    targets = args.targets if args.targets is not None else targets
    model = build(args.model, targets, length, preset=args.preset, **parse_assignments(args.settings))
    if args.rc:
        model = ReverseComplement(model, args.rc)
    rows = describe(model, length)
    total = count_parameters(model)
    if args.json:
        print(json.dumps({"config": model.config, "rows": rows, "total_params": total}, indent=2))
        return 0
    config = model.config
    print(f"{config['name']} (preset {config['preset']}), input 4 x {length}, {targets} target(s)")
    print("params: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in config["params"].items()))
    print(format_table(rows, total, compact=args.compact))
    return 0
