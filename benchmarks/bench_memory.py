"""Peak memory while training from a memory-mapped token store larger than we want in RAM.

A synthetic store of 1,000,000 x 1,000 bp (1 GB of uint8 tokens, random binary labels) is
written with ``motifnet.data.save`` into a temporary folder (deleted afterwards). A fresh process
loads it memory-mapped (``motifnet.data.load``) and trains a paper-size DeepBind with
``motifnet.training.fit`` for a bounded number of steps, each a random batch from anywhere in the
store. Its peak resident memory (``ru_maxrss``, which also counts the touched pages of the mapped
file) must stay under 2 GB. The reference: the same training after ``load(mmap=False)``, i.e.
with the whole token array read into RAM. Quick mode: 10,000 x 200 bp.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import in_subprocess, peak_rss_mb, row, rss_mb  # noqa: E402

LIMIT_MB = 2048.0
FULL = {"n": 1_000_000, "length": 1_000, "steps": 100}
QUICK = {"n": 10_000, "length": 200, "steps": 5}


class StepLimit(Exception):
    """Raised by :class:`_CountingModel` to end training after a fixed number of steps."""


def _counting_model(model, max_steps: int):
    """Wrap ``model`` so that the training-mode forward pass number ``max_steps + 1`` raises
    :class:`StepLimit` (``fit`` has no step limit; epochs over 1,000,000 rows are long)."""
    import torch

    class _CountingModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model
            self.steps = 0

        def forward(self, x):
            if self.training:
                if self.steps >= max_steps:
                    raise StepLimit
                self.steps += 1
            return self.inner(x)

    return _CountingModel()


def write_store(path: str, n: int, length: int, seed: int = 0) -> float:
    """Write a random binary SeqData store of ``n x length`` tokens at ``path``; return its GB."""
    import numpy as np

    from motifnet.data import SeqData, save

    rng = np.random.default_rng(seed)
    tokens = np.empty((n, length), dtype=np.uint8)
    for begin in range(0, n, 100_000):
        stop = min(n, begin + 100_000)
        tokens[begin:stop] = rng.integers(0, 4, size=(stop - begin, length), dtype=np.uint8)
    targets = (rng.random((n, 1)) < 0.5).astype(np.float32)
    data = SeqData(tokens, targets, "binary", ["bound"], np.char.add("s", np.arange(n).astype(str)))
    save(data, path)
    return tokens.nbytes / 1e9


def train_from_store(path: str, mmap: bool, steps: int, batch_size: int = 128, advise_random: bool = False) -> dict:
    """In a fresh process: load the store (memory-mapped or not), train DeepBind for ``steps``
    batches with ``motifnet.training.fit``; return timings and memory (MiB).

    ``advise_random``: ``madvise(MADV_RANDOM)`` on the token mapping (no read-ahead). On this
    machine's kernel it did not change the resident size (1,438 vs 1,440 MiB), so it is not run.
    """
    import torch

    from motifnet.data import load
    from motifnet.models import build

    torch.manual_seed(0)
    baseline = peak_rss_mb()
    start = time.perf_counter()
    data = load(path, mmap=mmap)
    if advise_random:
        import mmap as mmap_module

        data.tokens._mmap.madvise(mmap_module.MADV_RANDOM)  # np.memmap keeps its mmap object here
    load_seconds = time.perf_counter() - start
    model = _counting_model(build("deepbind", n_targets=1, input_length=data.length), steps)
    engine = "motifnet.training.fit"
    try:
        from motifnet.training import fit
    except ImportError:
        fit = None
        engine = "motifnet.data.batches loop (training.fit not available)"
    start = time.perf_counter()
    try:
        if fit is not None:
            fit(model, data, epochs=1, batch_size=batch_size, valid_fraction=0.0, patience=None, quiet=True, seed=0)
        else:
            from motifnet.data import batches

            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
            loss_fn = torch.nn.BCEWithLogitsLoss()
            for x, y in batches(data, batch_size, shuffle=True, seed=0):
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
    except StepLimit:
        pass
    seconds = time.perf_counter() - start
    return {"steps": model.steps, "train_s": seconds, "load_s": load_seconds, "baseline_mb": baseline,
            "end": rss_mb(), "engine": engine, "rows": len(data), "length": data.length}


def run(quick: bool = False) -> dict:
    size = QUICK if quick else FULL
    rows = []
    with tempfile.TemporaryDirectory(prefix="motifnet-bench-memory-") as tmp:
        store = str(Path(tmp) / "store")
        start = time.perf_counter()
        gigabytes = write_store(store, size["n"], size["length"])  # the children measure memory, not this process
        write_seconds = time.perf_counter() - start
        mapped, peak = in_subprocess(train_from_store, store, True, size["steps"])
        loaded, ref_peak = (None, None) if quick else in_subprocess(train_from_store, store, False, size["steps"])
    common = dict(steps=mapped["steps"], step_ms=1e3 * mapped["train_s"] / max(mapped["steps"], 1),
                  load_s=mapped["load_s"], ref_load_s=None if quick else loaded["load_s"], start_rss_mb=mapped["baseline_mb"])
    rows.append(row("peak RSS, fit from a memory-mapped store", peak, ref_peak, unit="MiB", higher_is_better=False,
                    under_2GB=peak < LIMIT_MB, **common))
    for part, label in (("anon", "anonymous (heap, tensors)"), ("file", "file-backed (torch libraries + mapped store: clean page cache)")):
        rows.append(row(f"resident {label} at the end", mapped["end"].get(part),
                        None if quick else loaded["end"].get(part), unit="MiB", higher_is_better=False))
    notes = (
        f"Store: {size['n']:,} x {size['length']:,} bp synthetic tokens ({gigabytes:.2f} GB, written with "
        f"motifnet.data.save in {write_seconds:.1f} s, deleted afterwards). Training engine: {mapped['engine']}, "
        f"DeepBind (paper preset), batch 128, {size['steps']} steps of random batches over the whole store "
        "(fit has no step limit: a wrapper ends it after that many steps). Each run is a fresh process; "
        "value = motifnet (load(mmap=True)); ref = the same run after load(mmap=False), the tokens read into "
        "RAM (not run in quick mode). Peak RSS = VmHWM: Python + torch (start_rss_mb, after imports) + heap + "
        f"the store's pages mapped into the process. Target: peak RSS under {LIMIT_MB:.0f} MiB. "
        "The file-backed part is clean page cache that the kernel can drop under memory pressure: the store "
        "was just written, so it is cached, and each random-row page fault maps a whole cached (large) folio, "
        "so 100 random batches map most of the 1 GB file (one 128-row batch of a 100 MB store mapped 92 MB). "
        "The anonymous part is what the process itself needs; the file-backed part also holds ~100 MiB of torch's shared libraries."
    )
    return {"title": "Memory: training from a memory-mapped token store", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
