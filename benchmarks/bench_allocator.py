"""glibc's malloc as ``import motifnet`` sets it (:mod:`motifnet.allocator`: freed tensor memory kept
for reuse) against glibc's defaults (``MOTIFNET_MALLOC=system``), on what allocates the most:
``fit`` for each classroom model family and the gradient pass of integrated gradients.

The setting belongs to a process, so each side runs in fresh processes, one after the other in
alternating rounds (default, motifnet's, default, ...); each row is the median over the rounds.
Each process trains every family for 3 epochs of 8,192 random sequences (``fit``, batch 128,
Adam, no validation; 1 thread), reporting the first epoch apart from the later ones (glibc's
defaults adapt their mmap threshold to the blocks freed so far, so the first epoch gains most),
then times DanQ's input gradient (``motifnet.interpret.attribution.gradients``) of 1,024
classroom-sized sequences, batch 256, as integrated gradients runs it 16 times per reference.
value = seq/s with motifnet's setting, ref = with glibc's defaults, ratio = the speed-up.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import in_subprocess, machine, median_seconds, row  # noqa: E402
from bench_threads import classroom_families  # noqa: E402
from bench_training import make_data  # noqa: E402

EPOCH_ROWS = 8192
GRADIENT_ROWS = 1024
GRADIENT_LABEL = "DanQ integrated-gradients pass"


def _gradient_pass():
    import torch

    from motifnet.interpret.attribution import gradients
    from motifnet.models import build

    torch.manual_seed(0)
    model = build("danq", 11, 100, preset="classroom")
    tokens = torch.randint(4, (GRADIENT_ROWS, 100), generator=torch.Generator().manual_seed(0)).to(torch.uint8)
    targets = torch.randint(11, (GRADIENT_ROWS,), generator=torch.Generator().manual_seed(1)).numpy()
    return lambda: gradients(model, tokens, targets, batch_size=256)


def timings(chosen: list, rows: int, epochs: int) -> dict[str, tuple[float, int]]:
    """In this process: ``{row label: (seconds, sequences)}``: each family's first epoch of ``fit``
    and the median of its later ones, and the gradient pass (median of ``epochs`` after a first)."""
    import torch

    from motifnet.models import build
    from motifnet.training import fit

    torch.set_num_threads(1)
    out = {}
    for label, name, preset, params, length, classes in chosen:
        data = make_data(rows, length, classes)[1]
        torch.manual_seed(0)
        model = build(name, classes, length, preset=preset, **params)
        history = fit(model, data, epochs=epochs, batch_size=128, lr=1e-3, valid_fraction=0.0, patience=None,
                      seed=0, device="cpu").history
        seconds = [epoch["seconds"] for epoch in history]
        out[f"{label}: first fit epoch"] = (seconds[0], rows)
        out[f"{label}: later fit epochs"] = (statistics.median(seconds[1:]), rows)
    out[GRADIENT_LABEL] = (median_seconds(_gradient_pass(), repeat=epochs)[0], GRADIENT_ROWS)
    return out


def _in_fresh_process(chosen: list, rows: int, epochs: int, system_malloc: bool) -> dict:
    """:func:`timings` in a fresh interpreter, with glibc's defaults or motifnet's setting."""
    with mock.patch.dict(os.environ):  # the child inherits the environment; restored afterwards
        os.environ.pop("MOTIFNET_MALLOC", None)
        if system_malloc:
            os.environ["MOTIFNET_MALLOC"] = "system"
        return in_subprocess(timings, chosen, rows, epochs)[0]


def run(quick: bool = False) -> dict:
    chosen = classroom_families()[:1] if quick else classroom_families()
    rounds, rows, epochs = (1, 256, 2) if quick else (3, EPOCH_ROWS, 3)
    results: dict[bool, list[dict]] = {True: [], False: []}
    for _ in range(rounds):
        for system_malloc in (True, False):
            results[system_malloc].append(_in_fresh_process(chosen, rows, epochs, system_malloc))
    table = []
    for label, (_, n) in results[False][0].items():
        tuned, default = (statistics.median(r[label][0] for r in results[flag]) for flag in (False, True))
        table.append(row(f"{label}, motifnet's malloc setting vs glibc's defaults", n / tuned, n / default,
                         unit="seq/s"))
    info = machine()
    notes = (f"CPU {info['cpu']}, 1 thread (1-min load at the end {info['load_avg_1min']}). {rounds} rounds of "
             f"two fresh processes (glibc's defaults, then motifnet's setting), each training every family for "
             f"{epochs} epochs of {rows:,} random sequences (fit, batch 128, no validation) and timing {epochs} gradient "
             "passes after a first; medians over the rounds. "
             "value: seq/s with motifnet's setting (mmap threshold 32 MiB, trim threshold 256 MiB); ref: with "
             "glibc's defaults (MOTIFNET_MALLOC=system); ratio: the speed-up. The same numbers either way.")
    return {"title": "Memory allocator: freed memory kept for reuse vs glibc's defaults", "rows": table,
            "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
