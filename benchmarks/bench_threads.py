"""Thread policy: a training step of each model family with 1 and with 2 torch threads.

The models are the arms of the classroom experiment (``examples/classroom.yaml``: DeepBind, DanQ,
ResNet, RNN, LSTM on 100 bp, 11 classes) and two more families at their design sizes (DeepBind's
ENCODE preset at 101 bp, Koo & Eddy's CNN-25 at 200 bp). A step is what ``fit`` runs per batch:
forward, cross-entropy, backward and a fused Adam update, at batch 128. The two thread counts are
timed round-robin in one process (``motifnet.devices.set_cpu_threads`` switched before every call),
so a burst of other work hits both alike.

value = seq/s with 2 threads, ref = seq/s with 1 thread, ratio = the speed-up of the second thread
(below 1: the second thread slows the step down). Training defaults to 1 thread
(``motifnet.commands._common.TRAINING_THREADS``) so that results do not depend on the machine;
``--threads auto`` takes the cores the load leaves free.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, interleaved_seconds, machine, row  # noqa: E402

BATCH = 128
EXTRA = [("DeepBind encode preset", "deepbind", "encode", {}, 101, 1),
         ("CNN-25 (Koo & Eddy)", "cnn", "cnn-25", {}, 200, 12)]


def classroom_families() -> list[tuple[str, str, str | None, dict, int, int]]:
    """``(label, model, preset, params, length, classes)`` of the classroom arms (100 bp, 11 classes)."""
    from motifnet.experiments.config import load_experiment

    arms = load_experiment(ROOT / "examples" / "classroom.yaml").arms()
    return [(arm.label, arm.model["name"], arm.model.get("preset"), arm.model.get("params") or {}, 100, 11)
            for arm in arms]


def families() -> list[tuple[str, str, str | None, dict, int, int]]:
    """:func:`classroom_families`, then :data:`EXTRA`."""
    return classroom_families() + EXTRA


def model_and_batch(name: str, preset: str | None, params: dict, length: int, classes: int, batch: int = BATCH,
                    device="cpu"):
    """A fresh model (seed 0, training mode) on ``device`` and the fixed random batch ``(x, y)`` it trains on."""
    import torch
    import torch.nn.functional as F

    from motifnet.models import build

    torch.manual_seed(0)
    model = build(name, classes, length, preset=preset, **params).to(device).train()
    tokens = torch.randint(4, (batch, length), generator=torch.Generator().manual_seed(0))
    x = F.one_hot(tokens, 4).transpose(1, 2).float().contiguous().to(device)
    y = torch.randint(classes, (batch,), generator=torch.Generator().manual_seed(1)).to(device)
    return model, x, y


def step_function(name: str, preset: str | None, params: dict, length: int, classes: int, batch: int = BATCH,
                  compile: bool = False, amp: str | None = None, device: str = "cpu"):
    """A fresh model and a function running one training step of it on a fixed random batch.

    ``compile`` runs the model through ``torch.compile`` (compiled on the first step); ``amp``
    ('bfloat16' or 'float16') runs the forward pass and the loss under autocast, float16 with a
    gradient scaler as ``fit`` uses it; on ``device`` 'cuda' the step waits for the GPU to finish.
    """
    import torch
    import torch.nn.functional as F

    where = torch.device(device)
    model, x, y = model_and_batch(name, preset, params, length, classes, batch, where)
    forward = torch.compile(model) if compile else model
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    scaler = torch.amp.GradScaler(where.type, enabled=amp == "float16")
    dtype = getattr(torch, amp) if amp else None
    finish = torch.cuda.synchronize if where.type == "cuda" else (lambda: None)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(where.type, dtype=dtype, enabled=dtype is not None):
            loss = F.cross_entropy(forward(x), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        finish()

    return model, step


def run(quick: bool = False) -> dict:
    from motifnet.devices import set_cpu_threads

    auto = set_cpu_threads("auto")  # before this benchmark's own work shows in the load average
    rows, repeat = [], 3 if quick else 25
    chosen = families()[:1] if quick else families()
    for label, name, preset, params, length, classes in chosen:
        _, step = step_function(name, preset, params, length, classes)

        def with_threads(n: int):
            def call() -> None:
                set_cpu_threads(n)
                step()
            return call

        times = interleaved_seconds({"one": with_threads(1), "two": with_threads(2)}, repeat=repeat,
                                    warmup=1 if quick else 3)
        rows.append(row(f"{label}: training step, 2 threads vs 1", BATCH / times["two"][0], BATCH / times["one"][0],
                        unit="seq/s", length=length, batch=BATCH))
    set_cpu_threads(1)
    info = machine()
    notes = (f"CPU {info['cpu']}, {info['cores']} cores; `--threads auto` chose {auto} thread(s) at the start "
             f"(1-min load at the end {info['load_avg_1min']}). Medians of {repeat} steps per thread count, timed "
             "round-robin, each with its set_cpu_threads call. "
             "value: seq/s with 2 threads; ref: with 1; ratio: the speed-up of the second thread.")
    return {"title": "Thread policy: a training step with 1 and 2 threads", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
