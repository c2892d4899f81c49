"""Model zoo throughput: sequences/s for a training step (forward + backward) and for inference.

Each model runs at its paper (or design) input length and target count with random one-hot
batches on CPU. Training: ``model.train()``, forward, BCE-with-logits loss, backward (no
optimizer step; gradients zeroed between repeats). Inference: ``model.eval()`` under
``torch.inference_mode``. Medians over repeats after one warm-up.

Reference, measured in the same run: the throughput the model would reach if all its
multiply-accumulates (convolutions, dense and recurrent layers, counted by
``motifnet.arithmetic.describe``) ran at this machine's measured float32 matmul rate (x3 for
forward + backward), the matmul timed round-robin with the model so both see the same load. The
ratio is the fraction of matmul speed achieved: how well the layer
implementations use the CPU, not a comparison with another library.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import interleaved_seconds, machine, row  # noqa: E402

# (label, model, preset, params, batch for a training step)
MODELS = [
    ("deepbind paper", "deepbind", "paper", {}, 256),
    ("deepbind paper, both strands", "deepbind", "paper", {"strands": "both"}, 256),
    ("deepbind encode", "deepbind", "encode", {}, 256),
    ("deepsea paper", "deepsea", "paper", {}, 16),
    ("danq paper", "danq", "paper", {}, 16),
    ("danq classroom", "danq", "classroom", {}, 128),
    ("cnn-25 (Koo & Eddy)", "cnn", "cnn-25", {}, 128),
    ("resnet (4 blocks x 64)", "resnet", None, {}, 64),
    ("resnet plain twin", "resnet", None, {"residual": False}, 64),
    ("rnn classroom", "rnn", "classroom", {}, 128),
    ("lstm classroom", "lstm", "classroom", {}, 128),
    ("gru classroom", "gru", "classroom", {}, 128),
]
QUICK = [("deepbind paper", "deepbind", "paper", {}, 32), ("danq classroom", "danq", "classroom", {}, 16)]


def measure(name: str, preset: str | None, params: dict, batch: int, repeat: int, matmul_n: int) -> dict:
    """Train-step and inference throughput of one model, and the float32 matmul rate timed
    round-robin with them (so all three see the same load); returns a dict of numbers."""
    import torch
    import torch.nn.functional as F

    from motifnet.arithmetic import describe
    from motifnet.models import build, get_spec

    length, targets = get_spec(name).design(preset)
    torch.manual_seed(0)
    model = build(name, targets, length, preset=preset, **params)
    macs = sum(r["macs"] for r in describe(model, length))
    tokens = torch.randint(4, (batch, length), generator=torch.Generator().manual_seed(0))
    x = F.one_hot(tokens, 4).transpose(1, 2).float().contiguous()
    y = (torch.rand(batch, targets, generator=torch.Generator().manual_seed(1)) > 0.5).float()

    def train_step() -> None:
        model.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(model(x), y).backward()

    def infer() -> None:
        with torch.inference_mode():
            model(x)

    def train_mode() -> None:
        model.train()
        train_step()

    def eval_mode() -> None:
        model.eval()
        infer()

    a = torch.randn(matmul_n, matmul_n, generator=torch.Generator().manual_seed(2))
    b = torch.randn(matmul_n, matmul_n, generator=torch.Generator().manual_seed(3))
    times = interleaved_seconds({"train": train_mode, "infer": eval_mode, "matmul": lambda: torch.matmul(a, b)},
                                repeat=repeat, warmup=1)
    return {"length": length, "targets": targets, "batch": batch, "macs": macs,
            "train_seq_s": batch / times["train"][0], "infer_seq_s": batch / times["infer"][0],
            "gflops": 2 * matmul_n**3 / times["matmul"][0] / 1e9}


def run(quick: bool = False) -> dict:
    import torch

    rows = []
    for label, name, preset, params, batch in QUICK if quick else MODELS:
        m = measure(name, preset, params, batch, repeat=2 if quick else 7, matmul_n=256 if quick else 1024)
        ideal_train = m["gflops"] * 1e9 / (3 * 2 * m["macs"])
        ideal_infer = m["gflops"] * 1e9 / (2 * m["macs"])
        common = {"length": m["length"], "targets": m["targets"], "batch": m["batch"],
                  "mmacs_per_seq": round(m["macs"] / 1e6, 3), "matmul_gflops": round(m["gflops"], 1)}
        rows.append(row(f"{label}: train step (fwd+bwd)", m["train_seq_s"], ideal_train, unit="seq/s", **common))
        rows.append(row(f"{label}: inference", m["infer_seq_s"], ideal_infer, unit="seq/s", **common))
    info = machine()
    notes = (
        f"CPU {info['cpu']}, {info['cores']} cores, torch {info['torch']} with {torch.get_num_threads()} threads, "
        f"1-min load {info['load_avg_1min']} (timings slow down with the load). "
        "Reference = matmul-speed throughput: the float32 matmul rate (1024 x 1024, timed round-robin with "
        "the model's own repeats, column matmul_gflops) divided by the model's FLOPs per sequence (2 x MACs; "
        "x3 for forward+backward); ratio = fraction of matmul speed. "
        "Training rows: forward + loss + backward, no optimizer step. Random one-hot input at the model's "
        "paper/design length (motifnet.models.get_spec(name).design(preset))."
    )
    return {"title": "Model zoo throughput (sequences/s, CPU)", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
