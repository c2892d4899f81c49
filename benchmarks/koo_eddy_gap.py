"""Where motifnet's filter match fraction and Koo & Eddy's (2019) part ways, one factor at a time.

    .venv/bin/python benchmarks/koo_eddy_gap.py [--pools 2,25] [--keep DIR] [--out FILE.json] [--quick]

For each CNN-k: simulate the Koo & Eddy multilabel task (12 JASPAR 2016 motifs, 25,000 x 200 bp,
seed 0), train CNN-k on the authors' schedule (Adam 3e-4, L2 1e-6, batch 100, up to 100 epochs,
early stop on the validation loss with patience 20, best weights kept), then turn the 30
first-layer filters into PPMs and score them against the embedded motifs, changing one step of
the scoring at a time from motifnet's default to the authors' choice:

- activation: the convolution's output before batch norm and ReLU (motifnet's filter view)
  vs the layer's output after them (the authors threshold ``conv1d_0_active``);
- windows: counted equally vs weighted by their activation (the authors' ``activation_pwm``);
- queries: motifnet's informative filters (>= 10 windows, trimmed at 0.2 bits, >= 4 columns of
  mean >= 0.5 bits) vs all 30 filters clipped to the columns above 0.5 bits plus 3 on each side
  (the authors' ``clip_filters``);
- database: JASPAR2024 vs JASPAR2016 CORE vertebrates (what the authors used);
- rule: the best match is a true motif vs any match with E < 0.1 is one (the authors');

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


def clip_like_authors(ppm: np.ndarray, threshold: float = 0.5, pad: int = 3) -> np.ndarray:
    """The columns from the first to the last above ``threshold`` bits, widened by ``pad``."""
    from motifnet.motifs import information_content

    informative = np.flatnonzero(information_content(ppm) > threshold)
    if len(informative) == 0:
        return ppm
    return ppm[:, max(informative[0] - pad, 0) : min(informative[-1] + pad + 1, ppm.shape[1])]


def layer_output(model):
    """A function mapping the first convolution's output to its layer's output after batch norm
    and the activation (the modules that follow the convolution in its block, pooling excluded)."""
    from torch import nn

    from motifnet.models import first_conv

    conv = first_conv(model)
    block = next(m for m in model.modules() if isinstance(m, nn.Sequential) and any(c is conv for c in m.children()))
    children = list(block.children())
    after = []
    for module in children[children.index(conv) + 1 :]:
        if isinstance(module, (nn.MaxPool1d, nn.AvgPool1d, nn.Dropout)) or "Pool" in type(module).__name__:
            break
        after.append(module)
    return lambda z: nn.Sequential(*after).eval()(z)


def filter_ppms(model, tokens: np.ndarray, after_activation: bool, weighted: bool, threshold: float = 0.5):
    """PPMs ``[F, 4, k]`` and windows counted ``[F]`` from the windows above ``threshold`` x each
    filter's maximum over ``tokens``."""
    import torch

    from motifnet.interpret.filters import FilterScanner, first_conv
    from motifnet.sequence import one_hot

    scanner = FilterScanner(first_conv(model))
    transform = layer_output(model) if after_activation else (lambda z: z)
    batches = [one_hot(torch.from_numpy(np.ascontiguousarray(tokens[i : i + 500]))) for i in range(0, len(tokens), 500)]
    with torch.no_grad():
        maxima = torch.stack([transform(scanner.activations(x)).amax(dim=(0, 2)) for x in batches]).amax(dim=0)
        cutoff = torch.where(maxima > 0, threshold * maxima, torch.full_like(maxima, torch.inf))
        counts = torch.zeros(scanner.n_filters, 4, scanner.length, dtype=torch.float64)
        n_sites = torch.zeros(scanner.n_filters, dtype=torch.int64)
        for x in batches:
            activation = transform(scanner.activations(x))
            above = activation >= cutoff.view(1, -1, 1)
            weights = above * activation if weighted else above.float()
            counts += torch.einsum("bfj,bjck->fck", weights.double(), scanner.windows(x).double())
            n_sites += above.sum(dim=(0, 2))
    totals = counts.sum(dim=1, keepdim=True)
    ppms = torch.where(totals > 0, counts / totals.clamp_min(1e-12), torch.full_like(counts, 0.25))
    return ppms.numpy(), n_sites.numpy()


def match_fractions(ppms: np.ndarray, n_sites: np.ndarray, test, release: str, queries: str, e_value: float = 0.1) -> dict:
    """Fractions of all filters matching a true motif (best / any rule) and matching anything."""
    from motifnet.interpret.tomtom import informative_queries, load_database, tomtom
    from motifnet.interpret.truth import true_motifs, with_true_motifs

    database, _, _ = with_true_motifs(load_database(release), true_motifs(test, "JASPAR2024"))
    truth_stems = {t.id.split(".")[0] for t in true_motifs(test, "JASPAR2024")}
    if queries == "informative":
        kept, matrices, _ = informative_queries(ppms, n_sites)
    else:
        kept = np.arange(len(ppms))
        matrices = [clip_like_authors(p) for p in ppms]
    counts = {"best": 0, "any": 0, "any_jaspar": 0}
    recovered = set()
    if len(kept):
        result = tomtom(matrices, database, n_jobs=1)
        is_true = np.array([i.split(".")[0] in truth_stems for i in database.ids])
        significant = result.e_values < e_value
        for q in range(len(kept)):
            best = int(np.argmin(result.p_values[q]))
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
        return load_run(run_dir).model, None
    split = data.annotations["split"]
    train_set, valid = (data.subset(np.flatnonzero(split == s)) for s in ("train", "valid"))
    torch.manual_seed(0)
    model = build("cnn", data.n_targets, data.length, preset=f"cnn-{k}")
    options = dict(AUTHORS_TRAINING, epochs=2 if quick else AUTHORS_TRAINING["epochs"])
    result = fit(model, train_set, valid, out_dir=run_dir, overwrite=True, quiet=True, seed=0, **options)
    return model, result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pools", default="2,25", help="first-layer pool sizes k, comma-separated")
    parser.add_argument("--keep", help="keep (and reuse) the trained runs here")
    parser.add_argument("--out", help="write the results JSON here")
    parser.add_argument("--quick", action="store_true", help="tiny data, 2 epochs (a smoke test)")
    args = parser.parse_args(argv)

    import torch

    from motifnet.metrics import evaluate
    from motifnet.simulate import simulate
    from motifnet.training import predict

    torch.set_num_threads(1)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="koo_eddy_gap."))
    data = simulate("multilabel", n=600 if args.quick else 25000, seed=0)
    test = data.subset(np.flatnonzero(data.annotations["split"] == "test"))
    results: dict = {"data": f"multilabel, {len(data)} sequences, seed 0; test split {len(test)}",
                     "training": AUTHORS_TRAINING, "pools": {}}
    variants = [
        ("motifnet default", False, False, "informative", "JASPAR2024", ),
        ("+ all 30 filters, authors' clip", False, False, "all", "JASPAR2024"),
        ("+ after batch norm and ReLU", True, False, "all", "JASPAR2024"),
        ("+ activation-weighted windows", True, True, "all", "JASPAR2024"),
        ("+ JASPAR2016 (all authors' choices)", True, True, "all", "JASPAR2016"),
        ("motifnet default on JASPAR2016", False, False, "informative", "JASPAR2016"),
        ("authors' activations, motifnet's queries", True, False, "informative", "JASPAR2024"),
    ]
    for k in [int(p) for p in args.pools.split(",") if p]:
        start = time.perf_counter()
        model, fitted = train(k, data, folder, args.quick)
        model.eval()
        metrics = evaluate(data.task, test.targets, predict(model, test), data.target_names)
        entry = {"test_auroc_macro": metrics["macro"]["auroc"], "train_seconds": round(time.perf_counter() - start, 1)}
        if fitted is not None:
            entry.update(epochs_run=len(fitted.history), best_epoch=fitted.best_epoch)
        for name, after, weighted, queries, release in variants:
            ppms, n_sites = filter_ppms(model, test.tokens, after, weighted)
            entry[name] = match_fractions(ppms, n_sites, test, release, queries)
            print(k, name, entry[name], flush=True)
        results["pools"][f"cnn-{k}"] = entry
    text = json.dumps(results, indent=2, default=float)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return results


if __name__ == "__main__":
    main()
