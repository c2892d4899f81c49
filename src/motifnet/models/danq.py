"""DanQ (Quang & Xie 2016): a convolution finds motifs, a BiLSTM reads their grammar.

Paper configuration (L = 1000, 919 targets): Conv1d 320 x 26 (no padding), ReLU, max-pool 13
(stride 13), dropout 0.2, BiLSTM with 320 units per direction over the pooled positions, dropout
0.5, flatten, dense 925 ReLU, linear to T. PyTorch's LSTM has two bias vectors per gate
(Keras one), so the LSTM holds 4*320*2 more parameters per direction than the Keras original.

The ``classroom`` preset is a small DanQ for the 100 bp, 11-class simulated classroom set.
"""

from __future__ import annotations

import torch
from torch import nn

from motifnet.errors import MotifnetError
from motifnet.models.layers import (GlobalPool, MaxPool1d, PadInput, check_choice, check_positive_length, conv_length,
                                     dense_head)

PRESETS = {
    "paper": {
        "params": {
            "n_filters": 320, "filter_length": 26, "pool_size": 13, "conv_dropout": 0.2,
            "lstm_hidden": 320, "lstm_dropout": 0.5, "dense": 925,
        },
        "input_length": 1000,
        "n_targets": 919,
        "doc": "DanQ as published: conv 320x26, max-pool 13, BiLSTM 320/direction, dense 925",
    },
    "classroom": {
        "params": {
            "n_filters": 96, "filter_length": 19, "pool_size": 10, "conv_dropout": 0.1,
            "lstm_hidden": 48, "lstm_dropout": 0.3, "dense": 64, "lstm_output": "max", "batch_norm": False,
            "padding": 18, "pool_ceil": True,
        },
        "input_length": 100,
        "n_targets": 11,
        "doc": "small DanQ for the 100 bp 11-class classroom set: input padded by 18 (motifs at the ends), "
        "conv 96x19, max-pool 10 (ceil), BiLSTM 48, max over positions, dense 64",
    },
}


class DanQ(nn.Module):
    """DanQ: one-hot ``[B, 4, L]`` -> logits ``[B, n_targets]``.

    Layers: [pad] -> Conv1d(4, n_filters, filter_length) -> ReLU -> MaxPool1d(pool_size) ->
    Dropout(conv_dropout) -> BiLSTM(lstm_hidden per direction, batch-first over the
    ``L' = (L + 2 padding - filter_length + 1) // pool_size`` positions, rounded up with
    ``pool_ceil``) -> Dropout(lstm_dropout) -> flatten
    ``[B, L' * 2 * lstm_hidden]`` -> Linear(dense) -> ReLU -> Linear(n_targets).
    ``lstm_output="max"``, ``"mean"`` or ``"maxavg"`` replaces the flatten by a max, a mean, or both
    concatenated, over positions (``[B, 2 * lstm_hidden]``, ``maxavg``: ``[B, 4 * lstm_hidden]``): position-invariant, and much quicker to train when motif
    positions are random (the classroom preset uses "max"). ``batch_norm=True`` adds BatchNorm
    between the convolution and its ReLU (not in the paper; speeds up training of small models).
    ``padding=p`` pads the input with ``p`` columns of 0.25 on each side (as DeepBind; the paper
    pads nothing) so that motifs at the sequence ends are seen by every filter offset
    (``p = filter_length - 1``: every window touching the sequence); ``pool_ceil=True`` keeps the
    last, partial pooling window instead of dropping it. Neither adds parameters.

    Raises:
        MotifnetError: ``input_length`` too short for the convolution and pooling; negative ``padding``.
    """

    def __init__(
        self,
        n_targets: int,
        input_length: int,
        n_filters: int = 320,
        filter_length: int = 26,
        pool_size: int = 13,
        conv_dropout: float = 0.2,
        lstm_hidden: int = 320,
        lstm_dropout: float = 0.5,
        dense: int = 925,
        lstm_output: str = "flatten",
        batch_norm: bool = False,
        padding: int = 0,
        pool_ceil: bool = False,
        in_channels: int = 4,
    ) -> None:
        super().__init__()
        check_choice("lstm_output", lstm_output, ("flatten", "max", "mean", "maxavg"))
        if padding < 0:
            raise MotifnetError(f"danq: padding must be >= 0, got {padding}")
        positions = conv_length(input_length + 2 * padding, filter_length)
        length = -(-positions // pool_size) if pool_ceil else positions // pool_size
        check_positive_length("danq", length, input_length)
        self.pad = PadInput(padding)
        self.conv = nn.Conv1d(in_channels, n_filters, filter_length)
        self.norm = nn.BatchNorm1d(n_filters) if batch_norm else nn.Identity()
        self.activation = nn.ReLU()
        self.pool = MaxPool1d(pool_size, ceil_mode=pool_ceil)
        self.conv_dropout = nn.Dropout(conv_dropout)
        self.lstm = nn.LSTM(n_filters, lstm_hidden, batch_first=True, bidirectional=True)
        self.lstm_dropout = nn.Dropout(lstm_dropout)
        self.summary = nn.Flatten() if lstm_output == "flatten" else GlobalPool(lstm_output)
        width = {"flatten": length, "maxavg": 2}.get(lstm_output, 1) * 2 * lstm_hidden
        self.head = dense_head(width, [dense] if dense else [], n_targets)

    def affine_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The affine start of :meth:`forward` (padding, convolution, and batch norm, affine in eval
        mode): ``[B, 4, L]`` -> ``[B, F, P]`` (``P = L + 2 padding - filter_length + 1`` positions);
        ``forward(x) == from_affine_stem(affine_stem(x))``."""
        return self.norm(self.conv(self.pad(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 4, L]`` -> ``[B, T]``."""
        return self.from_affine_stem(self.affine_stem(x))

    def from_affine_stem(self, h: torch.Tensor) -> torch.Tensor:
        """The rest of :meth:`forward`, from the output of :meth:`affine_stem`: ``[B, F, P]`` -> ``[B, T]``."""
        features = self.conv_dropout(self.pool(self.activation(h)))  # [B, F, L']
        outputs, _ = self.lstm(features.transpose(1, 2))  # [B, L', 2H]
        outputs = self.lstm_dropout(outputs)
        if isinstance(self.summary, GlobalPool):
            outputs = outputs.transpose(1, 2)  # [B, 2H, L'] for pooling over positions
        return self.head(self.summary(outputs))
