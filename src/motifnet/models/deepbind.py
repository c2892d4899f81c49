"""DeepBind (Alipanahi et al. 2015): motif detectors, global pooling, a small dense head.

Single strand: ``forward(x) = pool_head(conv_features(x))``. The two halves are public so a
genome scan can run :meth:`DeepBind.conv_features` once over a long chunk and pool windows of it.

Both strands (``strands="both"``, DeepBind's reverse-complement mode): the network scores the
sequence and its reverse complement separately and returns the element-wise **maximum of the
two logit vectors**: ``max(pool_head(conv_features(x)), pool_head(conv_features(rc(x))))``.

Training fast path (``pool="max"``, training mode, gradients on, float32 on CPU without
autocast, no hooks on ``conv`` / ``activation``): the gradient of a global max reaches one
position per sequence and filter, so instead of back-propagating through the whole
``[B, F, L']`` convolution (CPU conv backward was most of a DeepBind training step),
:meth:`DeepBind._pooled_max` runs the convolution without autograd, takes each filter's first
argmax, gathers those ``B x F`` input windows, and its backward is that of the convolution at
those windows only (``O(B F m)`` instead of ``O(B F L m)``). The forward values are bitwise
those of ``pool(conv_features(x))``; parameter (and input) gradients equal the full backward's
up to float summation order (with exactly tied maxima the whole gradient goes to the first one
in both, as :func:`motifnet.models.layers.max_over` sends it). Evaluation, prediction and
interpretation (eval mode, or hooks on the conv) use the plain path.
"""

from __future__ import annotations

import torch
from torch import nn

from motifnet.models.layers import GlobalPool, PadInput, check_choice, dense_head
from motifnet.sequence import with_reverse_complement

PRESETS = {
    "paper": {
        "params": {"n_filters": 16, "filter_length": 24, "pool": "max", "hidden": 32, "dropout": 0.5},
        "input_length": 101,
        "n_targets": 1,
        "doc": "DeepBind as published: 16 motif detectors x 24, max pooling, 32 ReLU hidden units",
    },
    "encode": {
        "params": {"n_filters": 128, "filter_length": 24, "pool": "maxavg", "hidden": 32, "dropout": 0.5},
        "input_length": 101,
        "n_targets": 1,
        "doc": "stronger ENCODE ChIP-seq setting: 128 x 24 filters, max+average pooling, hidden 32",
    },
}


def _first_max(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Maximum over the last axis and the index of its first occurrence: float32 CPU ``[B, F, L']``
    without grad -> values, indices ``[B, F]``, by NumPy's SIMD argmax (about 4x faster than
    ``torch.max(dim)`` on CPU)."""
    index = torch.from_numpy(scores.numpy().argmax(axis=-1))
    return scores.gather(-1, index.unsqueeze(-1)).squeeze(-1), index


def _windows(padded: torch.Tensor, index: torch.Tensor, width: int) -> torch.Tensor:
    """The input windows under each filter's maximum: ``padded[b, :, index[b, f] : index[b, f] + width]``
    for padded ``[B, C, Lp]`` and index ``[B, F]`` -> ``[B, F, width * C]``, flattened in
    (position, channel) order. Differentiable with respect to ``padded`` when it needs a gradient."""
    batch, channels, length = padded.shape
    rows = padded.transpose(1, 2).contiguous()  # [B, Lp, C]: a window is width * C contiguous values
    if padded.requires_grad:
        strips = rows.view(batch, length * channels).unfold(1, width * channels, channels)  # [B, L', width*C]
        return strips[torch.arange(batch, device=padded.device).unsqueeze(1), index]
    # every window start of the flat input is a row of one strided view; pick B x F of them
    flat = rows.view(-1).as_strided((batch * length - width + 1, width * channels), (channels, 1))
    starts = (torch.arange(batch, device=padded.device).unsqueeze(1) * length + index).view(-1)
    return flat.index_select(0, starts).view(*index.shape, width * channels)


class _MaxWindowGradient(torch.autograd.Function):
    """Returns the pooled maxima ``values [B, F]`` unchanged; backward is that of
    ``(windows * kernel).sum(-1) + bias`` (windows ``[B, F, m*C]`` from :func:`_windows`,
    weight ``[F, C, m]``), i.e. of the convolution at each argmax only."""

    @staticmethod
    def forward(ctx, values, windows, weight, bias):
        ctx.save_for_backward(windows, weight)
        return values.clone()

    @staticmethod
    def backward(ctx, grad):
        windows, weight = ctx.saved_tensors
        n_filters, channels, width = weight.shape
        grad_windows = grad_weight = grad_bias = None
        if ctx.needs_input_grad[1]:
            kernel = weight.transpose(1, 2).reshape(n_filters, width * channels)
            grad_windows = grad.unsqueeze(-1) * kernel
        if ctx.needs_input_grad[2]:
            summed = (grad.unsqueeze(-1) * windows).sum(dim=0)  # [F, m*C]
            grad_weight = summed.view(n_filters, width, channels).transpose(1, 2).contiguous()
        if ctx.needs_input_grad[3]:
            grad_bias = grad.sum(dim=0)
        return None, grad_windows, grad_weight, grad_bias


class DeepBind(nn.Module):
    """DeepBind: input ``[B, 4, L]`` one-hot -> logits ``[B, n_targets]``.

    Layers: pad the input by ``filter_length - 1`` positions of 0.25 on each side (``pad_input``),
    Conv1d(4, n_filters, filter_length) with bias, ReLU, global pooling over length
    (``pool="max"``: ``[B, F]``; ``"maxavg"``: max and mean concatenated, ``[B, 2F]``), dropout on
    the pooled features (where DeepBind applied it), an optional hidden layer of ``hidden`` ReLU
    units (0 = none), a linear layer to ``n_targets`` logits.

    Args:
        n_targets: number of outputs T.
        input_length: sequence length L (DeepBind works at any length; recorded in the config).
        n_filters: motif detectors (16).
        filter_length: motif detector width (24).
        pool: ``"max"`` or ``"maxavg"``.
        hidden: hidden ReLU units; 0 for a linear head.
        dropout: dropout probability on the pooled features (0.5).
        strands: ``"forward"`` or ``"both"`` (max of the two strands' logits).
        pad_input: pad ``filter_length - 1`` positions of 0.25 on each side.

    Raises:
        MotifnetError: an unknown ``pool`` or ``strands``.
    """

    def __init__(
        self,
        n_targets: int,
        input_length: int,
        n_filters: int = 16,
        filter_length: int = 24,
        pool: str = "max",
        hidden: int = 32,
        dropout: float = 0.5,
        strands: str = "forward",
        pad_input: bool = True,
        in_channels: int = 4,
    ) -> None:
        super().__init__()
        check_choice("pool", pool, ("max", "maxavg"))
        check_choice("strands", strands, ("forward", "both"))
        self.strands = strands
        self.pad = PadInput(filter_length - 1 if pad_input else 0, 0.25)
        self.conv = nn.Conv1d(in_channels, n_filters, filter_length)
        self.activation = nn.ReLU()
        self.pool = GlobalPool(pool)
        pooled = n_filters * (2 if pool == "maxavg" else 1)
        self.head = dense_head(pooled, [hidden] if hidden else [], n_targets, input_dropout=dropout)

    def conv_features(self, x: torch.Tensor) -> torch.Tensor:
        """Per-position detector activations: ``[B, 4, L]`` -> ``[B, F, L']`` after padding,
        convolution and ReLU (``L' = L + filter_length - 1`` with ``pad_input``, else
        ``L - filter_length + 1``)."""
        return self.activation(self.conv(self.pad(x)))

    def pool_head(self, features: torch.Tensor) -> torch.Tensor:
        """Global pooling, dropout and the dense head: ``[B, F, L']`` -> logits ``[B, T]``."""
        return self.head(self.pool(features))

    def _uses_fast_path(self, x: torch.Tensor) -> bool:
        """Training on CPU in float32 with max pooling and gradients on, and nobody hooked into the
        conv, activation or pool layer. Not under autocast, where the convolution's precision would
        differ from the full path's."""
        if not (self.training and self.pool.kind == "max" and torch.is_grad_enabled()):
            return False
        if x.device.type != "cpu" or x.dtype != torch.float32 or torch.is_autocast_enabled("cpu"):
            return False
        hooked = (self.conv, self.activation, self.pool)
        return not any(module._forward_hooks or module._forward_pre_hooks for module in hooked)

    def _pooled_max(self, x: torch.Tensor) -> torch.Tensor:
        """``pool(conv_features(x))`` for ``pool="max"``: ``[B, 4, L]`` -> ``[B, F]``, with the
        sparse backward of the module docstring."""
        padded = self.pad(x)  # [B, 4, Lp]
        with torch.no_grad():
            values, index = _first_max(self.conv(padded))  # [B, F]
        windows = _windows(padded, index, self.conv.kernel_size[0])
        return self.activation(_MaxWindowGradient.apply(values, windows, self.conv.weight, self.conv.bias))

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        if self._uses_fast_path(x):
            return self.head(self._pooled_max(x))
        return self.pool_head(self.conv_features(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 4, L]`` -> ``[B, T]``; with ``strands="both"``, the max over the two strands."""
        return self._strand_max(self._logits(self._strands(x)))

    def _strands(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` and, with ``strands="both"``, its reverse complement below it: ``[B or 2B, 4, L]``."""
        return with_reverse_complement(x) if self.strands == "both" else x

    def _strand_max(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits of :meth:`_strands`' rows -> ``[B, T]``: with ``strands="both"``, the max over the two strands."""
        if self.strands == "forward":
            return logits
        forward, reverse = logits.chunk(2, dim=0)
        return torch.maximum(forward, reverse)

    def affine_stem(self, x: torch.Tensor) -> torch.Tensor:
        """Padding and convolution (of both strands, stacked along the batch, with
        ``strands="both"``): ``[B, 4, L]`` -> ``[B or 2B, F, L']``; in eval mode
        ``forward(x) == from_affine_stem(affine_stem(x))``."""
        return self.conv(self.pad(self._strands(x)))

    def from_affine_stem(self, h: torch.Tensor) -> torch.Tensor:
        """The rest of :meth:`forward` (the full path), from the output of :meth:`affine_stem` -> ``[B, T]``."""
        return self._strand_max(self.pool_head(self.activation(h)))
