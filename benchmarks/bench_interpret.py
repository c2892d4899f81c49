"""Interpretation speed: Tomtom of 100 learned motifs against JASPAR, and ISM throughput.

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
    return {
        "title": "Interpretation: Tomtom vs JASPAR, ISM throughput",
        "rows": rows,
        "notes": "Tomtom via memelite (numba; warm cache). ISM: sequences x positions x 3 edits per second, "
                 f"torch threads {torch.get_num_threads()}. Machine shared with other jobs: timings under load. "
                 + f"1-min load average at the end: {os.getloadavg()[0]:.1f}.",
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
