"""Compile the numba kernels motifnet runs ahead of their first real use: the scan fast path of
DeepBind-like models (max and max+mean pooling with a dense head, both strands; the pooling
alone, for any other head), the bedGraph writer, the dinucleotide shuffle, the max pooling of
training (:mod:`motifnet.models.window_max`), memelite's Tomtom and modisco-lite's seqlet and
clustering kernels (TF-MoDISco patterns).

numba compiles a kernel on its first call and caches it on disk, so the first ``motifnet scan``
and the first ``motifnet interpret`` after an install (Tomtom: about 50 s), and every TF-MoDISco
run in a new process, would otherwise spend most of their time compiling. ``make`` runs this
once after installing::

    python -m motifnet.precompile
"""

from __future__ import annotations

import time

import numpy as np


def precompile_scan(length: int = 3000) -> None:
    """Run the scan, bedGraph and shuffle kernels once on ``length`` random bases (random-weight
    DeepBind models, paper and encode presets)."""
    import torch

    from motifnet.io.bedgraph import bedgraph_lines
    from motifnet.models import build
    from motifnet.scan.fast import conv_pool_plan, pool_windows
    from motifnet.scan.windows import scan_tokens
    from motifnet.sequence import dinucleotide_shuffle

    tokens = np.random.default_rng(0).integers(0, 4, length).astype(np.uint8)
    torch.manual_seed(0)
    for preset in ("paper", "encode"):
        model = build("deepbind", 1, 101, preset=preset).eval()
        for starts, values, _ in scan_tokens(model, tokens, 101, method="fast"):
            bedgraph_lines("chr", starts, values[:, 0], 101, 1)
        pool_windows(conv_pool_plan(model, 101), tokens, 101, 101, (length - 101) // 101 + 1)  # a head torch applies
    dinucleotide_shuffle(tokens[None], seed=0)


def precompile_pooling() -> None:
    """Max-pool a small random batch forward and backward (the kernels of training)."""
    import torch

    from motifnet.models.layers import MaxPool1d

    x = torch.randn(2, 3, 20, requires_grad=True)
    MaxPool1d(4, ceil_mode=True)(x[..., :19]).sum().backward()


def precompile_tomtom() -> np.ndarray:
    """Compare two random PPMs with three (memelite's kernels); returns each query's best match."""
    from motifnet.interpret.tomtom import MotifSet, tomtom

    rng = np.random.default_rng(0)
    ppms = [rng.dirichlet(np.ones(4), size=width).T for width in (8, 12, 15)]
    return tomtom(ppms[:2], MotifSet(["a", "b", "c"], ["a", "b", "c"], ppms)).best()


def precompile_patterns(n: int = 400, length: int = 100) -> int:
    """Run TF-MoDISco once on ``n`` random sequences holding three 10-mers whose bases carry
    contribution +1, +1 and -1 (so that both signs are clustered); returns the patterns found."""
    from motifnet.interpret.patterns import find_patterns
    from motifnet.sequence import one_hot

    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 4, (n, length)).astype(np.uint8)
    hypothetical = rng.normal(0, 0.01, (n, 4, length)).astype(np.float32)
    motifs = rng.integers(0, 4, (3, 10)).astype(np.uint8)
    for row in range(n):
        which = row % 3
        start = int(rng.integers(0, length - 10))
        tokens[row, start : start + 10] = motifs[which]
        hypothetical[row, motifs[which], start + np.arange(10)] += -1.0 if which == 2 else 1.0
    return len(find_patterns(one_hot(tokens).numpy(), hypothetical, max_seqlets=300))


def precompile() -> dict[str, float]:
    """Every kernel once; returns the seconds of each group (mostly compiling when the cache is
    empty, a fraction of a second each once it is filled)."""
    seconds = {}
    groups = (("scan", precompile_scan), ("pooling", precompile_pooling), ("tomtom", precompile_tomtom),
              ("patterns", precompile_patterns))
    for name, warm_up in groups:
        start = time.perf_counter()
        warm_up()
        seconds[name] = time.perf_counter() - start
    return seconds


if __name__ == "__main__":
    timings = precompile()
    print(f"motifnet: numba kernels ready ({sum(timings.values()):.1f} s: "
          + ", ".join(f"{name} {value:.1f} s" for name, value in timings.items()) + ")")
