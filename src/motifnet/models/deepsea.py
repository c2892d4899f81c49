"""DeepSEA (Zhou & Troyanskaya 2015): three convolutions and a dense layer for 919 chromatin marks.

Paper configuration (L = 1000): Conv1d(4, 320, 8) -> ReLU -> MaxPool(4) -> Dropout(0.2) ->
Conv1d(320, 480, 8) -> ReLU -> MaxPool(4) -> Dropout(0.2) -> Conv1d(480, 960, 8) -> ReLU ->
Dropout(0.5) -> flatten (960 x 53) -> Linear(925) -> ReLU -> Linear(T). No padding. (The paper's
L1/L2 penalties and max-norm constraint belong to training, not to the architecture.)
"""

from __future__ import annotations

import torch
from torch import nn

from motifnet.errors import MotifnetError
from motifnet.models.cnn import conv_stack
from motifnet.models.layers import dense_head

PRESETS = {
    "paper": {
        "params": {"filters": [320, 480, 960], "filter_length": 8, "pool_size": 4, "dropout": [0.2, 0.2, 0.5], "dense": 925},
        "input_length": 1000,
        "n_targets": 919,
        "doc": "DeepSEA as published: conv 320/480/960 x 8, max-pool 4, dense 925",
    },
    "small": {
        "params": {"filters": [32, 48, 96], "filter_length": 8, "pool_size": 4, "dropout": [0.2, 0.2, 0.5], "dense": 64},
        "input_length": 1000,
        "n_targets": 919,
        "doc": "DeepSEA's shape at a tenth of the width (tests, laptops)",
    },
}


class DeepSEA(nn.Module):
    """DeepSEA: one-hot ``[B, 4, L]`` -> logits ``[B, n_targets]``.

    Args:
        n_targets: outputs T (919 in the paper).
        input_length: L (1000 in the paper; fixes the flattened width).
        filters: filters of the conv layers ([320, 480, 960]).
        filter_length: width of every conv (8).
        pool_size: max-pool after every conv but the last (4).
        dropout: dropout after each conv layer, one value per layer ([0.2, 0.2, 0.5]).
        dense: hidden dense ReLU units (925; 0 = none).

    Raises:
        MotifnetError: ``filters`` and ``dropout`` of different lengths, or an input too short.
    """

    def __init__(
        self,
        n_targets: int,
        input_length: int,
        filters: list[int] = [320, 480, 960],
        filter_length: int = 8,
        pool_size: int = 4,
        dropout: list[float] = [0.2, 0.2, 0.5],
        dense: int = 925,
        in_channels: int = 4,
    ) -> None:
        super().__init__()
        if len(filters) != len(dropout) or not filters:
            raise MotifnetError(f"deepsea: filters and dropout need one value per layer, got {filters} and {dropout}")
        layers = [
            {"filters": f, "kernel_size": filter_length, "pool_size": pool_size if i < len(filters) - 1 else 1, "dropout": p}
            for i, (f, p) in enumerate(zip(filters, dropout))
        ]
        self.convs, channels, length = conv_stack(layers, in_channels, input_length, {}, "deepsea")
        self.flatten = nn.Flatten()
        self.head = dense_head(channels * length, [dense] if dense else [], n_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 4, L]`` -> ``[B, T]``."""
        return self.head(self.flatten(self.convs(x)))

    def affine_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The first convolution, affine; ``forward(x) == from_affine_stem(affine_stem(x))``."""
        return self.convs.affine_stem(x)

    def from_affine_stem(self, h: torch.Tensor) -> torch.Tensor:
        """The rest of :meth:`forward`, from the output of :meth:`affine_stem` -> ``[B, T]``."""
        return self.head(self.flatten(self.convs.from_affine_stem(h)))
