"""Where motifnet's filter match fraction and Koo & Eddy's (2019) part ways, one factor at a time.

    .venv/bin/python benchmarks/koo_eddy_gap.py [--pools 2,25] [--keep DIR] [--out FILE.json] [--quick]

For each CNN-k: simulate the Koo & Eddy multilabel task (12 JASPAR 2016 motifs, 25,000 x 200 bp,
seed 0), train CNN-k on the authors' schedule (Adam 3e-4, L2 1e-6, batch 100, up to 100 epochs,
early stop on the validation loss with patience 20, best weights kept), then turn the 30
first-layer filters into PPMs from the test windows above half of each filter's maximum, and
score them against the embedded motifs, changing one step of the scoring at a time:

- activation: the convolution's output before batch norm and ReLU ("raw convolution") vs the
  layer's output after them ("layer output", what the authors threshold and motifnet's default);
- windows: counted equally vs weighted by their activation (the authors' ``activation_pwm``);
- queries: motifnet's informative filters (>= 10 windows, trimmed at 0.2 bits, >= 4 columns of
  mean >= 0.5 bits) vs all 30 filters clipped to the columns above 0.5 bits plus 3 on each side
  (the authors' ``clip_filters``);
- database: JASPAR2024 vs JASPAR2016 CORE vertebrates (what the authors used);

and report three fractions of all 30 filters: best match (E < 0.1) a true motif (motifnet's rule),
any match a true motif (the authors' rule), any match at all (the authors' second number);
always over all 30 filters (a filter left out counts as not matching), and a true motif is
matched by any version of its matrix id. A run found in ``--keep DIR`` is reused.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

AUTHORS_TRAINING = {"epochs": 100, "batch_size": 100, "lr": 3e-4, "weight_decay": 1e-6, "patience": 20, "monitor": "loss"}


def match_fractions(filters, test, release: str, queries: str, e_value: float = 0.1) -> dict:
    """Fractions of all filters whose best match is a true motif, with any match to one, and
    with any match at all; true motifs matched by any version of their id."""
    from motifnet.interpret.tomtom import informative_queries, load_database, tomtom
    from motifnet.interpret.truth import clip_columns, true_motifs, true_targets, with_true_motifs

    truths = true_motifs(test, "JASPAR2024")
    database, _, _ = with_true_motifs(load_database(release), truths)
    ppms = filters.probabilities()
    if queries == "informative":
        kept, matrices, _ = informative_queries(ppms, filters.n_sites)
    else:
        kept, matrices = np.arange(len(ppms)), [clip_columns(p) for p in ppms]
    counts = {"best": 0, "any": 0, "any_jaspar": 0}
    recovered = set()
    if len(kept):
        result = tomtom(matrices, database, n_jobs=1)
        is_true = true_targets(database, truths)
        significant = result.e_values < e_value
        for q, best in enumerate(result.best()):
            if significant[q, best] and is_true[best]:
                counts["best"] += 1
                recovered.add(database.ids[best].split(".")[0])
            counts["any"] += bool((significant[q] & is_true).any())
            counts["any_jaspar"] += bool(significant[q].any())
    n = len(ppms)
    return {"n_queries": int(len(kept)), "best": counts["best"] / n, "any": counts["any"] / n,
            "any_jaspar": counts["any_jaspar"] / n, "motifs_recovered_best": len(recovered), "database_size": len(database)}


def train(k: int, data, folder: Path, quick: bool):
    import torch

    from motifnet.models import build
    from motifnet.runs import load_run
    from motifnet.training import fit

    run_dir = folder / f"cnn-{k}"
    if (run_dir / "model.safetensors").exists():
        return load_run(run_dir).model, False
    split = data.annotations["split"]
    train_set, valid = (data.subset(np.flatnonzero(split == s)) for s in ("train", "valid"))
    torch.manual_seed(0)
    model = build("cnn", data.n_targets, data.length, preset=f"cnn-{k}")
    options = dict(AUTHORS_TRAINING, epochs=2 if quick else AUTHORS_TRAINING["epochs"])
    fit(model, train_set, valid, out_dir=run_dir, overwrite=True, quiet=True, seed=0, **options)
    return model, True


def schedule(run_dir: Path) -> dict:
    """Epochs run and the best epoch (smallest validation loss) from a run's history.csv."""
    from motifnet.report.experiment import read_history

    losses = read_history(run_dir / "history.csv")["valid_loss"]
    return {"epochs_run": len(losses), "best_epoch": int(np.argmin(losses)) + 1}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pools", default="2,25", help="first-layer pool sizes k, comma-separated")
    parser.add_argument("--keep", help="keep (and reuse) the trained runs here")
    parser.add_argument("--out", help="write the results JSON here")
    parser.add_argument("--quick", action="store_true", help="tiny data, 2 epochs (a smoke test)")
    args = parser.parse_args(argv)

    import torch

    from motifnet.interpret.filters import activation_motifs
    from motifnet.metrics import evaluate
    from motifnet.simulate import simulate
    from motifnet.training import predict

    torch.set_num_threads(1)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="koo_eddy_gap."))
    data = simulate("multilabel", n=600 if args.quick else 25000, seed=0)
    test = data.subset(np.flatnonzero(data.annotations["split"] == "test"))
    results: dict = {"data": f"multilabel, {len(data)} sequences, seed 0; test split {len(test)}",
                     "training": AUTHORS_TRAINING, "pools": {}}
    variants = [  # (name, after batch norm and ReLU, activation-weighted, queries, database)
        ("A. raw convolution, informative filters, JASPAR2024", False, False, "informative", "JASPAR2024"),
        ("B. A on JASPAR2016", False, False, "informative", "JASPAR2016"),
        ("C. A with all 30 filters, authors' clip", False, False, "all", "JASPAR2024"),
        ("D. layer output, informative filters, JASPAR2024 (motifnet's default)", True, False, "informative", "JASPAR2024"),
        ("E. D on JASPAR2016", True, False, "informative", "JASPAR2016"),
        ("F. D with all 30 filters, authors' clip", True, False, "all", "JASPAR2024"),
        ("G. F with activation-weighted windows", True, True, "all", "JASPAR2024"),
        ("H. G on JASPAR2016 (every choice the authors')", True, True, "all", "JASPAR2016"),
    ]
    for k in [int(p) for p in args.pools.split(",") if p]:
        start = time.perf_counter()
        model, trained = train(k, data, folder, args.quick)
        model.eval()
        metrics = evaluate(data.task, test.targets, predict(model, test), data.target_names)
        entry = {"test_auroc_macro": metrics["macro"]["auroc"], **schedule(folder / f"cnn-{k}")}
        if trained:
            entry["train_seconds"] = round(time.perf_counter() - start, 1)
        for name, after, weighted, queries, release in variants:
            filters = activation_motifs(model, test.tokens, activation="layer" if after else "conv", weighted=weighted)
            entry[name] = match_fractions(filters, test, release, queries)
            print(k, name, entry[name], flush=True)
        results["pools"][f"cnn-{k}"] = entry
    text = json.dumps(results, indent=2, default=float)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return results


if __name__ == "__main__":
    main()
