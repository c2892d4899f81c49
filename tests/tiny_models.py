"""Small hand-made models shared by the prediction, attribution, filter and scan tests.

Each takes one-hot ``[B, 4, L]`` and returns logits ``[B, T]``; :func:`toy_models` builds one of
each, seeded, so that a test can run the same check over convolutional, dense, recurrent and
dropout/batch-norm models (whose eval mode matters).
"""

from __future__ import annotations

import torch
from torch import nn


class MaxPoolNet(nn.Module):
    """conv -> ReLU -> global max -> linear: the smallest DeepBind-like model."""

    def __init__(self, n_filters: int, width: int, n_targets: int):
        super().__init__()
        self.conv = nn.Conv1d(4, n_filters, width)
        self.linear = nn.Linear(n_filters, n_targets)

    def forward(self, x):
        return self.linear(torch.relu(self.conv(x)).amax(dim=-1))


class DenseNet(nn.Module):
    """conv -> ReLU -> flatten -> linear: position-dependent, for one input length."""

    def __init__(self, length: int, n_targets: int, n_filters: int = 3, width: int = 5):
        super().__init__()
        self.conv = nn.Conv1d(4, n_filters, width)
        self.linear = nn.Linear(n_filters * (length - width + 1), n_targets)

    def forward(self, x):
        return self.linear(torch.relu(self.conv(x)).flatten(1))


class DropoutNormNet(nn.Module):
    """conv -> batch norm -> ReLU -> dropout -> mean pooling -> linear: differs between train
    and eval mode, so a batched function that forgets eval mode depends on the batch."""

    def __init__(self, n_targets: int, n_filters: int = 4, width: int = 3):
        super().__init__()
        self.conv = nn.Conv1d(4, n_filters, width)
        self.norm = nn.BatchNorm1d(n_filters)
        self.dropout = nn.Dropout(0.5)
        self.linear = nn.Linear(n_filters, n_targets)

    def forward(self, x):
        return self.linear(self.dropout(torch.relu(self.norm(self.conv(x)))).mean(dim=-1))


class GRUNet(nn.Module):
    """conv -> GRU -> last state -> linear: a recurrent model (gradients in eval mode)."""

    def __init__(self, n_targets: int, n_filters: int = 4, width: int = 3, hidden: int = 5):
        super().__init__()
        self.conv = nn.Conv1d(4, n_filters, width)
        self.rnn = nn.GRU(n_filters, hidden, batch_first=True)
        self.linear = nn.Linear(hidden, n_targets)

    def forward(self, x):
        out, _ = self.rnn(torch.relu(self.conv(x)).transpose(1, 2))
        return self.linear(out[:, -1])


def toy_models(length: int = 30, n_targets: int = 2, seed: int = 0) -> dict[str, nn.Module]:
    """One of each toy model for inputs of ``length`` bases, seeded, in training mode (as a
    caller may hand them over); batch-norm statistics made non-trivial by one training pass."""
    torch.manual_seed(seed)
    models = {
        "maxpool": MaxPoolNet(4, 5, n_targets),
        "dense": DenseNet(length, n_targets),
        "dropout_norm": DropoutNormNet(n_targets),
        "gru": GRUNet(n_targets),
    }
    with torch.no_grad():
        models["dropout_norm"](torch.rand(8, 4, length))
    return models


def random_tokens(n: int, length: int, seed: int = 0, with_n: bool = True):
    """uint8 tokens ``[n, length]`` (A, C, G, T and, with ``with_n``, N)."""
    import numpy as np

    return np.random.default_rng(seed).integers(0, 5 if with_n else 4, (n, length)).astype(np.uint8)
