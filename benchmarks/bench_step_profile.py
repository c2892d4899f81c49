"""Where a training step's time goes, per model family: the torch profiler's exclusive CPU time of
each operator, grouped (convolution, recurrent layers, dense matmuls, pooling, batch norm,
element-wise, optimizer, the rest), beside the step's fraction of the matmul rate.

The models and the step are those of ``bench_threads.py`` (the classroom arms and two families at
their design sizes; forward, cross-entropy, backward, fused Adam, batch 128) on 1 thread. value =
the fraction of the float32 matmul rate the whole step reaches (its multiply-accumulates x 2 x 3
for forward and backward, counted by ``motifnet.arithmetic.describe``, per second, over the matmul
rate timed round-robin with the step); the other columns: the share of the step's profiled CPU
time in each group, and the operator that takes the most.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import interleaved_seconds, machine, row  # noqa: E402
from bench_threads import BATCH, families, step_function  # noqa: E402

GROUPS = {  # an operator's group: the first whose words its name contains
    "conv": ("convolution",),
    "recurrent": ("lstm", "rnn", "gru"),
    "matmul": ("addmm", "::mm", "bmm", "matmul", "linear"),
    "pool": ("pool", "amax", "::max", "maxbackward", "value_selecting", "scatter", "windowmax"),
    "batch_norm": ("batch_norm",),
    "optimizer": ("adam", "optimizer"),
    "elementwise": ("threshold", "relu", "clamp", "::add", "::mul", "::sub", "::div", "sigmoid", "tanh", "exp",
                    "fill_", "copy_", "where", "dropout", "bernoulli"),
}


def group_of(operator: str) -> str:
    """The group of a profiler operator name (:data:`GROUPS`), else 'other'."""
    name = operator.lower()
    for group, words in GROUPS.items():
        if any(word in name for word in words):
            return group
    return "other"


def profile_step(step, steps: int) -> tuple[dict[str, float], str, float]:
    """``(share of exclusive CPU time per group, the top operator, its share)`` over ``steps`` calls."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(steps):
            step()
    times = {event.key: event.self_cpu_time_total for event in profiler.key_averages()}
    total = sum(times.values()) or 1.0
    shares: dict[str, float] = {}
    for operator, micros in times.items():
        shares[group_of(operator)] = shares.get(group_of(operator), 0.0) + micros / total
    top = max(times, key=times.get)
    return shares, top, times[top] / total


def run(quick: bool = False) -> dict:
    import torch

    from motifnet.arithmetic import describe
    from motifnet.devices import set_cpu_threads

    set_cpu_threads(1)
    repeat, profiled = (3, 2) if quick else (15, 20)
    rows = []
    for label, name, preset, params, length, classes in (families()[:1] if quick else families()):
        model, step = step_function(name, preset, params, length, classes)
        macs = sum(r["macs"] for r in describe(model, length))
        a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
        times = interleaved_seconds({"step": step, "matmul": lambda: torch.matmul(a, b)}, repeat=repeat,
                                    warmup=1 if quick else 3)
        gflops = 2 * 1024**3 / times["matmul"][0] / 1e9
        fraction = 6 * macs * BATCH / times["step"][0] / 1e9 / gflops
        shares, top, top_share = profile_step(step, profiled)
        rows.append(row(f"{label}: training step", round(fraction, 3), None, unit="of matmul rate",
                        step_ms=round(times["step"][0] * 1000, 2), matmul_gflops=round(gflops, 1),
                        **{f"{group}_share": round(shares.get(group, 0.0), 3) for group in (*GROUPS, "other")},
                        top_operator=top, top_share=round(top_share, 3)))
    info = machine()
    notes = (f"CPU {info['cpu']}, {info['cores']} cores, 1 torch thread, 1-min load {info['load_avg_1min']}. "
             f"Batch {BATCH}; value: the step's FLOPs (6 x MACs x batch) per second over the float32 matmul rate "
             f"(1024 x 1024, timed round-robin with the step, medians of {repeat}), optimizer included; shares: "
             f"exclusive CPU time of the torch profiler's operators over {profiled} steps, grouped by name (an "
             "LSTM's own kernel is 'recurrent'; a simple RNN runs as matmuls and element-wise tanh).")
    return {"title": "Where a training step's time goes (torch profiler, 1 thread)", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
