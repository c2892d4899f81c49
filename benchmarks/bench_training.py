"""Training throughput: motifnet's engine beside a naive PyTorch loop, and the FLOP rate achieved.

For DeepBind (paper, 101 bp), DanQ (classroom, 100 bp) and a bidirectional LSTM (classroom,
100 bp), one epoch over the same random sequences, same architecture, same initial weights,
Adam 1e-3, batch 128, timed round-robin (engine, naive, engine, naive, ...; median of repeats):

- engine: :func:`motifnet.training.fit` (index batches from the uint8 token matrix, one-hot
  encoded a whole batch at once; no per-sequence Dataset);
- naive: a ``torch.utils.data.Dataset`` whose ``__getitem__`` one-hot encodes one string the
  way tutorials do (a dict of per-letter lists -> ``torch.tensor(...).T``), the default
  ``DataLoader`` collation, and the usual ``zero_grad / loss / backward / step`` loop.

Both loops train the same model object (a deep copy of one initial model), so model-side speed-ups
count for both: DeepBind's training fast path (``models/deepbind.py``: the max-pool gradient
through each filter's argmax window instead of a full convolution backward) runs in the naive
loop too.

FLOP rate: forward + backward FLOPs of one training step as executed (DeepBind's fast path does
no convolution backward) counted by ``torch.utils.flop_counter.FlopCounterMode`` (conv, matmul),
plus recurrent layers counted by hand (``2 * gates * hidden * (input + hidden)`` per step,
direction and sequence, backward = 2x forward), divided by the engine's step time, as a fraction
of this machine's float32 matmul rate (``torch.matmul`` of 2048 x 2048, measured in the same run
with the same threads).

Same seed -> identical metrics: the engine is run twice with the same seed and the final training
losses and weights are compared.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import interleaved_seconds, machine, matmul_gflops  # noqa: E402

MODELS = [("deepbind", "paper", 101, 1), ("danq", "classroom", 100, 11), ("lstm", "classroom", 100, 11)]
TUTORIAL_CODES = {"A": [1, 0, 0, 0], "C": [0, 1, 0, 0], "G": [0, 0, 1, 0], "T": [0, 0, 0, 1]}


def make_data(n: int, length: int, n_targets: int, seed: int = 0):
    """Random sequences with random labels: (strings, SeqData)."""
    from motifnet.data import SeqData

    rng = np.random.default_rng(seed)
    strings = ["".join(row) for row in rng.choice(list("ACGT"), (n, length))]
    if n_targets == 1:
        return strings, SeqData.from_strings(strings, rng.integers(0, 2, n), "binary")
    return strings, SeqData.from_strings(strings, rng.integers(0, n_targets, n), "multiclass")


def naive_epoch(model, strings, targets, task: str, batch_size: int = 128, seed: int = 0) -> float:
    """One epoch of the naive loop; returns the mean training loss."""
    import torch
    from torch.utils.data import DataLoader, Dataset

    class StringDataset(Dataset):
        def __len__(self):
            return len(strings)

        def __getitem__(self, i):
            x = torch.tensor([TUTORIAL_CODES[c] for c in strings[i]], dtype=torch.float32).T
            y = torch.tensor(targets[i], dtype=torch.float32 if task == "binary" else torch.long)
            return x, y

    loader = DataLoader(StringDataset(), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss() if task == "binary" else torch.nn.CrossEntropyLoss()
    model.train()
    total = 0.0
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    return total / len(strings)


def engine_epoch(model, data, seed: int = 0) -> float:
    from motifnet.training import fit

    result = fit(model, data, epochs=1, batch_size=128, lr=1e-3, valid_fraction=0.0, patience=None, seed=seed,
                 device="cpu", quiet=True)
    return result.history[-1]["train_loss"]


def step_flops(model, length: int, n_targets: int, batch: int = 128) -> float:
    """Forward + backward FLOPs of one training step of ``batch`` sequences."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    recurrent = []

    def hook(module, inputs, output):
        x = inputs[0]
        steps = x.shape[1] if module.batch_first else x.shape[0]
        gates = {"LSTM": 4, "GRU": 3}.get(type(module).__name__, 1)
        directions = 2 if module.bidirectional else 1
        flops = 0
        for layer in range(module.num_layers):
            inp = module.input_size if layer == 0 else module.hidden_size * directions
            flops += 2 * gates * module.hidden_size * (inp + module.hidden_size) * steps * directions
        recurrent.append(3 * flops * x.shape[0 if module.batch_first else 1])

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.RNNBase)]
    x = torch.zeros(batch, 4, length)
    x[:, 0] = 1
    model.train()
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    for handle in handles:
        handle.remove()
    model.zero_grad(set_to_none=True)
    return float(counter.get_total_flops() + sum(recurrent))


def run(quick: bool = False) -> dict:
    import copy

    import torch

    from motifnet.models import build

    n = 512 if quick else 8192
    repeat = 1 if quick else 3
    models = MODELS[:1] if quick else MODELS
    peak = matmul_gflops(1024 if quick else 2048, repeat=2 if quick else 5)
    rows = []
    deterministic = None
    for name, preset, length, n_targets in models:
        strings, data = make_data(n, length, n_targets)
        task = data.task
        targets = data.targets if task == "multiclass" else data.targets
        torch.manual_seed(0)
        base = build(name, n_targets=n_targets, input_length=length, preset=preset)
        timings = interleaved_seconds(
            {
                "engine": lambda: engine_epoch(copy.deepcopy(base), data),
                "naive": lambda: naive_epoch(copy.deepcopy(base), strings, targets, task),
            },
            repeat=repeat,
            warmup=1,
        )
        engine_rate = n / timings["engine"][0]
        naive_rate = n / timings["naive"][0]
        flops = step_flops(copy.deepcopy(base), length, n_targets)
        achieved = flops * engine_rate / 128 / 1e9
        rows.append({
            "name": f"{name} ({preset}, {length} bp)",
            "engine_seq_per_s": round(engine_rate),
            "naive_seq_per_s": round(naive_rate),
            "ratio": round(engine_rate / naive_rate, 2),
            "step_gflop": round(flops / 1e9, 3),
            "achieved_gflops": round(achieved, 2),
            "matmul_gflops": round(peak, 1),
            "fraction_of_matmul": round(achieved / peak, 3),
        })
        if deterministic is None:
            first, second = copy.deepcopy(base), copy.deepcopy(base)
            loss_a, loss_b = engine_epoch(first, data, seed=7), engine_epoch(second, data, seed=7)
            deterministic = loss_a == loss_b and all(
                torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values())
            )
        rows[-1]["same_seed_identical"] = deterministic if len(rows) == 1 else None
    info = machine()
    notes = (
        f"{n} random sequences per epoch, batch 128, Adam; median of {repeat} round-robin epochs; "
        f"{info['torch_threads']} torch thread(s); load average {info['load_avg_1min']}. "
        "Naive = per-string tutorial one-hot in Dataset.__getitem__ "
        "+ default DataLoader collation; both loops train copies of the same model (DeepBind's training fast path "
        "runs in both). Same seed -> identical final loss and weights: "
        f"{deterministic}."
    )
    return {"title": "Training throughput: engine vs naive PyTorch loop", "rows": rows, "notes": notes,
            "machine": info}


def fast_path_comparison(n: int = 8192, repeat: int = 5) -> dict:
    """DeepBind (paper, 101 bp) seq/s of both loops with and without the model's training fast path
    (switched off by a forward hook on ``conv``, which makes the model take the full backward)."""
    import copy

    import torch

    from motifnet.models import build

    strings, data = make_data(n, 101, 1)
    torch.manual_seed(0)
    base = build("deepbind", n_targets=1, input_length=101, preset="paper")

    def full_backward():
        model = copy.deepcopy(base)
        model.conv.register_forward_hook(lambda module, inputs, output: None)
        return model

    timings = interleaved_seconds(
        {
            "engine": lambda: engine_epoch(copy.deepcopy(base), data),
            "naive": lambda: naive_epoch(copy.deepcopy(base), strings, data.targets, "binary"),
            "engine_full_backward": lambda: engine_epoch(full_backward(), data),
            "naive_full_backward": lambda: naive_epoch(full_backward(), strings, data.targets, "binary"),
        },
        repeat=repeat,
        warmup=1,
    )
    rates = {name: round(n / seconds[0]) for name, seconds in timings.items()}
    return rates | {"load_avg_1min": machine()["load_avg_1min"]}


if __name__ == "__main__":
    import json

    if "--fast-path" in sys.argv:  # python benchmarks/bench_training.py --fast-path
        print(json.dumps(fast_path_comparison(), indent=2))
    else:
        print(json.dumps(run("--quick" in sys.argv), indent=2))
