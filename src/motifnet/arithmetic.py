"""Convolution arithmetic: output sizes, receptive fields, jumps and parameter counts.

The lecture's formulas, with PyTorch's conventions (floor division unless ``ceil_mode``):

- output length of a convolution or pooling: ``floor((L + 2p - d(k - 1) - 1) / s) + 1``;
- receptive field and jump (distance in input positions between neighbouring outputs), layer by
  layer from ``r_0 = 1, j_0 = 1``: ``r_i = r_{i-1} + (k_i - 1) d_i j_{i-1}``, ``j_i = j_{i-1} s_i``.
  Padding moves the field but does not change its size. A recurrent layer, a global pooling or
  a flatten sees the whole input from then on.

:func:`describe` walks a model with forward hooks and returns one row per layer call: output
shape, parameters, receptive field and jump; :func:`format_table` prints it.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

from motifnet.errors import MotifnetError

IntOrPair = int | Sequence[int]


def _check(name: str, value: int, minimum: int) -> int:
    value = int(value)
    if value < minimum:
        raise MotifnetError(f"{name} must be >= {minimum}, got {value}")
    return value


def conv_output_length(
    length: int, kernel_size: int, stride: int = 1, padding: int | str = 0, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Output length of a 1-D convolution (or pooling) along one axis.

    Args:
        length: input length L.
        kernel_size: k; stride: s; dilation: d.
        padding: p zeros on each side, or ``"same"`` (output ``ceil(L / s)``, TensorFlow's rule)
            or ``"valid"`` (p = 0).
        ceil_mode: round up instead of down (pooling's ``ceil_mode``).

    Returns:
        The output length (may be <= 0 when the input is too short: the caller decides).

    Raises:
        MotifnetError: non-positive kernel, stride or dilation, negative padding or an unknown
        padding name.
    """
    k, s, d = _check("kernel_size", kernel_size, 1), _check("stride", stride, 1), _check("dilation", dilation, 1)
    if padding == "same":
        return math.ceil(length / s)
    if padding == "valid":
        padding = 0
    if isinstance(padding, str):
        raise MotifnetError(f"padding must be an int, 'same' or 'valid', got {padding!r}")
    p = _check("padding", padding, 0)
    span = length + 2 * p - d * (k - 1) - 1
    return (-(-span // s) if ceil_mode else span // s) + 1


def pool_output_length(
    length: int, kernel_size: int, stride: int | None = None, padding: int = 0, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Output length of a 1-D pooling; ``stride`` defaults to ``kernel_size`` (as in PyTorch)."""
    return conv_output_length(length, kernel_size, kernel_size if stride is None else stride, padding, dilation, ceil_mode)


def _pair(value: IntOrPair | str) -> tuple:
    if isinstance(value, str):
        return (value, value)
    if isinstance(value, int):
        return (value, value)
    values = tuple(value)
    if len(values) != 2:
        raise MotifnetError(f"expected an int or a pair, got {value!r}")
    return values


def conv_output_shape_2d(
    shape: Sequence[int],
    kernel_size: IntOrPair,
    stride: IntOrPair = 1,
    padding: IntOrPair | str = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> tuple[int, int]:
    """Output ``(H, W)`` of a 2-D convolution or pooling for input ``(H, W)``; each argument is an
    int (both axes) or a pair ``(height, width)``."""
    h, w = _pair(shape)
    k, s, p, d = _pair(kernel_size), _pair(stride), _pair(padding), _pair(dilation)
    return (
        conv_output_length(h, k[0], s[0], p[0], d[0], ceil_mode),
        conv_output_length(w, k[1], s[1], p[1], d[1], ceil_mode),
    )


def pool_output_shape_2d(
    shape: Sequence[int], kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,
    dilation: IntOrPair = 1, ceil_mode: bool = False,
) -> tuple[int, int]:
    """Output ``(H, W)`` of a 2-D pooling; ``stride`` defaults to ``kernel_size``."""
    return conv_output_shape_2d(shape, kernel_size, kernel_size if stride is None else stride, padding, dilation, ceil_mode)


def receptive_fields(layers: Iterable[Sequence[int]]) -> list[tuple[int, int]]:
    """Receptive field and jump after each layer of a conv/pool stack.

    Args:
        layers: ``(kernel_size, stride)`` or ``(kernel_size, stride, dilation)`` per layer.

    Returns:
        ``[(receptive_field, jump), ...]``, one per layer, in input positions.
    """
    field, jump, out = 1, 1, []
    for layer in layers:
        k, s, d = (tuple(layer) + (1,))[:3]
        field += (_check("kernel_size", k, 1) - 1) * _check("dilation", d, 1) * jump
        jump *= _check("stride", s, 1)
        out.append((field, jump))
    return out


def conv_parameters(in_channels: int, out_channels: int, kernel_size: IntOrPair, bias: bool = True, groups: int = 1) -> int:
    """Parameters of a 1-D (int kernel) or 2-D (pair) convolution: ``out*(in/groups)*prod(k) + out``."""
    k = kernel_size if isinstance(kernel_size, int) else math.prod(kernel_size)
    return out_channels * (in_channels // groups) * k + (out_channels if bias else 0)


def linear_parameters(in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of a dense layer: ``in*out + out``."""
    return in_features * out_features + (out_features if bias else 0)


def recurrent_parameters(
    input_size: int, hidden: int, layers: int = 1, bidirectional: bool = False, cell: str = "lstm"
) -> int:
    """Parameters of a PyTorch RNN/LSTM/GRU (two bias vectors per gate, as PyTorch has).

    Per direction and layer: ``gates * (hidden*input + hidden*hidden + 2*hidden)`` with gates = 1
    (rnn), 3 (gru) or 4 (lstm); layers above the first read ``directions*hidden`` inputs.
    """
    gates = {"rnn": 1, "gru": 3, "lstm": 4}
    if cell not in gates:
        raise MotifnetError(f"cell must be one of {list(gates)}, got {cell!r}")
    directions = 2 if bidirectional else 1
    total, width = 0, input_size
    for _ in range(layers):
        total += directions * gates[cell] * (hidden * width + hidden * hidden + 2 * hidden)
        width = directions * hidden
    return total


def count_parameters(model, trainable_only: bool = False) -> int:
    """Number of parameters of a torch module."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _geometry(module) -> tuple[int, int, int] | None:
    """``(kernel, stride, dilation)`` of a 1-D conv/pool module, else None."""
    from torch import nn

    if isinstance(module, (nn.Conv1d, nn.MaxPool1d, nn.AvgPool1d)) or hasattr(module, "kernel_size") and hasattr(module, "stride"):
        first = lambda v: int(v[0]) if isinstance(v, (tuple, list)) else int(v)  # noqa: E731
        return first(module.kernel_size), first(module.stride), first(getattr(module, "dilation", 1))
    return None


def _macs(module, shape: tuple, batch: int) -> int:
    """Multiply-accumulates per input sequence of one call of ``module`` whose output is ``shape``
    (with the batch axis); ``batch`` is the input batch (a model may stack both strands)."""
    from torch import nn

    per_output = 0
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        positions = math.prod(shape[2:])
        per_output = positions * module.out_channels * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    elif isinstance(module, nn.Linear):
        per_output = math.prod(shape[1:-1]) * module.in_features * module.out_features
    elif isinstance(module, nn.RNNBase):
        gates = {"LSTM": 4, "GRU": 3}.get(module.mode, 1)
        steps = shape[1] if module.batch_first else shape[0]
        directions = 2 if module.bidirectional else 1
        width, total = module.input_size, 0
        for _ in range(module.num_layers):
            total += directions * gates * module.hidden_size * (width + module.hidden_size)
            width = directions * module.hidden_size
        per_output = steps * total
    rows_out = shape[0] if not isinstance(module, nn.RNNBase) or module.batch_first else shape[1]
    return per_output * rows_out // batch


def describe(model, input_length: int, n_channels: int = 4, device: str | None = None) -> list[dict[str, Any]]:
    """One row per leaf-layer call of ``model`` on a ``[2, n_channels, input_length]`` input.

    Each row: ``index``, ``layer`` (module path), ``type``, ``output_shape`` (without the batch
    axis; a model that scores both strands as one doubled batch shows per-sequence shapes),
    ``params`` (the layer's own parameters), ``receptive_field`` (input positions one output
    position depends on; for layers that see everything, the input length) and ``whole_input``
    (True from the first recurrent / global-pooling / flatten layer on), ``jump``, and ``macs``:
    multiply-accumulates per input sequence in convolutions, dense and recurrent layers (a model
    that scores both strands counts both; other layers count 0).
    The model runs in eval mode under ``torch.no_grad`` and its training flag is restored.

    Raises:
        MotifnetError: the model fails on an input of this length.
    """
    import torch
    from torch import nn

    from motifnet.devices import eval_mode, input_device

    names = {module: name for name, module in model.named_modules()}
    calls: list[tuple[nn.Module, tuple]] = []

    def hook(module, _inputs, output):
        tensor = output[0] if isinstance(output, tuple) else output
        calls.append((module, tuple(tensor.shape)))

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        with eval_mode(model), torch.no_grad():
            x = torch.full((2, n_channels, int(input_length)), 1.0 / n_channels, device=input_device(model, device))
            model(x)
    except (RuntimeError, ValueError) as error:
        raise MotifnetError(f"{type(model).__name__} cannot run on input length {input_length}: {error}") from error
    finally:
        for handle in handles:
            handle.remove()

    rows, field, jump, whole = [], 1, 1, False
    for index, (module, shape) in enumerate(calls):
        if isinstance(module, nn.RNNBase) or isinstance(module, nn.Flatten) or type(module).__name__ == "GlobalPool":
            whole = True
        elif not whole:
            geometry = _geometry(module)
            if geometry is not None:
                k, s, d = geometry
                field += (k - 1) * d * jump
                jump *= s
        if not whole and len(shape) == 2 and isinstance(module, nn.Linear):
            whole = True
        rows.append({
            "index": index,
            "layer": names.get(module, "?") or type(module).__name__,
            "type": type(module).__name__,
            "output_shape": list(shape[1:]),
            "params": sum(p.numel() for p in module.parameters(recurse=False)),
            "receptive_field": int(input_length) if whole else field,
            "whole_input": whole,
            "jump": jump,
            "macs": _macs(module, shape, 2),
        })
    return rows


SHAPE_KEEPING = ("ReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softplus", "Exponential", "Dropout", "Identity", "BatchNorm1d")


def format_table(rows: list[dict[str, Any]], total_params: int | None = None, compact: bool = False) -> str:
    """A fixed-width text table of :func:`describe` rows, with a total line.

    ``compact=True`` leaves out activations, dropout, identities and batch norms (rows that keep
    the shape and the receptive field); the total still counts their parameters.
    """
    header = ("#", "layer", "type", "output shape", "params", "receptive field", "jump")
    lines = [header]
    total = sum(row["params"] for row in rows) if total_params is None else total_params
    for row in rows:
        if compact and row["type"] in SHAPE_KEEPING:
            continue
        field = f"all ({row['receptive_field']})" if row["whole_input"] else str(row["receptive_field"])
        shape = " x ".join(str(v) for v in row["output_shape"])
        lines.append((str(row["index"]), row["layer"], row["type"], shape, f"{row['params']:,}", field,
                      "-" if row["whole_input"] else str(row["jump"])))
    lines.append(("", "total", "", "", f"{total:,}", "", ""))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {0, 4, 5, 6}
    out = []
    for n, line in enumerate(lines):
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths))]
        out.append("  ".join(cells).rstrip())
        if n == 0 or n == len(lines) - 2:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
