"""Small hand-made models for the interpretation tests."""

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
