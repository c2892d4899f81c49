"""Compile motifnet's numba kernels ahead of the first real use: the scan fast path of
DeepBind-like models (max and max+mean pooling with a dense head, both strands; the pooling
alone, for any other head), the bedGraph writer and the dinucleotide shuffle.

numba compiles a kernel on its first call and caches it beside its module, so the first
``motifnet scan`` after an install would otherwise spend most of its time compiling. ``make``
runs this once after installing::

    python -m motifnet.scan.precompile
"""

from __future__ import annotations

import time

import numpy as np


def precompile(length: int = 3000) -> float:
    """Run every kernel once on ``length`` random bases (random-weight DeepBind models, paper and
    encode presets); returns the seconds taken (mostly compiling when the cache is empty)."""
    import torch

    from motifnet.io.bedgraph import bedgraph_lines
    from motifnet.models import build
    from motifnet.scan.fast import conv_pool_plan, pool_windows
    from motifnet.scan.windows import scan_tokens
    from motifnet.sequence import dinucleotide_shuffle

    start = time.perf_counter()
    tokens = np.random.default_rng(0).integers(0, 4, length).astype(np.uint8)
    torch.manual_seed(0)
    for preset in ("paper", "encode"):
        model = build("deepbind", 1, 101, preset=preset).eval()
        for starts, values, _ in scan_tokens(model, tokens, 101, method="fast"):
            bedgraph_lines("chr", starts, values[:, 0], 101, 1)
        pool_windows(conv_pool_plan(model, 101), tokens, 101, 101, (length - 101) // 101 + 1)  # a head torch applies
    dinucleotide_shuffle(tokens[None], seed=0)
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"motifnet: numba kernels ready ({precompile():.1f} s)")
