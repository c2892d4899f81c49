"""Candidate speed-ups of a training step, per classroom model family, each against the eager float32
step that ``fit`` runs today: ``torch.compile``, bfloat16 autocast, channels-last convolutions and a
batch twice as large; and what ``fit``'s numba max pooling gives against torch's.

The models and the step are those of ``bench_threads.py`` (the arms of ``examples/classroom.yaml``;
forward, cross-entropy, backward, fused Adam; batch 128; 1 thread). The five variants are timed
round-robin in one process, so a burst of other work hits them alike. value = the candidate's
seq/s, ref = the eager float32 step's at batch 128, ratio = the speed-up.

- compile: ``torch.compile(model)`` (inductor, default mode). ``compile_s`` is its first step minus
  an eager step, with an empty inductor cache: the price paid once per process and per new input
  shape (an epoch's last, smaller batch and evaluation compile again); ``break_even_steps`` =
  compile_s / the seconds saved per step.
- bf16: the forward pass and the loss under ``torch.autocast("cpu", dtype=torch.bfloat16)``. Its
  numbers differ from float32 and its speed depends on the CPU's bfloat16 units (AMX, AVX-512 BF16),
  so results would depend on the machine; ``loss_difference`` is its first loss minus float32's.
- channels-last: every ``Conv1d`` computed as a 2-D convolution of a channels-last ``[B, C, 1, L]``
  view (oneDNN's NHWC kernels; the same numbers up to rounding).
- batch 256: the same step on twice the sequences, per sequence; it changes the optimisation (a
  scaled learning rate would be needed), so it is a measurement, not a drop-in.
- window max: the eager step (max pooling by :mod:`motifnet.models.window_max`) against the same
  step with torch's max pooling, timed round-robin as a pair of their own (value = the eager
  step's seq/s, ref = torch pooling's); the same numbers, bit for bit. DeepBind has no windowed
  pool (its global max is torch's), so its ratio shows the timing's noise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import interleaved_seconds, machine, row  # noqa: E402
from bench_threads import BATCH, classroom_families, model_and_batch, step_function  # noqa: E402


def _channels_last_forward(self, input, weight, bias):
    import torch
    import torch.nn.functional as F

    padding = self.padding if isinstance(self.padding, str) else (0, self.padding[0])
    x = input.unsqueeze(2).contiguous(memory_format=torch.channels_last)
    return F.conv2d(x, weight.unsqueeze(2), bias, (1, self.stride[0]), padding, (1, self.dilation[0])).squeeze(2)


def channels_last_convolutions(model):
    """``model`` with each zero-padded ``Conv1d`` run as a channels-last 2-D convolution."""
    import types

    from torch import nn

    for module in model.modules():
        if isinstance(module, nn.Conv1d) and module.padding_mode == "zeros":
            module._conv_forward = types.MethodType(_channels_last_forward, module)
    return model


def torch_pooling(step):
    """``step`` run with torch's max pooling instead of :func:`motifnet.models.window_max.window_max`."""
    from motifnet.models import window_max

    def call() -> None:
        kernel = window_max.applies
        window_max.applies = lambda x, size: False
        try:
            step()
        finally:
            window_max.applies = kernel
    return call


def first_loss(name: str, preset: str | None, params: dict, length: int, classes: int,
               amp: str | None = None) -> float:
    """The cross-entropy of a fresh model's first forward pass on the benchmark batch, under
    autocast to ``amp`` ('bfloat16') or in float32."""
    import torch
    import torch.nn.functional as F

    model, x, y = model_and_batch(name, preset, params, length, classes)
    torch.manual_seed(0)  # the same dropout masks in both precisions
    with torch.autocast("cpu", dtype=getattr(torch, amp) if amp else None, enabled=amp is not None), torch.no_grad():
        return float(F.cross_entropy(model(x), y))


def run(quick: bool = False) -> dict:
    import os
    import tempfile

    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="inductor-")  # compile as on a fresh install
    import torch

    torch.set_num_threads(1)
    rows, repeat = [], 3 if quick else 20
    chosen = classroom_families()
    for label, name, preset, params, length, classes in (chosen[:1] if quick else chosen):
        torch._dynamo.reset()  # each family compiles anew (inductor's on-disk cache stays: the LSTM reuses the RNN's)
        steps = {"eager": step_function(name, preset, params, length, classes)[1],
                 "compiled": step_function(name, preset, params, length, classes, compile=True)[1],
                 "bf16": step_function(name, preset, params, length, classes, amp="bfloat16")[1],
                 "batch 256": step_function(name, preset, params, length, classes, batch=2 * BATCH)[1]}
        model, steps["channels-last"] = step_function(name, preset, params, length, classes)
        channels_last_convolutions(model)
        steps["eager"]()
        start = time.perf_counter()
        steps["compiled"]()
        first_compiled = time.perf_counter() - start
        times = interleaved_seconds(steps, repeat=repeat, warmup=1 if quick else 3)
        pair = {"window max": step_function(name, preset, params, length, classes)[1],
                "torch": torch_pooling(step_function(name, preset, params, length, classes)[1])}
        pooling = interleaved_seconds(pair, repeat=repeat, warmup=1 if quick else 3)  # a pair of its own
        eager = times["eager"][0]
        compile_s = max(0.0, first_compiled - eager)
        saved = eager - times["compiled"][0]
        rows.append(row(f"{label}: torch.compile vs eager", BATCH / times["compiled"][0], BATCH / eager,
                        unit="seq/s", compile_s=round(compile_s, 1),
                        break_even_steps=round(compile_s / saved) if saved > 0 else None))
        difference = (first_loss(name, preset, params, length, classes, amp="bfloat16")
                      - first_loss(name, preset, params, length, classes))
        rows.append(row(f"{label}: bf16 autocast vs float32", BATCH / times["bf16"][0], BATCH / eager,
                        unit="seq/s", loss_difference=float(f"{difference:.2g}")))
        rows.append(row(f"{label}: channels-last convolutions vs eager", BATCH / times["channels-last"][0],
                        BATCH / eager, unit="seq/s"))
        rows.append(row(f"{label}: numba window max pooling vs torch's", BATCH / pooling["window max"][0],
                        BATCH / pooling["torch"][0], unit="seq/s"))
        rows.append(row(f"{label}: batch 256 vs 128", 2 * BATCH / times["batch 256"][0], BATCH / eager,
                        unit="seq/s"))
    info = machine()
    notes = (f"CPU {info['cpu']}, {info['cores']} cores, 1 thread (1-min load at the end "
             f"{info['load_avg_1min']}). Medians of {repeat} steps per variant, timed round-robin. "
             "value: the candidate's seq/s; ref: the eager float32 step at batch 128; ratio: the speed-up. "
             "compile_s: the first compiled step's extra seconds; break_even_steps: steps to earn them back.")
    return {"title": "Training-step candidates: torch.compile, bf16, channels-last, a larger batch, numba max pooling",
            "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
