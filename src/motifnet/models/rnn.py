"""Recurrent models: a simple (Elman) RNN, an LSTM and a GRU, one class for all three.

Registered as ``rnn``, ``lstm`` and ``gru`` (the cell is fixed by the name). The sequence is read
position by position (one-hot columns, or the output of an optional convolutional front end),
uni- or bidirectionally, and summarised by ``output``:

- ``"last"``: the final hidden state of the top layer (for a bidirectional model, the forward
  direction's state after the last position concatenated with the backward direction's state
  after the first position);
- ``"mean"`` / ``"max"``: mean or max over positions of the top layer's outputs.

then a linear layer (through optional dense ReLU layers) gives the T logits.
"""

from __future__ import annotations

import torch
from torch import nn

from motifnet.errors import MotifnetError
from motifnet.models.cnn import ConvLayer
from motifnet.models.layers import check_choice, check_positive_length, dense_head, max_over

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

PRESETS = {
    "classroom": {
        "params": {"hidden": 32, "layers": 1, "bidirectional": True, "output": "max",
                   "conv_filters": 64, "conv_kernel": 19, "conv_pool": 4},
        "input_length": 100,
        "n_targets": 11,
        "doc": "conv front end 64x19 + max-pool 4, then bidirectional 32 units per direction, max "
        "over positions: for 100 bp motif tasks",
    },
}


def set_forget_bias(lstm: nn.LSTM, hidden: int, forget_bias: float | str, steps: int) -> None:
    """Initialise an LSTM's gate biases (PyTorch order i, f, g, o; ``bias_ih`` and ``bias_hh``
    add up, so ``bias_hh``'s parts that are set here are zeroed): a constant forget bias, or
    "chrono" (forget ``log(u)``, u ~ U[1, steps - 1], input ``-log(u)``).

    Raises:
        MotifnetError: neither a number nor "chrono".
    """
    chrono = forget_bias == "chrono"
    if not chrono:
        try:
            forget_bias = float(forget_bias)
        except (TypeError, ValueError):
            raise MotifnetError(f"forget_bias must be a number or 'chrono', got {forget_bias!r}") from None
    with torch.no_grad():
        for name, bias in lstm.named_parameters():
            if not name.startswith("bias_"):
                continue
            if name.startswith("bias_hh"):
                bias[(0 if chrono else hidden) : 2 * hidden] = 0.0
            elif chrono:
                value = torch.log(1 + torch.rand(hidden) * max(steps - 2, 0))
                bias[hidden : 2 * hidden] = value
                bias[:hidden] = -value
            else:
                bias[hidden : 2 * hidden] = forget_bias


class RecurrentNet(nn.Module):
    """RNN / LSTM / GRU classifier: one-hot ``[B, 4, L]`` -> logits ``[B, n_targets]``.

    Args:
        n_targets: outputs T.
        input_length: L (recorded; recurrent models accept any length).
        cell: ``"rnn"`` (tanh Elman), ``"lstm"`` or ``"gru"`` (fixed by the registered name).
        hidden: hidden units per direction (64).
        layers: stacked recurrent layers (1).
        bidirectional: read both directions (False).
        dropout: dropout between stacked recurrent layers and before the head (0).
        output: ``"last"``, ``"mean"`` or ``"max"`` (see module docstring).
        conv_filters: filters of an optional conv front end (0 = none): Conv1d(4, conv_filters,
            conv_kernel, 'same' padding) -> ReLU -> max-pool ``conv_pool``.
        conv_kernel: width of the front-end filters (19).
        conv_pool: max-pool size after the front end (1 = none).
        dense: hidden dense ReLU widths before the output layer ([]).
        forget_bias: LSTM only: initial forget-gate bias (None = PyTorch's default init; 1.0 is
            the usual choice, Jozefowicz et al. 2015: the cell keeps its memory from the start,
            which lets an LSTM classifying from its last state learn at 100 bp), or "chrono"
            (Tallec & Ollivier 2018: forget biases log(u), u uniform in [1, steps - 1], input
            biases their negatives, so units remember over time scales up to the sequence length;
            drawn from torch's global generator, like the weights).

    Raises:
        MotifnetError: unknown cell or output; an input too short for the front end;
            ``forget_bias`` for a cell other than LSTM.
    """

    def __init__(
        self,
        n_targets: int,
        input_length: int,
        cell: str = "lstm",
        hidden: int = 64,
        layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        output: str = "last",
        conv_filters: int = 0,
        conv_kernel: int = 19,
        conv_pool: int = 1,
        dense: list[int] = [],
        forget_bias: float | str | None = None,
        in_channels: int = 4,
    ) -> None:
        super().__init__()
        check_choice("cell", cell, tuple(CELLS))
        if forget_bias is not None and cell != "lstm":
            raise MotifnetError(f"forget_bias applies to LSTM cells only, not {cell!r}")
        check_choice("output", output, ("last", "mean", "max"))
        self.output = output
        channels = in_channels
        if conv_filters:
            self.front = ConvLayer(in_channels, conv_filters, conv_kernel, padding="same", pool_size=conv_pool)
            check_positive_length(cell, self.front.output_length(input_length), input_length)
            channels = conv_filters
        else:
            self.front = nn.Identity()
        self.rnn = CELLS[cell](
            channels, hidden, num_layers=layers, batch_first=True, bidirectional=bidirectional,
            dropout=dropout if layers > 1 else 0.0,
        )
        if forget_bias is not None:
            steps = self.front.output_length(input_length) if conv_filters else input_length
            set_forget_bias(self.rnn, hidden, forget_bias, steps)
        self.dropout = nn.Dropout(dropout)
        self.head = dense_head(hidden * (2 if bidirectional else 1), list(dense), n_targets)

    def affine_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The affine start of :meth:`forward`: the conv front end's layers before its activation, or
        the input itself without a front end; ``forward(x) == from_affine_stem(affine_stem(x))``."""
        return self.front.affine_stem(x) if isinstance(self.front, ConvLayer) else x

    def from_affine_stem(self, h: torch.Tensor) -> torch.Tensor:
        """The rest of :meth:`forward`, from the output of :meth:`affine_stem` -> ``[B, T]``."""
        return self._read(self.front.from_affine_stem(h) if isinstance(self.front, ConvLayer) else h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 4, L]`` -> ``[B, T]``."""
        return self._read(self.front(x))

    def _read(self, features: torch.Tensor) -> torch.Tensor:
        """The recurrent layers and the head: ``[B, C, L']`` (the front end's output) -> ``[B, T]``."""
        outputs, state = self.rnn(features.transpose(1, 2))  # outputs [B, L', D*H]
        if self.output == "last":
            h_n = state[0] if isinstance(state, tuple) else state  # [layers*D, B, H]
            directions = 2 if self.rnn.bidirectional else 1
            summary = torch.cat(list(h_n[-directions:]), dim=1)  # top layer, [B, D*H]
        elif self.output == "mean":
            summary = outputs.mean(dim=1)
        else:
            summary = max_over(outputs, 1)
        return self.head(self.dropout(summary))
