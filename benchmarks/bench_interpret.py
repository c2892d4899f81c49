"""Interpretation speed: Tomtom of 100 learned motifs against JASPAR, ISM throughput, integrated
gradients, DeepLIFT/DeepSHAP contributions and a TF-MoDISco run.

Tomtom row: seconds for :func:`motifnet.interpret.tomtom.tomtom` (memelite, both strands, its
default approximate hashing of target columns) of 100 filter-like motifs against JASPAR2024 CORE
vertebrates (879 matrices), against memelite's exact mode (``n_target_bins=None``) in the same
run. The queries are 19-column windows of JASPAR motifs blurred with Dirichlet noise (what
learned filters look like), seeded. numba compiles memelite's kernels once (about 45 s cold on
this machine) and caches them on disk; the timed calls are warm. The database load (pyjaspar,
cached after the first call) is timed separately.

ISM row: in-silico saturation mutagenesis of DeepBind (default configuration) at 101 bp,
throughput in edits per second (sequences x positions x 3 edits / s) with
:func:`motifnet.interpret.attribution.ism` (mutants of all sequences batched together, identity
edits skipped), against the obvious loop: one sequence at a time, all 4 bases at every position
(4 L inputs, identity included) in one batch.

DeepLIFT row: hypothetical DeepSHAP contributions of a classroom reader (DeepBind reading both
strands, its 10 filters the log-odds of the classroom's true JASPAR motifs, one output per
class) for 2,000 classroom sequences x 10 dinucleotide-shuffled references, in sequences per
second: :func:`motifnet.interpret.deeplift.deep_lift_shap` (shuffles, the convergence deltas
and their check included) against tangermeme's ``deep_lift_shap`` called directly on the same
model, inputs, references and batch size, timed round-robin.

Integrated-gradients rows: hypothetical integrated gradients for 500 classroom sequences x 10
dinucleotide-shuffled references x 16 steps (what the pattern step runs for DanQ), in sequences
per second, of DanQ (classroom preset) and of the classroom experiment's DeepBind (64 filters,
max + mean pooling), seeded initial weights (the speed does not depend on training):
:func:`motifnet.interpret.attribution.integrated_gradients`, which differentiates from the output
of the model's affine stem (padding and first convolution) and applies the stem's transpose once
per batch, against the same call on the model wrapped so that its stem is hidden (every step
through the convolution forward and backward), timed round-robin; ``max_difference`` is the
largest absolute difference of the two maps relative to their largest value.

TF-MoDISco row: :func:`motifnet.interpret.patterns.find_patterns` (modisco-lite) on those
2,000 sequences' contributions, in a fresh process: seconds and that process's peak memory,
and how many of the 10 true motifs are the best Tomtom match of a pattern; the reference, the
same call with its kernels compiled in the process (modisco-lite's default; not in quick mode).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import median_seconds, row  # noqa: E402


def learned_like_queries(database, n: int, width: int = 19, seed: int = 0) -> list[np.ndarray]:
    """``n`` filter-like PPMs ``[4, width]``: windows of database motifs, blurred, edges padded."""
    rng = np.random.default_rng(seed)
    queries = []
    for i in rng.choice(len(database), n, replace=False):
        ppm = database.probabilities[i]
        start = int(rng.integers(0, max(ppm.shape[1] - width, 0) + 1))
        window = ppm[:, start : start + width]
        padded = np.full((4, width), 0.25)
        padded[:, : window.shape[1]] = window
        noisy = np.stack([rng.dirichlet(50 * col + 0.5) for col in padded.T], axis=1)
        queries.append(noisy)
    return queries


def naive_ism(model, x, target: int = 0):
    """Reference ISM: per sequence, one batch of all 4 L single-base variants (identity included)."""
    import torch

    n, _, length = x.shape
    out = torch.zeros(n, 4, length)
    with torch.no_grad():
        for i in range(n):
            reference = model(x[i : i + 1])[0, target]
            mutants = x[i].repeat(4 * length, 1, 1)
            index = torch.arange(4 * length)
            mutants[index, :, index % length] = 0.0
            mutants[index, index // length, index % length] = 1.0
            out[i] = (model(mutants)[:, target] - reference).view(4, length)
    return out


def classroom_reader(truths, length: int):
    """DeepBind (both strands, 10 filters, no hidden layer) whose filter k is the log-odds of true
    motif k and whose output k reads it; the last output ('none') is constant."""
    import torch

    from motifnet.models.deepbind import DeepBind

    width = max(t.probabilities.shape[1] for t in truths)
    model = DeepBind(len(truths) + 1, length, n_filters=len(truths), filter_length=width, hidden=0, dropout=0.0,
                     strands="both")
    linear = [m for m in model.head.modules() if isinstance(m, torch.nn.Linear)][0]
    with torch.no_grad():
        model.conv.weight.zero_()
        for k, truth in enumerate(truths):
            ppm = truth.probabilities
            model.conv.weight[k, :, : ppm.shape[1]] = torch.as_tensor(np.log2((ppm + 0.01) / 0.25))
        model.conv.bias.fill_(-4.0)
        linear.weight.zero_()
        linear.weight[: len(truths)] = torch.eye(len(truths))
        linear.bias.zero_()
    return model.eval()


def modisco_run(x: np.ndarray, scores: np.ndarray, cached: bool = True) -> dict:
    """TF-MoDISco on contributions, run in a fresh process (for its peak memory) with a second
    thread alive, as in a pipeline step, where modisco-lite does not turn numba's cache on itself.
    ``cached=False``: without :func:`~motifnet.interpret.patterns.cache_modisco_kernels`, so the
    kernels are compiled in the process, as modisco-lite does by default."""
    import threading
    import time

    from motifnet.interpret import patterns

    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
    if not cached:
        patterns.cache_modisco_kernels = lambda: 0
    start = time.perf_counter()
    found = patterns.find_patterns(x, scores)
    return {"seconds": time.perf_counter() - start, "ppms": [p.ppm for p in found if p.name.startswith("pos")]}


IG_MODELS = {  # row label -> build arguments (11 classroom classes, 100 bp)
    "DanQ classroom": {"name": "danq", "preset": "classroom"},
    "DeepBind classroom (64 filters, max + mean pooling)": {"name": "deepbind", "n_filters": 64, "pool": "maxavg"},
}


def integrated_gradients_row(quick: bool, label: str) -> dict:
    """The integrated-gradients row of the model ``IG_MODELS[label]`` (module docstring)."""
    import torch
    from torch import nn

    from _harness import interleaved_seconds
    from motifnet.interpret.attribution import integrated_gradients
    from motifnet.interpret.pattern_step import IG_STEPS
    from motifnet.models import build
    from motifnet.simulate import simulate

    n, shuffles = (22, 2) if quick else (500, 10)
    data = simulate("classroom", n_per_class=-(-n // 11), seed=0)
    tokens, targets = np.asarray(data.tokens[:n]), np.asarray(data.targets[:n]).astype(np.int64)
    torch.manual_seed(0)
    arguments = dict(IG_MODELS[label])
    model = build(arguments.pop("name"), 11, tokens.shape[1], **arguments).eval()
    models = {"ours": model, "theirs": nn.Sequential(model)}  # the same function, its stem hidden
    maps = {}

    def explain(name):
        maps[name] = integrated_gradients(models[name], tokens, targets, steps=IG_STEPS, n_baselines=shuffles,
                                          hypothetical=True)

    times = interleaved_seconds({name: lambda name=name: explain(name) for name in models},
                                repeat=1 if quick else 3, warmup=1)
    difference = float((maps["ours"] - maps["theirs"]).abs().max() / maps["theirs"].abs().max())
    return row(f"Integrated gradients, {label}, {n} x {shuffles} references x {IG_STEPS} steps",
               n / times["ours"][0], n / times["theirs"][0], "seq/s", min=n / times["ours"][2],
               max=n / times["ours"][1], reference="the same model with its stem hidden (every step from the input)",
               max_difference=difference, threads=torch.get_num_threads())


def contribution_rows(quick: bool) -> list[dict]:
    """The DeepLIFT and TF-MoDISco rows (module docstring)."""
    import torch
    from tangermeme.deep_lift_shap import deep_lift_shap as tangermeme_deep_lift_shap

    from _harness import in_subprocess, interleaved_seconds
    from motifnet.interpret import deeplift
    from motifnet.interpret.tomtom import load_database, recovery, tomtom
    from motifnet.interpret.truth import truth_database, true_motifs
    from motifnet.sequence import dinucleotide_shuffle, one_hot
    from motifnet.simulate import simulate

    n, shuffles, batch_size = (110, 3, 256) if quick else (2000, 10, 256)
    data = simulate("classroom", n_per_class=-(-n // 11), seed=0)
    tokens = np.asarray(data.tokens[:n])
    targets = np.asarray(data.targets[:n]).astype(np.int64)
    model = classroom_reader(true_motifs(data), tokens.shape[1])
    x = one_hot(tokens)
    references = one_hot(np.stack([dinucleotide_shuffle(tokens, seed=k) for k in range(shuffles)], axis=1)
                         .reshape(-1, tokens.shape[1])).view(n, shuffles, 4, -1)

    def ours():
        return deeplift.deep_lift_shap(model, tokens, targets, n_shuffles=shuffles, hypothetical=True,
                                       batch_size=batch_size)

    def theirs():
        return tangermeme_deep_lift_shap(deeplift.Explained(model), x, args=(torch.from_numpy(targets).float(),),
                                         target=0, batch_size=batch_size, references=references, hypothetical=True,
                                         additional_nonlinear_ops=deeplift.rules(), warning_threshold=1e9)

    times = interleaved_seconds({"ours": ours, "theirs": theirs}, repeat=1 if quick else 3, warmup=1)
    scores = ours()
    same = bool(torch.allclose(scores, theirs().float(), atol=1e-5))
    rows = [row(f"DeepLIFT/DeepSHAP, classroom reader (DeepBind, both strands), {n} x {shuffles} references",
                n / times["ours"][0], n / times["theirs"][0], "seq/s", min=n / times["ours"][2],
                max=n / times["ours"][1], reference="tangermeme deep_lift_shap, same model and references",
                identical=same, threads=torch.get_num_threads())]
    result, peak = in_subprocess(modisco_run, x.numpy(), scores.numpy())
    compiled = None if quick else in_subprocess(modisco_run, x.numpy(), scores.numpy(), cached=False)[0]["seconds"]
    database, _, keys, _ = truth_database(data, load_database("JASPAR2024", "CORE", "vertebrates"), "JASPAR2024")
    recovered = None
    if result["ppms"]:
        recovered = recovery(tomtom(result["ppms"], database, n_jobs=1), keys, 0.1, "best").as_dict()
    rows.append(row(f"TF-MoDISco (modisco-lite) on {n} sequences' contributions", result["seconds"], compiled, "s",
                    higher_is_better=False, reference="kernels compiled in the process (no cache)", peak_rss_mb=round(peak, 1), n_patterns=len(result["ppms"]),
                    true_motifs_recovered=None if recovered is None else recovered["motif_recovery_fraction"]))
    return rows


def run(quick: bool = False) -> dict:
    import time

    import torch

    from motifnet.interpret.attribution import ism
    from motifnet.interpret.tomtom import load_database, tomtom
    from motifnet.models import build
    from motifnet.sequence import one_hot

    rows = []
    start = time.perf_counter()
    database = load_database("JASPAR2024", "CORE", "vertebrates")
    load_seconds = time.perf_counter() - start
    n_queries = 10 if quick else 100
    queries = learned_like_queries(database, n_queries)
    repeat = 1 if quick else 5
    tomtom(queries[:2], database)  # compile / load numba's cache outside the timing
    ours = median_seconds(lambda: tomtom(queries, database), repeat=repeat, warmup=0)
    from memelite import tomtom as memelite_tomtom

    targets = [np.ascontiguousarray(p) for p in database.probabilities]
    exact = median_seconds(lambda: memelite_tomtom([np.asfortranarray(q) for q in queries], targets,
                                                   n_target_bins=None), repeat=repeat, warmup=1)
    result = tomtom(queries, database)
    best = result.best()
    agree = float(np.mean([result.targets.ids[b] for b in best] == np.array(
        [database.ids[i] for i in np.argmin(memelite_tomtom([np.asfortranarray(q) for q in queries], targets,
                                                             n_target_bins=None)[0], axis=1)])))
    rows.append(row(f"Tomtom {n_queries} learned-like motifs vs JASPAR2024 CORE vertebrates ({len(database)})",
                    ours[0], exact[0], "s", higher_is_better=False, min=ours[1], max=ours[2],
                    reference="memelite exact (n_target_bins=None)", best_match_agreement=agree))
    rows.append(row("JASPAR2024 CORE vertebrates load (pyjaspar, first call)", load_seconds, None, "s",
                    higher_is_better=False))

    torch.manual_seed(0)
    model = build("deepbind", 1, 101).eval()
    n_sequences = 4 if quick else 64
    tokens = np.random.default_rng(0).integers(0, 4, size=(n_sequences, 101)).astype(np.uint8)
    x = one_hot(tokens)
    edits = n_sequences * 101 * 3
    batched = median_seconds(lambda: ism(model, x, 0, batch_size=2048), repeat=repeat if quick else 3, warmup=1)
    naive_n = max(2, n_sequences // 4)
    naive = median_seconds(lambda: naive_ism(model, x[:naive_n]), repeat=repeat if quick else 3, warmup=1)
    naive_rate = naive_n * 101 * 3 / naive[0]  # the same useful edits per second
    same = torch.allclose(ism(model, x[:2], 0), naive_ism(model, x[:2]), atol=1e-5)
    rows.append(row(f"ISM DeepBind 101 bp, {n_sequences} sequences", edits / batched[0], naive_rate, "edits/s",
                    reference="per-sequence batches of all 4 bases (identity included)", identical=bool(same),
                    seconds=batched[0]))
    rows += [integrated_gradients_row(quick, label) for label in IG_MODELS]
    rows += contribution_rows(quick)
    return {
        "title": "Interpretation: Tomtom vs JASPAR, ISM, integrated gradients, DeepLIFT/DeepSHAP, TF-MoDISco",
        "rows": rows,
        "notes": "Tomtom via memelite (numba; warm cache). ISM: sequences x positions x 3 edits per second. "
                 "DeepLIFT: the same model, inputs and references in both; TF-MoDISco: seconds and peak memory of "
                 f"its own process. torch threads {torch.get_num_threads()}; "
                 f"1-min load average at the end: {os.getloadavg()[0]:.1f}.",
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
