"""Training on a GPU beside the CPU: seq/s of a training step of each model family on CUDA in
float32, bfloat16 autocast and float16 with the gradient scaler, at batch 128 and 1,024, against
the same step on one CPU thread of the same machine; and one epoch of ``fit`` on the GPU against
its bare steps (the engine's own overhead: batching, one-hot encoding, validation).

The step is ``bench_threads.step_function`` (forward, cross-entropy, backward, fused Adam; the
GPU variants wait for the device at the end of every step), the families those of
``bench_threads.families`` (the classroom arms, DeepBind's ENCODE preset, CNN-25). GPU variants
are timed round-robin; value = seq/s, ref = the CPU step's seq/s at batch 128, ratio = the GPU's
speed-up. Without a CUDA device it is skipped (its earlier table stays); ``--quick`` runs the same
code on the CPU alone, as the smoke test. On a GPU machine ``benchmarks/gpu_check.sh`` runs it
after the device tests.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import interleaved_seconds, machine, median_seconds, row  # noqa: E402
from bench_threads import BATCH, families, step_function  # noqa: E402

LARGE_BATCH = 1024
VARIANTS = [(None, BATCH), ("bfloat16", BATCH), ("float16", BATCH), (None, LARGE_BATCH), ("bfloat16", LARGE_BATCH)]
ENGINE_FAMILIES = ("DeepBind", "DanQ")
ENGINE_SEQUENCES = 20_000
VALID_FRACTION = 0.1  # of the engine rows' sequences, validated after the epoch


def skip_reason(quick: bool) -> str | None:
    """No CUDA device and not the smoke test: nothing to measure here."""
    import torch

    return None if quick or torch.cuda.is_available() else "no CUDA device"


def _variants(device: str) -> list[tuple[str | None, int]]:
    return VARIANTS if device == "cuda" else [(None, BATCH), ("bfloat16", BATCH)]  # float16 autocast needs CUDA


def _engine_seconds(name: str, preset: str | None, params: dict, length: int, classes: int, device: str,
                    n: int) -> float:
    """Seconds of one epoch of ``fit`` over ``n`` random sequences (batch 128, float32), validation
    included: the second of two calls (the first warms the device's kernels up)."""
    import torch

    from bench_training import make_data
    from motifnet.models import build
    from motifnet.training import fit

    _, train = make_data(n, length, classes)
    for _ in range(2):
        torch.manual_seed(0)
        model = build(name, classes, length, preset=preset, **params)
        start = time.perf_counter()
        fit(model, train, epochs=1, batch_size=BATCH, device=device, quiet=True, valid_fraction=VALID_FRACTION)
        seconds = time.perf_counter() - start
    return seconds


def run(quick: bool = False) -> dict:
    import torch

    from motifnet.devices import set_cpu_threads

    set_cpu_threads(1)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    repeat = 3 if quick else 20
    chosen = families()[:1] if quick else families()
    n = 2_000 if quick else ENGINE_SEQUENCES
    trained = (1 - VALID_FRACTION) * n
    rows = []
    for label, name, preset, params, length, classes in chosen:
        cpu, _, _ = median_seconds(step_function(name, preset, params, length, classes)[1], repeat=repeat, warmup=1)
        steps = {(amp, batch): step_function(name, preset, params, length, classes, batch=batch, amp=amp,
                                             device=device)[1] for amp, batch in _variants(device)}
        times = interleaved_seconds(steps, repeat=repeat, warmup=1 if quick else 3)
        for (amp, batch), (seconds, _, _) in times.items():
            rows.append(row(f"{label}: {device} {amp or 'float32'}, batch {batch}", batch / seconds, BATCH / cpu,
                            unit="seq/s", step_ms=round(seconds * 1000, 2), cpu_step_ms=round(cpu * 1000, 2)))
        if label in ENGINE_FAMILIES:
            engine = _engine_seconds(name, preset, params, length, classes, device, n)
            bare = times[(None, BATCH)][0] * trained / BATCH  # the float32 batch-128 row's steps alone
            rows.append(row(f"{label}: one epoch of fit on {device} vs its bare steps (float32, batch {BATCH})",
                            trained / engine, trained / bare, unit="seq/s", epoch_s=round(engine, 2),
                            steps_s=round(bare, 2)))
    info = machine()
    gpu = torch.cuda.get_device_name() if device == "cuda" else "none (quick run on the CPU)"
    notes = (f"GPU {gpu}; CPU {info['cpu']}, {info['cores']} cores, 1 thread for the reference (1-min load "
             f"{info['load_avg_1min']}); torch {info['torch']}. Medians of {repeat} steps, GPU variants round-robin. "
             "value: seq/s; ref: the float32 CPU step at batch 128 on one thread; ratio: the device's speed-up. "
             f"The fit rows: one epoch over {n:,} random sequences ({VALID_FRACTION:.0%} validated) "
             "against the same number of bare float32 steps; ratio below 1 is the engine's overhead.")
    return {"title": "Training on a GPU beside the CPU", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run("--quick" in sys.argv), indent=2))
