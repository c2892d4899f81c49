"""Real-data proof: DeepBind on the 10 ENCODE ChIP-seq experiments of Alipanahi et al. (2015).

For each experiment in ../shared/data/deepbind_encode: train on the AC file (peaks only;
dinucleotide-shuffled negatives, fresh every epoch) and test on the B file (500 peaks, 500
shuffled peaks). One fixed recipe for all ten (no per-experiment tuning): DeepBind preset
``encode`` (128 detectors x 24, 0.25 padding, max+average pooling, hidden 32, dropout 0.5), Adam
3e-3, batch 128, each sequence on a random strand every time it is seen (``augment=rc``), early
stopping on a seeded 10% validation split (patience 5), at most 40 epochs (no time limit unless
``--max-seconds`` is given); the test score of a sequence is the mean of its two strands' probabilities.

Writes benchmarks/results/eval_encode.json and benchmarks/results/eval_encode.md: our AUC beside
DeepBind* and DeepBind from ``published_auc_encodeaucs.csv`` (second row is the header; rows are
matched by the file-name prefix ``TF_CellLine_Antibody_Lab``), with the training seconds.

    python benchmarks/eval_encode.py                      # all ten (make eval-encode)
    python benchmarks/eval_encode.py --experiments ARID3A SP1
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import DATA_DIR, ROOT, machine  # noqa: E402

ENCODE_DIR = DATA_DIR / "deepbind_encode"
RESULTS = ROOT / "benchmarks" / "results"
RECIPE = {
    "model": "deepbind",
    "preset": "encode",
    "training": {"epochs": 40, "batch_size": 128, "lr": 3e-3, "augment": ["rc"], "negatives": "dinuc-shuffle",
                 "patience": 5, "valid_fraction": 0.1, "seed": 0, "device": "cpu"},
    "test_strands": "both",
}


def experiments(directory: Path = ENCODE_DIR) -> list[str]:
    """The experiment prefixes (``TF_CellLine_Antibody_Lab``) that have both an AC and a B file."""
    names = sorted(p.name[: -len("_AC.seq.gz")] for p in directory.glob("*_AC.seq.gz"))
    return [name for name in names if (directory / f"{name}_B.seq.gz").exists()]


def published(directory: Path = ENCODE_DIR) -> dict[str, dict[str, float]]:
    """``{prefix: {"DeepBind*": auc, "DeepBind": auc}}`` from the paper's table (header on row 2)."""
    with open(directory / "published_auc_encodeaucs.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[1]
    name_col, star_col, plain_col = header.index("TF_CellLine_Antibody_Lab"), header.index("DeepBind*"), header.index("DeepBind")
    table = {}
    for row in rows[2:]:
        if len(row) > plain_col and row[name_col]:
            table[row[name_col]] = {"DeepBind*": float(row[star_col]), "DeepBind": float(row[plain_col])}
    return table


def match_published(prefix: str, table: dict[str, dict[str, float]]) -> dict[str, float] | None:
    """The published row whose name is the file-name prefix (or a prefix of it)."""
    if prefix in table:
        return table[prefix]
    candidates = [name for name in table if prefix.startswith(name) or name.startswith(prefix)]
    return table[max(candidates, key=len)] if candidates else None


def train_one(prefix: str, max_seconds: float | None = None, quick: bool = False, epochs: int | None = None,
              overrides: dict | None = None):
    """DeepBind trained by the recipe on ``<prefix>_AC.seq.gz``.

    Returns:
        ``(model, train, test, fit_result, train_seconds)`` (``test``: the B file).
    """
    import torch

    from motifnet.io import read_data
    from motifnet.models import build
    from motifnet.training import fit

    train = read_data(ENCODE_DIR / f"{prefix}_AC.seq.gz")
    test = read_data(ENCODE_DIR / f"{prefix}_B.seq.gz")
    options = dict(RECIPE["training"], max_seconds=max_seconds, **(overrides or {}))
    if epochs is not None:
        options["epochs"] = epochs
    params = {}
    if quick:
        train = train.subset(np.arange(min(300, len(train))))
        test = test.subset(np.r_[0:100, len(test) - 100 : len(test)])
        options.update(epochs=1)
        params = {"n_filters": 16}
    torch.manual_seed(options["seed"])
    model = build(RECIPE["model"], n_targets=1, input_length=train.length, preset=RECIPE["preset"], **params)
    start = time.perf_counter()
    result = fit(model, train, quiet=True, **options)
    return model, train, test, result, time.perf_counter() - start


def evaluate_one(prefix: str, max_seconds: float | None, quick: bool = False, epochs: int | None = None,
                 overrides: dict | None = None) -> dict:
    """Train on ``<prefix>_AC.seq.gz`` and test on ``<prefix>_B.seq.gz``; return one result row."""
    model, train, test, result, train_seconds = train_one(prefix, max_seconds, quick, epochs, overrides)
    return result_row(prefix, model, train, test, result, train_seconds, max_seconds)


def result_row(prefix: str, model, train, test, result, train_seconds: float, max_seconds: float | None = None) -> dict:
    """The test AUROC/AUPRC of a model trained by :func:`train_one`, with its training facts."""
    from motifnet.metrics import evaluate
    from motifnet.training import predict

    scores = predict(model, test, strands=RECIPE["test_strands"])
    metrics = evaluate("binary", test.targets, scores, test.target_names)
    return {
        "experiment": prefix,
        "train_positives": len(train),
        "test": len(test),
        "auc": round(metrics["macro"]["auroc"], 5),
        "auprc": round(metrics["macro"]["auprc"], 5),
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        "stopped": "early" if result.stopped_early and (max_seconds is None or result.seconds < max_seconds) else
                   ("time" if result.stopped_early else "epochs"),
        "train_seconds": round(train_seconds, 1),
    }


def markdown(rows: list[dict], summary: dict) -> str:
    """The results as a markdown table with the published AUCs."""
    lines = [
        "| experiment | AC peaks | ours AUC | DeepBind* | DeepBind | epochs (best) | train s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        star = "" if r["deepbind_star"] is None else f"{r['deepbind_star']:.3f}"
        plain = "" if r["deepbind"] is None else f"{r['deepbind']:.3f}"
        lines.append(f"| {r['experiment']} | {r['train_positives']} | **{r['auc']:.3f}** | {star} | {plain} | "
                     f"{r['epochs']} ({r['best_epoch']}) | {r['train_seconds']:.0f} |")
    lines.append(f"| **mean** | | **{summary['mean_auc']:.3f}** | {summary['mean_deepbind_star']:.3f} | "
                 f"{summary['mean_deepbind']:.3f} | | {summary['mean_train_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def run(quick: bool = False, names: list[str] | None = None, max_seconds: float | None = None,
        epochs: int | None = None, write: bool = True, overrides: dict | None = None) -> dict:
    """Evaluate the experiments (all, or those whose prefix starts with one of ``names``).

    Returns:
        {"title", "rows", "notes", "summary", "recipe", "machine"}; also written to
        benchmarks/results/eval_encode.json and .md unless ``quick`` or ``write=False``.
    """
    import torch

    table = published()
    chosen = [e for e in experiments() if not names or any(e.startswith(n) for n in names)]
    if quick:
        chosen = chosen[:1]
    load_before = os.getloadavg()[0]
    rows = []
    for prefix in chosen:
        row = evaluate_one(prefix, max_seconds, quick=quick, epochs=epochs, overrides=overrides)
        paper = match_published(prefix, table) or {}
        row["deepbind_star"] = paper.get("DeepBind*")
        row["deepbind"] = paper.get("DeepBind")
        row["ratio_to_deepbind_star"] = round(row["auc"] / row["deepbind_star"], 4) if row["deepbind_star"] else None
        rows.append(row)
        print(f"{prefix}: AUC {row['auc']:.4f} (DeepBind* {row['deepbind_star']}), {row['epochs']} epochs, "
              f"{row['train_seconds']:.0f} s", file=sys.stderr, flush=True)
    summary = {
        "experiments": len(rows),
        "mean_auc": round(statistics.mean(r["auc"] for r in rows), 4),
        "mean_deepbind_star": round(statistics.mean(r["deepbind_star"] for r in rows if r["deepbind_star"]), 4),
        "mean_deepbind": round(statistics.mean(r["deepbind"] for r in rows if r["deepbind"]), 4),
        "above_deepbind_star": sum(r["auc"] >= (r["deepbind_star"] or 1) for r in rows),
        "mean_train_seconds": round(statistics.mean(r["train_seconds"] for r in rows), 1),
        "max_train_seconds": max(r["train_seconds"] for r in rows),
        "torch_threads": torch.get_num_threads(),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }
    notes = (
        f"Train on AC (dinucleotide-shuffled negatives), test on B; recipe {json.dumps(RECIPE)}; "
        + (f"max {max_seconds} s training per experiment; " if max_seconds else "no time limit; ")
        + f"{summary['torch_threads']} torch thread(s); load average "
        f"{summary['load_average_before']} before, {summary['load_average_after']} after (shared machine)."
    )
    result = {"title": "DeepBind on 10 ENCODE ChIP-seq experiments (AC -> B)", "rows": rows, "notes": notes,
              "summary": summary, "recipe": RECIPE, "max_seconds": max_seconds, "machine": machine()}
    if write and not quick:
        from motifnet.io.files import atomic_write
        from motifnet.runs import write_json

        write_json(RESULTS / "eval_encode.json", result)
        with atomic_write(RESULTS / "eval_encode.md") as handle:
            handle.write(f"# {result['title']}\n\n{markdown(rows, summary)}\n{notes}\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", nargs="*", help="prefixes to run (default: all ten)")
    parser.add_argument("--max-seconds", type=float, default=None, help="a training time limit per experiment (default none: results then depend on the machine)")
    parser.add_argument("--epochs", type=int, help="override the recipe's epoch cap")
    parser.add_argument("--threads", default="auto",
                        help="torch intra-op threads; auto (default): the cores other work leaves free, at least 1 "
                        "(on a busy machine, threads waiting for each other make training several times slower)")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                        help="override a training option of the recipe (results are then not written)")
    parser.add_argument("--quick", action="store_true", help="a few seconds on a tiny subset (smoke test)")
    args = parser.parse_args(argv)
    from motifnet.devices import set_cpu_threads

    set_cpu_threads(args.threads)
    from motifnet.commands._settings import parse_assignments

    overrides = parse_assignments(args.assignments)
    result = run(quick=args.quick, names=args.experiments, max_seconds=args.max_seconds, epochs=args.epochs,
                 write=not (args.experiments or overrides), overrides=overrides)
    if not args.quick and result["rows"]:
        print(markdown(result["rows"], result["summary"]))
    print(json.dumps(result["summary"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
