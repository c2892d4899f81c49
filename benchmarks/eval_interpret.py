"""Interpretation quality on simulated data against its targets, reproducible in one command.

    .venv/bin/python benchmarks/eval_interpret.py [--part classroom|multilabel|all] [--quick] [--out FILE.json]

- classroom: a CNN (DeepBind, 64 filters x 24, both strands) trained on the classroom preset
  (10 JASPAR motifs + none, 100 bp), once per ``--seeds`` training seed; on the test split: true
  motifs recovered as the best Tomtom match (E < 0.1) of some informative filter vs JASPAR2024
  CORE vertebrates (the exact matrices the simulator embedded), per motif the closest filter and
  its best match, the "sites oracle" (the PPM of the embedded test instances themselves: what a
  perfect learner shows), and localization of gradient x input attributions on correctly
  classified positive sequences (hit = predicted window centre inside the true site).
  ``--site-pvalue none`` simulates instances drawn from the whole matrices (no p < 1e-4
  rejection). One seed (the default) takes 2-4 min on one thread; ``--seeds 0,1,2`` took 8 min
  at load average 4-6 (deterministic by seed: data seed 0, training seed per run).
- multilabel: Koo & Eddy CNN-2 and CNN-25 on the multilabel preset (12 motifs, 200 bp): the
  fraction of informative first-layer filters matching a true motif (best match, and any match,
  E < 0.1), motif recovery and test AUROC.

Each part simulates, trains with :func:`motifnet.training.fit` (seeded) and runs
:func:`motifnet.interpret.pipeline.interpret` into a temporary folder (``--keep DIR`` keeps it).
``--quick`` shrinks everything to a smoke test (numbers meaningless).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def _split(data):
    from motifnet.interpret.pipeline import select_rows

    return {name: data.subset(select_rows(data, name)) for name in ("train", "valid", "test")}


def _recovery_numbers(filters: dict, out: dict) -> dict:
    """Copy the recovery numbers of a pipeline's filter summary into ``out``."""
    for criterion in ("best", "any"):
        score = filters.get(f"recovery_{criterion}")
        if score:
            out[f"filter_match_fraction_{criterion}"] = score["filter_match_fraction"]
            out[f"filter_match_fraction_{criterion}_of_all_filters"] = score["n_matching"] / filters["n_filters"]
            out[f"motif_recovery_fraction_{criterion}"] = score["motif_recovery_fraction"]
            out[f"recovered_{criterion}"] = {k: len(v) for k, v in score["recovered"].items()}
    return out


def _train_and_interpret(data, model_name: str, params: dict, train: dict, folder: Path, preset: str | None = None,
                         n_filter_sequences: int = 2000, n_attributions: int = 1000, method: str = "grad_x_input",
                         extra_thresholds: tuple = (), seed: int = 0) -> dict:
    """Train (or reuse the run saved in ``folder/run`` by an earlier call) and interpret; with
    ``extra_thresholds``, filters -> Tomtom again at those activation thresholds."""
    import torch

    from motifnet.interpret.pipeline import Options, interpret
    from motifnet.metrics import evaluate
    from motifnet.models import build
    from motifnet.runs import load_run
    from motifnet.training import fit, predict

    torch.manual_seed(seed)
    parts = _split(data)
    run_dir = folder / "run"
    start = time.perf_counter()
    if (run_dir / "model.safetensors").exists():
        model = load_run(run_dir).model
    else:
        model = build(model_name, data.n_targets, data.length, preset=preset, **params)
        fit(model, parts["train"], parts["valid"], out_dir=run_dir, overwrite=True, quiet=True, seed=seed, **train)
    seconds = time.perf_counter() - start
    model.eval()
    metrics = evaluate(data.task, parts["test"].targets, predict(model, parts["test"]), data.target_names)
    options = Options(split="test", n_filter_sequences=n_filter_sequences, n_attributions=n_attributions,
                      n_logos=12, n_examples=2, method=method)
    summary = interpret(model, data, folder / "interpret", options, quiet=True)
    filters = summary["filters"]
    attributions = summary["attributions"]
    out = {
        "model": model_name if preset is None else f"{model_name}/{preset}",
        "params": params,
        "train_seconds (0 = reused run)": round(seconds, 1),
        "test_accuracy": metrics.get("accuracy"),
        "test_auroc_macro": metrics.get("macro", {}).get("auroc"),
        "n_filters": filters.get("n_filters"),
        "n_informative": filters.get("n_informative"),
        "n_significant": filters.get("n_significant"),
    }
    _recovery_numbers(filters, out)
    if "recovery_best" in filters:
        out["recovered"] = sorted(k for k, v in filters["recovery_best"]["recovered"].items() if v)
        out["missed"] = sorted(k for k, v in filters["recovery_best"]["recovered"].items() if not v)
        out["by_motif"] = filters.get("by_motif")
        oracle = filters.get("sites_oracle") or {}
        out["sites_oracle_recoverable"] = sum(bool(v["recoverable"]) for v in oracle.values())
        out["sites_oracle"] = oracle
    for threshold in extra_thresholds:
        options.threshold, options.attributions = threshold, False
        variant = interpret(model, data, folder / f"interpret_threshold_{threshold:g}", options, quiet=True)["filters"]
        out[f"activation_threshold_{threshold:g}"] = _recovery_numbers(variant, {"n_informative": variant.get("n_informative")})
    if "localization" in attributions:
        out["localization"] = {k: attributions["localization"][k] for k in ("n_sites", "hit_rate", "chance_hit_rate", "median_abs_distance")}
        out["localization_by_motif"] = attributions["localization_by_motif"]
        out["activation_localization"] = {k: v for k, v in attributions["activation_localization"].items() if k != "by_motif"}
        out["n_sites_correct"] = attributions.get("n_sites_correct")
    return out


def classroom(quick: bool, folder: Path, n_per_class: int = 2000, thresholds: tuple = (), seeds: tuple = (0,),
              epochs: int = 15, site_pvalue: float | None = 1e-4) -> dict:
    """DeepBind (64 x 24, both strands) on the classroom preset (data seed 0), once per training
    seed; recovery per seed and the sites oracle."""
    from motifnet.simulate import simulate

    data = simulate("classroom", n_per_class=60 if quick else n_per_class, seed=0, site_pvalue=site_pvalue)
    results: dict = {"data": f"classroom, {len(data)} sequences, data seed 0, site_pvalue {site_pvalue}"}
    for seed in seeds:
        results[f"seed {seed}"] = _train_and_interpret(
            data, "deepbind", {"n_filters": 64, "strands": "both"},
            {"epochs": 1 if quick else epochs, "batch_size": 128, "lr": 1e-3, "patience": 3},
            folder / f"classroom_seed{seed}", n_attributions=200 if quick else 1000, extra_thresholds=thresholds,
            seed=seed,
        )
    counts = [r.get("recovered") for r in results.values() if isinstance(r, dict) and "recovered" in r]
    results["recovered_per_seed"] = [len(c) for c in counts]
    return results


def multilabel(quick: bool, folder: Path, thresholds: tuple = (), n: int = 12000, epochs: int = 12) -> dict:
    from motifnet.simulate import simulate

    data = simulate("multilabel", n=300 if quick else n, seed=0)
    results = {"data": f"multilabel, {len(data)} sequences, seed 0"}
    for k in (2, 25):
        results[f"cnn-{k}"] = _train_and_interpret(
            data, "cnn", {}, {"epochs": 1 if quick else epochs, "batch_size": 100, "lr": 1e-3, "patience": 3},
            folder / f"cnn-{k}", preset=f"cnn-{k}", n_attributions=200 if quick else 500, extra_thresholds=thresholds,
        )
    return results


def methods(quick: bool, folder: Path) -> dict:
    """Attribution methods side by side on one trained model (binary preset: GATA1 vs
    background, DeepBind 16 filters): seconds per sequence, localization hit rate on correctly
    classified positives, and integrated gradients' completeness delta by number of steps."""
    import torch

    from motifnet.interpret.attribution import attribute, integrated_gradients, position_scores
    from motifnet.interpret.localization import localize
    from motifnet.interpret.pipeline import site_targets
    from motifnet.models import build
    from motifnet.simulate import simulate
    from motifnet.training import fit, predict

    data = simulate("binary", motif="MA0035", n_per_class=100 if quick else 2000, seed=0)
    parts = _split(data)
    torch.manual_seed(0)
    model = build("deepbind", 1, data.length, n_filters=16)
    fit(model, parts["train"], parts["valid"], quiet=True, seed=0, epochs=1 if quick else 10, patience=3)
    model.eval()
    test = parts["test"]
    target, correct = site_targets(test, predict(model, test))
    sites = test.sites[correct][: 20 if quick else 200]
    tokens = test.tokens[sites["sequence"]]
    out: dict = {"data": f"binary MA0035 (GATA1), {len(data)} sequences", "n_sites": int(len(sites)), "methods": {}}
    for method, options in [("ism", {}), ("grad_x_input", {}), ("integrated_gradients", {"steps": 32})]:
        start = time.perf_counter()
        maps = attribute(model, tokens, method, 0, **options)
        seconds = time.perf_counter() - start
        result = localize(position_scores(maps).numpy(), sites)
        out["methods"][method] = {"ms_per_sequence": round(1000 * seconds / len(tokens), 2),
                                  "hit_rate": result.hit_rate, "chance": result.chance,
                                  "median_abs_distance": float(np.median(np.abs(result.distance)))}
    out["ig_delta"] = {}
    for steps in (4, 8, 16, 32, 64):
        _, delta = integrated_gradients(model, tokens, 0, steps=steps, return_delta=True)
        out["ig_delta"][steps] = {"median_abs": float(delta.abs().median()), "max_abs": float(delta.abs().max())}
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["classroom", "multilabel", "methods", "all"], default="all")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", help="write the results JSON here")
    parser.add_argument("--keep", help="keep the run and interpretation folders here (a run found there is reused)")
    parser.add_argument("--n-per-class", type=int, default=2000, help="classroom sequences per class")
    parser.add_argument("--epochs", type=int, default=15, help="classroom training epochs (early stop, patience 3)")
    parser.add_argument("--seeds", default="0", help="classroom training seeds, comma-separated (e.g. 0,1,2)")
    parser.add_argument("--site-pvalue", default="1e-4",
                        help="classroom instance p-value threshold ('none': instances drawn from the whole matrix)")
    parser.add_argument("--n-multilabel", type=int, default=12000, help="multilabel sequences")
    parser.add_argument("--multilabel-epochs", type=int, default=12)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's; 1 on a crowded machine)")
    parser.add_argument("--extra-thresholds", default="",
                        help="comma-separated activation thresholds to rerun filters -> Tomtom at (e.g. 0.75)")
    args = parser.parse_args(argv)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="eval_interpret."))
    thresholds = tuple(float(t) for t in args.extra_thresholds.split(",") if t)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    results: dict = {}
    if args.part in ("classroom", "all"):
        site_pvalue = None if args.site_pvalue.lower() == "none" else float(args.site_pvalue)
        seeds = tuple(int(s) for s in args.seeds.split(",") if s)
        results["classroom"] = classroom(args.quick, folder, args.n_per_class, thresholds, seeds, args.epochs, site_pvalue)
    if args.part in ("multilabel", "all"):
        results["multilabel"] = multilabel(args.quick, folder, thresholds, args.n_multilabel, args.multilabel_epochs)
    if args.part in ("methods", "all"):
        results["methods"] = methods(args.quick, folder)
    text = json.dumps(results, indent=2, default=float)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return results


if __name__ == "__main__":
    main()
