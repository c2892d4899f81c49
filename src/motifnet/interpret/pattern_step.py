"""Step 3 of :func:`motifnet.interpret.pipeline.interpret`: contribution scores -> TF-MoDISco
patterns -> Tomtom, scored against the true motifs and sites of simulated data.

Which sequences: a seeded sample of ``n_pattern_sequences`` rows of the split that hold a
positive label (binary and multilabel data) or any row (multiclass data); each is explained for
its own class (multiclass), output 0 (binary), or its most probable positive target
(multilabel). Contributions: DeepLIFT/DeepSHAP (:mod:`motifnet.interpret.deeplift`) where every
layer has a rule, else hypothetical integrated gradients from the same dinucleotide-shuffled
references (recurrent models); ``n_shuffles`` references per sequence either way.

Outputs in ``out``: ``patterns.meme`` (trimmed PPMs) and ``patterns_tomtom.tsv`` (5 best matches
of each pattern) when there are patterns, ``seqlets.tsv`` / ``seqlets.bed`` (:func:`motifnet.interpret.patterns.write_seqlets`),
``contributions.npz`` (``hypothetical`` float32 ``[M, 4, L]``, ``rows``, ``targets``) and
``logos/pattern_<name>.png/.svg``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from motifnet.errors import MotifnetError

if TYPE_CHECKING:
    from torch import nn

    from motifnet.data import SeqData
    from motifnet.interpret.pipeline import Options

IG_STEPS = 16  # integrated-gradient steps per reference for models without DeepLIFT rules


def contribution_method(model: "nn.Module") -> str:
    """'deep_lift_shap' when every layer of ``model`` has a DeepLIFT rule, else 'integrated_gradients'."""
    from motifnet.interpret.deeplift import check_supported

    try:
        check_supported(model)
    except MotifnetError:
        return "integrated_gradients"
    return "deep_lift_shap"


def hypothetical_contributions(model: "nn.Module", tokens: np.ndarray, targets: np.ndarray, method: str,
                               n_shuffles: int, batch_size: int, seed: int, quiet: bool = True):
    """Hypothetical contributions ``[N, 4, L]`` by ``method`` ('deep_lift_shap' or
    'integrated_gradients') against ``n_shuffles`` dinucleotide shuffles of each sequence."""
    from motifnet.interpret.attribution import integrated_gradients
    from motifnet.interpret.deeplift import deep_lift_shap

    if method == "deep_lift_shap":
        return deep_lift_shap(model, tokens, targets, n_shuffles=n_shuffles, hypothetical=True,
                              batch_size=batch_size, seed=seed, quiet=quiet)
    if method == "integrated_gradients":
        return integrated_gradients(model, tokens, targets, baseline="shuffle", steps=IG_STEPS, n_baselines=n_shuffles,
                                    hypothetical=True, batch_size=batch_size, seed=seed)
    raise MotifnetError(f"unknown contribution method {method!r}; expected 'deep_lift_shap' or 'integrated_gradients'")


def explained_rows(data: "SeqData", rows: np.ndarray, probabilities: np.ndarray, n: int,
                   seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The sampled rows to explain and the output explained for each (module docstring).

    Args:
        probabilities: predictions ``[len(rows), T]`` of ``rows``.
    """
    targets = np.asarray(data.targets)[rows]
    if data.task == "multiclass":
        keep, explained = np.ones(len(rows), dtype=bool), targets.astype(np.int64)
    else:
        positive = targets > 0.5
        keep = positive.any(axis=1)
        explained = np.where(positive, probabilities, -np.inf).argmax(axis=1)
    candidates = np.flatnonzero(keep)
    picked = np.sort(np.random.default_rng(seed).choice(candidates, min(n, len(candidates)), replace=False))
    return rows[picked], explained[picked].astype(np.int64)


def run_patterns(model: "nn.Module", data: "SeqData", rows: np.ndarray, opts: "Options", out: Path, quiet: bool,
                 database, task: str | None, figures: list[dict]) -> dict:
    """Contributions -> patterns -> Tomtom for ``rows``; returns the summary section 'patterns'."""
    from motifnet.interpret import patterns as modisco
    from motifnet.interpret.logos import match_logos
    from motifnet.interpret.pipeline import _progress
    from motifnet.interpret.tomtom import recovery, tomtom, write_table
    from motifnet.interpret.truth import family_recovery, release_for, truth_database
    from motifnet.io.files import atomic_write
    from motifnet.motifs import consensus
    from motifnet.predict import predict
    from motifnet.sequence import one_hot

    probabilities = predict(model, np.asarray(data.tokens[rows]), batch_size=opts.batch_size, task=task or data.task)
    chosen, targets = explained_rows(data, rows, probabilities, opts.n_pattern_sequences, opts.seed + 2)
    method = contribution_method(model)
    info: dict[str, Any] = {"method": method, "n_sequences": int(len(chosen)), "n_shuffles": opts.n_shuffles}
    if len(chosen) == 0:
        info.update(patterns=[], note="no sequence with a positive label to explain")
        return info
    tokens = np.asarray(data.tokens[chosen])
    _progress(f"patterns: {method} contributions of {len(tokens)} sequences x {opts.n_shuffles} shuffles", quiet)
    scores = hypothetical_contributions(model, tokens, targets, method, opts.n_shuffles, opts.batch_size, opts.seed,
                                        quiet).numpy()
    with atomic_write(out / "contributions.npz", "wb") as handle:
        np.savez_compressed(handle, hypothetical=scores.astype(np.float32), rows=chosen, targets=targets)
    x = one_hot(tokens).numpy()
    _progress(f"patterns: TF-MoDISco on {len(tokens)} sequences", quiet)
    found = modisco.find_patterns(x, scores, max_seqlets=opts.max_seqlets, quiet=quiet)
    if found:
        modisco.write_meme(found, out / "patterns.meme", alphabet=data.alphabet)
    modisco.write_seqlets(modisco.seqlet_table(found, data, chosen), out)
    info["patterns"] = [{"name": p.name, "n_seqlets": p.n_seqlets, "consensus": consensus(p.ppm, data.alphabet)}
                        for p in found]
    if not found:
        info["note"] = "TF-MoDISco found no pattern (too few seqlets above its null)"
        return info
    keys: list[str] = []
    if data.motif_names:
        database, _, keys, _ = truth_database(data, database, opts.database)
    result = tomtom([p.ppm for p in found], database, [p.name for p in found], n_jobs=1,
                    reverse_complement=data.alphabet != "RNA")
    write_table(result.table(top=5), out / "patterns_tomtom.tsv")
    best = result.best()
    for q, entry in enumerate(info["patterns"]):
        t = best[q]
        entry.update(match=f"{database.ids[t]} {database.names[t]}", e_value=float(result.e_values[q, t]))
    if keys:
        info["recovery"] = recovery(result, keys, opts.e_value, "best").as_dict()
        info["family_recovery"] = family_recovery(result, keys, opts.e_value, release_for(opts.database))
    if data.sites is not None:
        info["seqlets_vs_sites"] = modisco.score_seqlets(found, data.sites, chosen)
    order = [q for q in range(len(found)) if found[q].name.startswith("pos")][: opts.n_logos]
    figures += match_logos(result, [p.ppm for p in found], order, out / "logos", opts.formats, "patterns", "pattern_",
                           data.alphabet)
    return info
