"""Shared building blocks of the model zoo: activations, pooling, input padding, heads.

Every block here works on ``[B, C, L]`` tensors (channels first), as ``nn.Conv1d`` does.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from motifnet.errors import MotifnetError
from motifnet.models import window_max

ACTIVATIONS = ("relu", "exponential", "exp", "elu", "gelu", "sigmoid", "tanh", "softplus", "linear")
POOLS = ("max", "mean", "random")
GLOBAL_POOLS = ("max", "mean", "maxavg")


class Exponential(nn.Module):
    """``exp(x)``: the exponential first-layer activation of Koo & Ploenzke (2021)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(x)


def activation(name: str) -> nn.Module:
    """An activation module by name (one of :data:`ACTIVATIONS`); raise MotifnetError otherwise."""
    factories = {
        "relu": nn.ReLU,
        "exponential": Exponential,
        "exp": Exponential,  # Koo & Ploenzke's (and Keras') short name
        "elu": nn.ELU,
        "gelu": nn.GELU,
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "softplus": nn.Softplus,
        "linear": nn.Identity,
    }
    if name not in factories:
        raise MotifnetError(f"unknown activation {name!r}; expected one of {list(ACTIVATIONS)}")
    return factories[name]()


class MaxPool1d(nn.MaxPool1d):
    """``nn.MaxPool1d`` that pools non-overlapping windows (stride = kernel size, no padding or
    dilation) of an input whose gradient is taken with
    :func:`motifnet.models.window_max.window_max` where
    :func:`~motifnet.models.window_max.applies`, else as a reshape and a max over windows (no
    partial window) or with ``nn.MaxPool1d``'s own forward. Without a gradient (inference) it is
    always ``nn.MaxPool1d``'s forward: torch's pooling then keeps no indices, which is faster.

    Same outputs and gradients as ``nn.MaxPool1d`` (the gradient goes to each window's first
    maximum, as torch's kernel sends it). Being an ``nn.MaxPool1d``, it reads as one everywhere
    (receptive fields, DeepLIFT).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = self.kernel_size
        if (self.stride != size or self.padding != 0 or self.dilation != 1 or self.return_indices
                or x.dim() != 3 or isinstance(size, tuple)):
            return super().forward(x)
        n = x.shape[-1] // size
        if n < 1 or not (x.requires_grad and torch.is_grad_enabled()):
            return super().forward(x)  # shorter than a window, or no gradient to take
        if window_max.applies(x, size):
            return window_max.window_max(x, size, self.ceil_mode)
        if self.ceil_mode and n * size < x.shape[-1]:
            return super().forward(x)  # a partial last window
        return x[..., : n * size].reshape(x.shape[0], x.shape[1], n, size).max(dim=-1).values


class RandomSubsamplePool1d(nn.Module):
    """Pooling by random subsampling over non-overlapping windows of ``size`` positions.

    Training: each window ``[i*size, (i+1)*size)`` keeps the value at one uniformly random
    position, drawn independently per window and per example (all channels share the pick, so the
    layer samples a position, not a feature). Evaluation: the expected value of that pick, i.e. the
    window mean (identical to mean pooling), so predictions are deterministic.
    Input ``[B, C, L]`` -> output ``[B, C, L // size]`` (a trailing partial window is dropped,
    like ``nn.MaxPool1d``). Draws use torch's global generator: seed it for reproducibility.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.kernel_size = self.stride = int(size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = self.kernel_size
        n = x.shape[-1] // size
        if not self.training:
            return F.avg_pool1d(x, size)
        windows = x[..., : n * size].reshape(x.shape[0], x.shape[1], n, size)
        pick = torch.randint(size, (x.shape[0], 1, n, 1), device=x.device)
        return windows.gather(-1, pick.expand(-1, x.shape[1], -1, -1)).squeeze(-1)

    def extra_repr(self) -> str:
        return f"size={self.kernel_size}"


def pool(kind: str, size: int) -> nn.Module:
    """A pooling layer with window = stride = ``size`` (``kind`` in :data:`POOLS`); size 1 -> identity."""
    if kind not in POOLS:
        raise MotifnetError(f"unknown pooling {kind!r}; expected one of {list(POOLS)}")
    if int(size) < 1:
        raise MotifnetError(f"pool size must be >= 1, got {size}")
    if size == 1:
        return nn.Identity()
    if kind == "max":
        return MaxPool1d(size)
    if kind == "mean":
        return nn.AvgPool1d(size)
    return RandomSubsamplePool1d(size)


def max_over(x: torch.Tensor, dim: int) -> torch.Tensor:
    """The maximum of ``x`` over ``dim``. Its gradient goes to the first maximum (one scatter), as a
    max-pooling layer sends it, where ``amax`` shares it among tied maxima at the cost of four
    passes over ``x``."""
    return x.max(dim=dim).values


class GlobalPool(nn.Module):
    """Pool over the whole length: ``[B, C, L]`` -> ``[B, C]`` (max, mean) or ``[B, 2C]`` (maxavg:
    max then mean, concatenated: DeepBind's 'allpool')."""

    def __init__(self, kind: str = "max") -> None:
        super().__init__()
        if kind not in GLOBAL_POOLS:
            raise MotifnetError(f"unknown global pooling {kind!r}; expected one of {list(GLOBAL_POOLS)}")
        self.kind = kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "max":
            return max_over(x, -1)
        if self.kind == "mean":
            return x.mean(dim=-1)
        return torch.cat([max_over(x, -1), x.mean(dim=-1)], dim=1)

    def extra_repr(self) -> str:
        return self.kind


class PadInput(nn.Module):
    """Pad the length axis of ``[B, 4, L]`` by ``width`` positions of ``value`` on each side
    (DeepBind pads with 0.25, the uniform base distribution) -> ``[B, 4, L + 2*width]``."""

    def __init__(self, width: int, value: float = 0.25) -> None:
        super().__init__()
        self.width = int(width)
        self.value = float(value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.width == 0:
            return x
        return F.pad(x, (self.width, self.width), value=self.value)

    def extra_repr(self) -> str:
        return f"width={self.width}, value={self.value}"


def dense_head(
    in_features: int,
    hidden: list[int],
    n_targets: int,
    dropout: float = 0.0,
    batch_norm: bool = False,
    input_dropout: float = 0.0,
) -> nn.Sequential:
    """Fully connected head: [dropout] -> (Linear -> [BatchNorm] -> ReLU -> [Dropout]) per hidden
    width -> Linear to ``n_targets`` logits. Input ``[B, in_features]`` -> ``[B, n_targets]``."""
    layers: list[nn.Module] = []
    if input_dropout:
        layers.append(nn.Dropout(input_dropout))
    width = in_features
    for units in hidden:
        layers.append(nn.Linear(width, units))
        if batch_norm:
            layers.append(nn.BatchNorm1d(units))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = units
    layers.append(nn.Linear(width, n_targets))
    return nn.Sequential(*layers)


def conv_length(length: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a 1-D convolution or pooling (PyTorch's floor formula)."""
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def check_choice(name: str, value, choices) -> None:
    """Raise MotifnetError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise MotifnetError(f"{name} must be one of {list(choices)}, got {value!r}")


def check_positive_length(model: str, length: int, input_length: int) -> None:
    """Raise MotifnetError when an architecture shrinks the input to nothing."""
    if length < 1:
        raise MotifnetError(
            f"{model}: input_length {input_length} is too short for this architecture "
            f"(a layer's output length would be {length})"
        )
