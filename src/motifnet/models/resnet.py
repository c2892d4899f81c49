"""Residual CNNs (He et al. 2016, pre-activation order) and their plain twins.

Stem: Conv1d(4, initial_filters, initial_kernel, 'same'). Then ``n_blocks`` blocks, each::

    y = conv2(relu(bn2(conv1(relu(bn1(x)))))) + shortcut(x)

with 'same'-padded convolutions of width ``kernel_size`` and the block's dilation, and
``shortcut`` = identity, or a 1x1 convolution (no bias) when the channel count changes. With
``residual=False`` the ``+ shortcut(x)`` is dropped: the plain CNN of the same depth and width
(same convolutions, same parameters minus the projections). After the blocks: BatchNorm -> ReLU
(pre-activation networks end this way), optional max-pool ``block_pool`` after each block,
global pooling over the length, dropout, linear to T logits.
Depth in convolutions = 1 + 2 * n_blocks.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from motifnet.errors import MotifnetError
from motifnet.models.layers import GlobalPool, MaxPool1d, check_choice, check_positive_length

PRESETS = {
    "dilated": {
        "params": {"n_blocks": 4, "channels": 64, "kernel_size": 3, "dilation": [1, 2, 4, 8]},
        "input_length": 200,
        "n_targets": 12,
        "doc": "4 residual blocks of 64 channels, kernel 3, dilation doubling 1-2-4-8",
    },
    "classroom": {
        "params": {"initial_filters": 64, "n_blocks": 2, "channels": 64, "kernel_size": 5, "block_pool": 2},
        "input_length": 100,
        "n_targets": 11,
        "doc": "2 residual blocks of 64 channels with max-pool 2 after each, for 100 bp tasks",
    },
}


def _per_block(name: str, value: Any, n_blocks: int) -> list[int]:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n_blocks
    if len(values) != n_blocks or any(int(v) < 1 for v in values):
        raise MotifnetError(f"{name} must be a positive int or a list of {n_blocks} positive ints, got {value!r}")
    return [int(v) for v in values]


class PreActBlock(nn.Module):
    """Pre-activation residual block ``[B, C_in, L]`` -> ``[B, C_out, L]`` (length kept)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1, residual: bool = True):
        super().__init__()
        self.residual = residual
        self.bn1 = nn.BatchNorm1d(in_channels)
        self.act1 = nn.ReLU()
        self.conv1 = nn.Conv1d(in_channels, out_channels, kernel_size, padding="same", dilation=dilation)
        self.bn2 = nn.BatchNorm1d(out_channels)
        self.act2 = nn.ReLU()
        self.conv2 = nn.Conv1d(out_channels, out_channels, kernel_size, padding="same", dilation=dilation)
        needs_projection = residual and in_channels != out_channels
        self.shortcut = nn.Conv1d(in_channels, out_channels, 1, bias=False) if needs_projection else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(self.act2(self.bn2(self.conv1(self.act1(self.bn1(x))))))
        return y + self.shortcut(x) if self.residual else y

    def extra_repr(self) -> str:
        return f"residual={self.residual}"


class ResNet(nn.Module):
    """Residual (or plain) 1-D CNN: one-hot ``[B, 4, L]`` -> logits ``[B, n_targets]``.

    Args:
        n_targets: outputs T.
        input_length: L (must survive the ``block_pool`` poolings).
        initial_filters: stem filters (64).
        initial_kernel: stem width (19).
        n_blocks: residual blocks (4); each holds two convolutions.
        channels: channels per block, an int or a list of ``n_blocks`` ints (64).
        kernel_size: width of block convolutions (5).
        dilation: an int or a list of ``n_blocks`` ints (1).
        residual: add the shortcut (True); False gives the plain CNN of the same depth.
        block_pool: max-pool size after each block (1 = none).
        global_pool: ``"max"`` or ``"mean"`` over the length.
        dropout: before the output layer (0).

    Raises:
        MotifnetError: bad per-block lists, pooling kind, or an input too short.
    """

    def __init__(
        self,
        n_targets: int,
        input_length: int,
        initial_filters: int = 64,
        initial_kernel: int = 19,
        n_blocks: int = 4,
        channels: int | list[int] = 64,
        kernel_size: int = 5,
        dilation: int | list[int] = 1,
        residual: bool = True,
        block_pool: int = 1,
        global_pool: str = "max",
        dropout: float = 0.0,
        in_channels: int = 4,
    ) -> None:
        super().__init__()
        check_choice("global_pool", global_pool, ("max", "mean"))
        if int(n_blocks) < 0:
            raise MotifnetError(f"n_blocks must be >= 0, got {n_blocks}")
        widths = _per_block("channels", channels, n_blocks)
        dilations = _per_block("dilation", dilation, n_blocks)
        self.stem = nn.Conv1d(in_channels, initial_filters, initial_kernel, padding="same")
        blocks: list[nn.Module] = []
        width, length = initial_filters, input_length
        for out, d in zip(widths, dilations):
            blocks.append(PreActBlock(width, out, kernel_size, d, residual))
            if block_pool > 1:
                blocks.append(MaxPool1d(block_pool))
                length //= block_pool
                check_positive_length("resnet", length, input_length)
            width = out
        self.blocks = nn.Sequential(*blocks)
        self.norm = nn.BatchNorm1d(width)
        self.act = nn.ReLU()
        self.pool = GlobalPool(global_pool)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(width, n_targets)

    def affine_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The affine start of :meth:`forward`, the first convolution: ``[B, 4, L]`` ->
        ``[B, initial_filters, L]``; ``forward(x) == from_affine_stem(affine_stem(x))``."""
        return self.stem(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 4, L]`` -> ``[B, T]``."""
        return self.from_affine_stem(self.affine_stem(x))

    def from_affine_stem(self, h: torch.Tensor) -> torch.Tensor:
        """The blocks and the head, from the output of :meth:`affine_stem` -> ``[B, T]``."""
        features = self.act(self.norm(self.blocks(h)))
        return self.linear(self.dropout(self.pool(features)))
