"""Max pooling alone: ``MaxPool1d`` (what the models run) against torch's ``F.max_pool1d``, on the
max pools the kernel serves in the classroom models and CNN-25 (their input shapes read from a
forward pass of each model), with a gradient (training, attributions) and without one (inference).

With a gradient, ``MaxPool1d`` runs the numba kernel of :mod:`motifnet.models.window_max` and torch
runs its pooling with indices: each is timed for a forward pass and the backward pass of a random
upstream gradient. Without one (``torch.inference_mode``), ``MaxPool1d`` runs torch's own pooling,
which keeps no indices; the kernel is timed there as the reference, to show why it stays out of
inference. The two of each pair are timed round-robin; both give the same values and gradients,
bit for bit (``tests/test_window_max.py``). value = the shipped path's calls/s, ref = the other's.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import interleaved_seconds, machine, row  # noqa: E402
from bench_threads import families, model_and_batch  # noqa: E402


def model_pools() -> list[tuple[str, tuple[int, ...], int, bool]]:
    """``(labels, input shape [B, C, L], pool size, ceil mode)`` of every max pool of the classroom
    arms and CNN-25 (:func:`bench_threads.families`) that the kernel serves, read from one forward
    pass of each model at batch 128; a pool shared by several models is listed once."""
    import torch

    from motifnet.models import window_max
    from motifnet.models.layers import MaxPool1d

    pools: dict[tuple, list[str]] = {}
    for label, name, preset, params, length, classes in families():
        model, x, _ = model_and_batch(name, preset, params, length, classes)
        seen = []
        hooks = [m.register_forward_pre_hook(lambda m, args: seen.append((args[0], m.kernel_size, m.ceil_mode)))
                 for m in model.modules() if isinstance(m, MaxPool1d)]
        with torch.no_grad():
            model(x)
        for hook in hooks:
            hook.remove()
        for tensor, size, ceil_mode in seen:
            if window_max.applies(tensor, size):
                pools.setdefault((tuple(tensor.shape), size, ceil_mode), []).append(label)
    return [(" / ".join(dict.fromkeys(labels)), *pool) for pool, labels in pools.items()]


def run(quick: bool = False) -> dict:
    import torch
    import torch.nn.functional as F

    from motifnet.models.layers import MaxPool1d
    from motifnet.models.window_max import window_max

    torch.set_num_threads(1)
    repeat = 5 if quick else 50
    rows = []
    pools = model_pools()
    for label, shape, size, ceil_mode in pools[:1] if quick else pools:
        x = torch.relu(torch.randn(*shape, generator=torch.Generator().manual_seed(0)))
        pool = MaxPool1d(size, ceil_mode=ceil_mode)
        upstream = torch.randn(pool(x).shape)
        leaf = x.clone().requires_grad_()

        def gradient(fn):
            return lambda: torch.autograd.grad(fn(leaf), leaf, upstream)

        training = interleaved_seconds({"kernel": gradient(pool),
                                        "torch": gradient(lambda t: F.max_pool1d(t, size, ceil_mode=ceil_mode))},
                                       repeat=repeat, warmup=3)
        with torch.inference_mode():
            paths = {"torch": lambda: pool(x), "kernel": lambda: window_max(x, size, ceil_mode)}
            inference = interleaved_seconds(paths, repeat=repeat, warmup=3)
        where = f"[{', '.join(map(str, shape))}] by {size}"
        rows.append(row(f"{label} {where}, forward + backward: numba kernel vs torch with indices",
                        1 / training["kernel"][0], 1 / training["torch"][0], unit="calls/s"))
        rows.append(row(f"{label} {where}, inference: torch without indices vs numba kernel",
                        1 / inference["torch"][0], 1 / inference["kernel"][0], unit="calls/s"))
    info = machine()
    notes = (f"CPU {info['cpu']}, 1 thread (1-min load at the end {info['load_avg_1min']}). Medians of {repeat} "
             "calls per path, timed round-robin in pairs; float32 ReLU outputs (ties at 0). value: the path "
             "MaxPool1d takes (the kernel with a gradient, torch's pooling without one); ref: the other; "
             "ratio: the speed-up of the shipped choice.")
    return {"title": "Max pooling: numba kernel vs torch's, with and without a gradient", "rows": rows,
            "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
