"""Tiny data and models shared by the training, runs and CLI tests (not a test module)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from motifnet.data import SeqData

MOTIF = "GGAATTCC"


def motif_data(n: int = 240, length: int = 30, seed: int = 0, task: str = "binary") -> SeqData:
    """Random DNA; label 1 rows carry MOTIF at a random place (binary), or for multiclass class k
    carries motif k of three; multilabel: two independent motifs; regression: motif count."""
    rng = np.random.default_rng(seed)
    motifs = [MOTIF, "CACGTGAA", "TTTATAAA"]
    sequences, targets = [], []
    for i in range(n):
        letters = rng.choice(list("ACGT"), length)
        if task == "binary":
            label = i % 2
            planted = [motifs[0]] if label else []
        elif task == "multiclass":
            label = i % 3
            planted = [motifs[label]]
        elif task == "multilabel":
            label = [i % 2, (i // 2) % 2]
            planted = [m for m, on in zip(motifs, label) if on]
        else:
            label = [float(i % 3)]
            planted = [motifs[0]] * (i % 3)
        starts = rng.permutation(np.arange(0, length - 8, 9))[: len(planted)]
        for start, motif in zip(starts, planted):
            letters[start : start + 8] = list(motif)
        sequences.append("".join(letters))
        targets.append(label)
    names = {"multiclass": ["a", "b", "c"], "multilabel": ["m1", "m2"]}.get(task)
    return SeqData.from_strings(sequences, np.asarray(targets), task, target_names=names)


def write_seq(path, data: SeqData, folds: tuple[str, ...] = ("A",)):
    """``data`` (binary) as a DeepBind ``.seq`` table: FoldID (``folds`` in turn), EventID, seq, Bound."""
    rows = ["FoldID\tEventID\tseq\tBound"]
    for i, (tokens, label) in enumerate(zip(data.tokens, data.targets[:, 0])):
        rows.append(f"{folds[i % len(folds)]}\tseq_{i}\t{''.join('ACGT'[t] for t in tokens)}\t{int(label)}")
    path.write_text("\n".join(rows) + "\n")
    return path


class TinyConv(nn.Module):
    """Conv(4 -> filters, width) + ReLU + global max + dropout + linear: ``[B, 4, L] -> [B, T]``."""

    def __init__(self, n_targets: int = 1, filters: int = 8, width: int = 8, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, filters, width)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(filters, n_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(torch.relu(self.conv(x)).amax(dim=-1)))


def tiny(n_targets: int = 1, seed: int = 0, **kwargs) -> TinyConv:
    torch.manual_seed(seed)
    return TinyConv(n_targets, **kwargs)


def same_weights(a: dict, b: dict) -> bool:
    """Whether two state dicts hold bitwise equal tensors."""
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

