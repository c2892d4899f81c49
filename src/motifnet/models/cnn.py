"""A configurable CNN for experiments, and the Koo & Eddy (2019) CNN-k family as presets.

Each convolutional layer is a dict (YAML-friendly)::

    {"filters": 30, "kernel_size": 19, "stride": 1, "dilation": 1, "padding": "same",
     "activation": "relu", "batch_norm": true, "pool": "max", "pool_size": 4, "dropout": 0.1}

Only ``filters`` and ``kernel_size`` are required; the other keys default to the model-wide
``activation``, ``batch_norm``, ``conv_dropout`` and to stride 1, dilation 1, padding "none",
pool "max" of size 1 (no pooling). Order inside a layer: conv -> [BatchNorm] -> activation ->
pool -> [Dropout] (Koo & Eddy's order). ``padding="same"`` pads ``dilation * (kernel_size - 1)``
zeros (the left half rounded down), so the output length is ``ceil(L / stride)`` (TensorFlow's
'same').

After the convolutions: ``global_pool="none"`` flattens ``[B, C, L']`` to ``[B, C*L']``;
``"max"``/``"mean"`` pool over the length to ``[B, C]``. Then dense ReLU layers (``dense``
widths, with ``dense_dropout`` and optional batch norm) and a linear layer to the T logits.

Koo & Eddy 2019, CNN-k (k = 1, 2, 4, 10, 25, 50, 100), for L = 200 and 12 targets, as in the
authors' model files (p-koo/learning_sequence_motifs, code/models/cnn_<k>.py): conv 30 x 19
'same', batch norm, ReLU, max-pool k, dropout 0.1; conv 128 x 5 'same', batch norm, ReLU,
max-pool 100/k, dropout 0.1; flatten (128 x 2); dense 512 with batch norm, ReLU, dropout 0.5;
output layer. (They trained with Adam, lr 3e-4 and L2 1e-6: training choices, not part of the
model.)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from motifnet.errors import MotifnetError
from motifnet.models.layers import (
    ACTIVATIONS,
    POOLS,
    activation as make_activation,
    check_choice,
    check_positive_length,
    conv_length,
    dense_head,
    GlobalPool,
    pool as make_pool,
)

LAYER_KEYS = (
    "filters", "kernel_size", "stride", "dilation", "padding", "activation", "batch_norm", "pool", "pool_size", "dropout",
)


def _koo_eddy(k: int) -> dict[str, Any]:
    return {
        "params": {
            "conv_layers": [
                {"filters": 30, "kernel_size": 19, "padding": "same", "pool_size": k},
                {"filters": 128, "kernel_size": 5, "padding": "same", "pool_size": 100 // k},
            ],
            "activation": "relu",
            "batch_norm": True,
            "conv_dropout": 0.1,
            "global_pool": "none",
            "dense": [512],
            "dense_dropout": 0.5,
            "dense_batch_norm": True,
        },
        "input_length": 200,
        "n_targets": 12,
        "doc": f"Koo & Eddy 2019 CNN-{k}: conv 30x19, max-pool {k}; conv 128x5, max-pool {100 // k}; dense 512",
    }


PRESETS = {f"cnn-{k}": _koo_eddy(k) for k in (1, 2, 4, 10, 25, 50, 100)}

DEFAULT_LAYERS = [
    {"filters": 32, "kernel_size": 19, "padding": "same", "pool_size": 4},
    {"filters": 64, "kernel_size": 7, "padding": "same", "pool_size": 4},
]


def _chain(layers: list[nn.Module], x: torch.Tensor) -> torch.Tensor:
    """``x`` through ``layers`` in order."""
    for layer in layers:
        x = layer(x)
    return x


class ConvLayer(nn.Sequential):
    """One convolutional layer: [zero padding] -> Conv1d -> [BatchNorm] -> activation -> pool ->
    [Dropout]. ``[B, in_channels, L]`` -> ``[B, filters, output_length(L)]``.

    Raises:
        MotifnetError: bad padding, activation, pooling or sizes.
    """

    def __init__(
        self,
        in_channels: int,
        filters: int,
        kernel_size: int,
        stride: int = 1,
        dilation: int = 1,
        padding: str = "none",
        activation: str = "relu",
        batch_norm: bool = False,
        pool: str = "max",
        pool_size: int = 1,
        dropout: float = 0.0,
    ) -> None:
        check_choice("padding", padding, ("none", "same"))
        check_choice("activation", activation, ACTIVATIONS)
        check_choice("pool", pool, POOLS)
        if min(int(filters), int(kernel_size), int(stride), int(dilation), int(pool_size)) < 1:
            raise MotifnetError(
                f"filters, kernel_size, stride, dilation and pool_size must be >= 1, got "
                f"{filters}, {kernel_size}, {stride}, {dilation}, {pool_size}"
            )
        layers: list[nn.Module] = []
        total = dilation * (kernel_size - 1) if padding == "same" else 0
        if total:
            layers.append(nn.ConstantPad1d((total // 2, total - total // 2), 0.0))
        layers.append(nn.Conv1d(in_channels, filters, kernel_size, stride=stride, dilation=dilation))
        if batch_norm:
            layers.append(nn.BatchNorm1d(filters))
        self.stem_layers = len(layers)
        layers.append(make_activation(activation))
        if pool_size > 1:
            layers.append(make_pool(pool, pool_size))
        if dropout:
            layers.append(nn.Dropout(dropout))
        super().__init__(*layers)
        self.padding_total = total
        self.kernel_size, self.stride, self.dilation, self.pool_size = kernel_size, stride, dilation, pool_size
        self.out_channels = filters

    def affine_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The layers before the activation (padding, convolution, and batch norm, affine in eval
        mode); ``self(x) == from_affine_stem(affine_stem(x))``."""
        return _chain(list(self)[:self.stem_layers], x)

    def from_affine_stem(self, h: torch.Tensor) -> torch.Tensor:
        """The layers from the activation on, applied to the output of :meth:`affine_stem`."""
        return _chain(list(self)[self.stem_layers:], h)

    def output_length(self, length: int) -> int:
        """Output length for input length ``length``."""
        after_conv = conv_length(length + self.padding_total, self.kernel_size, self.stride, 0, self.dilation)
        return after_conv // self.pool_size


class ConvStack(nn.Sequential):
    """ConvLayers in sequence, with the first one's affine stem (see :meth:`ConvLayer.affine_stem`)."""

    def affine_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The first layer's layers before its activation (the input itself for an empty stack);
        ``self(x) == from_affine_stem(affine_stem(x))``."""
        return self[0].affine_stem(x) if len(self) else x

    def from_affine_stem(self, h: torch.Tensor) -> torch.Tensor:
        """The rest of the stack, applied to the output of :meth:`affine_stem`."""
        return _chain(list(self)[1:], self[0].from_affine_stem(h)) if len(self) else h


def conv_stack(
    layers: list[dict[str, Any]], in_channels: int, input_length: int, defaults: dict[str, Any], model: str = "cnn"
) -> tuple[ConvStack, int, int]:
    """Build ConvLayers from dicts; returns ``(stack, out_channels, out_length)``.

    Raises:
        MotifnetError: a layer that is not a dict, lacks filters/kernel_size, has unknown keys,
        or shrinks the input below length 1.
    """
    if not isinstance(layers, (list, tuple)):
        raise MotifnetError(f"{model}: conv_layers must be a list of dicts, got {type(layers).__name__}")
    modules, channels, length = [], in_channels, input_length
    for i, spec in enumerate(layers):
        if not isinstance(spec, dict) or "filters" not in spec or "kernel_size" not in spec:
            raise MotifnetError(f"{model}: conv layer {i + 1} must be a dict with 'filters' and 'kernel_size', got {spec!r}")
        unknown = sorted(set(spec) - set(LAYER_KEYS))
        if unknown:
            raise MotifnetError(f"{model}: conv layer {i + 1} has unknown key(s) {unknown}; expected some of {list(LAYER_KEYS)}")
        layer = ConvLayer(channels, **{**defaults, **spec})
        length = layer.output_length(length)
        check_positive_length(model, length, input_length)
        modules.append(layer)
        channels = layer.out_channels
    return ConvStack(*modules), channels, length


class CNN(nn.Module):
    """Configurable CNN: one-hot ``[B, 4, L]`` -> logits ``[B, n_targets]`` (see module docstring).

    Args:
        n_targets: outputs T.
        input_length: L (fixes the flattened width when ``global_pool="none"``).
        conv_layers: list of layer dicts (keys in :data:`LAYER_KEYS`).
        activation: default activation of conv layers (``relu``, ``exp``, ...).
        first_activation: the first conv layer's activation when it sets none itself (default
            ``activation``): ``exp`` is Koo & Ploenzke's (2021) exponential first layer.
        batch_norm: default batch norm of conv layers.
        conv_dropout: default dropout after each conv layer.
        global_pool: ``"none"`` (flatten), ``"max"`` or ``"mean"``.
        dense: hidden dense widths (ReLU).
        dense_dropout: dropout after each hidden dense layer.
        dense_batch_norm: batch norm in hidden dense layers.

    Raises:
        MotifnetError: bad layer specs or an input too short.
    """

    def __init__(
        self,
        n_targets: int,
        input_length: int,
        conv_layers: list[dict[str, Any]] = DEFAULT_LAYERS,
        activation: str = "relu",
        first_activation: str | None = None,
        batch_norm: bool = False,
        conv_dropout: float = 0.0,
        global_pool: str = "none",
        dense: list[int] = [64],
        dense_dropout: float = 0.0,
        dense_batch_norm: bool = False,
        in_channels: int = 4,
    ) -> None:
        super().__init__()
        check_choice("global_pool", global_pool, ("none", "max", "mean"))
        defaults = {"activation": activation, "batch_norm": batch_norm, "dropout": conv_dropout}
        if first_activation is not None and isinstance(conv_layers, (list, tuple)) and conv_layers:
            conv_layers = [{"activation": first_activation, **conv_layers[0]}, *conv_layers[1:]]
        self.convs, channels, length = conv_stack(conv_layers, in_channels, input_length, defaults, "cnn")
        self.pool = nn.Flatten() if global_pool == "none" else GlobalPool(global_pool)
        width = channels * length if global_pool == "none" else channels
        self.head = dense_head(width, list(dense), n_targets, dense_dropout, dense_batch_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 4, L]`` -> ``[B, T]``."""
        return self.head(self.pool(self.convs(x)))

    def affine_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The first convolution (with its padding and batch norm), affine in eval mode;
        ``forward(x) == from_affine_stem(affine_stem(x))``."""
        return self.convs.affine_stem(x)

    def from_affine_stem(self, h: torch.Tensor) -> torch.Tensor:
        """The rest of :meth:`forward`, from the output of :meth:`affine_stem` -> ``[B, T]``."""
        return self.head(self.pool(self.convs.from_affine_stem(h)))
