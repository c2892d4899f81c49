"""Convolution arithmetic: sizes against PyTorch, receptive fields against input gradients."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from motifnet.arithmetic import (
    conv_output_length,
    conv_output_shape_2d,
    conv_parameters,
    count_parameters,
    describe,
    format_table,
    linear_parameters,
    pool_output_length,
    pool_output_shape_2d,
    receptive_fields,
    recurrent_parameters,
)
from motifnet.cli import main
from motifnet.errors import MotifnetError
from motifnet.models import available, build, get_spec



def test_conv_output_length_matches_pytorch_over_a_grid():
    for length, k, s, p, d in itertools.product((17, 32, 101), (1, 3, 8), (1, 2, 3), (0, 1, 4), (1, 2, 3)):
        expected = nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d)(torch.zeros(1, 1, length)).shape[-1] \
            if length + 2 * p >= d * (k - 1) + 1 else None
        if expected is not None:
            assert conv_output_length(length, k, s, p, d) == expected, (length, k, s, p, d)


def test_pool_output_length_matches_pytorch_including_ceil_mode():
    for length, k, s, ceil in itertools.product((13, 50, 99), (2, 3, 13), (None, 1, 2), (False, True)):
        pool = nn.MaxPool1d(k, stride=s, ceil_mode=ceil)
        assert pool_output_length(length, k, s, ceil_mode=ceil) == pool(torch.zeros(1, 1, length)).shape[-1]


def test_same_and_valid_padding_and_errors():
    assert conv_output_length(101, 8, 2, "same") == 51
    assert conv_output_length(100, 24, 1, "same") == 100
    assert conv_output_length(100, 24, 1, "valid") == 77
    with pytest.raises(MotifnetError):
        conv_output_length(100, 0)
    with pytest.raises(MotifnetError):
        conv_output_length(100, 3, padding="full")


def test_2d_shapes_match_pytorch():
    for shape, k, s, p, d in [((28, 28), 5, 1, 0, 1), ((32, 20), (3, 5), (2, 1), (1, 2), (1, 2)), ((9, 40), (1, 7), (1, 3), 0, (1, 2))]:
        conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
        assert conv_output_shape_2d(shape, k, s, p, d) == tuple(conv(torch.zeros(1, 1, *shape)).shape[-2:])
    assert pool_output_shape_2d((28, 28), 2) == (14, 14)
    assert pool_output_shape_2d((7, 9), (2, 3), ceil_mode=True) == tuple(
        nn.MaxPool2d((2, 3), ceil_mode=True)(torch.zeros(1, 1, 7, 9)).shape[-2:])


def test_receptive_fields_by_hand():
    # conv 3 -> pool 2 (stride 2) -> conv 3: fields 3, 4, 4 + 2*2 = 8; jumps 1, 2, 2
    assert receptive_fields([(3, 1), (2, 2), (3, 1)]) == [(3, 1), (4, 2), (8, 2)]
    # dilation widens without striding: k=3, d=4 -> 1 + 2*4 = 9
    assert receptive_fields([(3, 1, 4)]) == [(9, 1)]


def positive_stack(layers: list[nn.Module]) -> nn.Sequential:
    """Conv weights all 1, no bias: every connection carries gradient, none cancels."""
    model = nn.Sequential(*layers)
    for module in model.modules():
        if isinstance(module, nn.Conv1d):
            nn.init.ones_(module.weight)
    return model


def empirical_field(model: nn.Module, channels: int, length: int, position: int) -> torch.Tensor:
    """Input positions with a non-zero gradient for output position ``position`` (channel 0)."""
    x = torch.ones(1, channels, length, requires_grad=True)
    model(x)[0, 0, position].backward()
    return torch.nonzero(x.grad.abs().sum(dim=1)[0]).flatten()


STACKS = {
    "conv-stride": lambda: [nn.Conv1d(2, 3, 5, bias=False), nn.Conv1d(3, 3, 3, stride=2, bias=False), nn.Conv1d(3, 2, 4, bias=False)],
    "pool-dilation": lambda: [nn.Conv1d(2, 3, 3, bias=False), nn.AvgPool1d(3, stride=2), nn.Conv1d(3, 3, 3, dilation=3, bias=False),
                              nn.AvgPool1d(2), nn.Conv1d(3, 1, 2, stride=3, bias=False)],
    "dilated-first": lambda: [nn.Conv1d(2, 3, 3, dilation=2, bias=False), nn.ReLU(), nn.Conv1d(3, 3, 3, dilation=2, bias=False),
                              nn.Conv1d(3, 2, 5, stride=2, bias=False)],
    "padded": lambda: [nn.Conv1d(2, 3, 7, padding=3, bias=False), nn.AvgPool1d(4), nn.Conv1d(3, 3, 5, padding="same", dilation=2, bias=False)],
}


@pytest.mark.parametrize("name", sorted(STACKS))
def test_arithmetic_receptive_field_equals_the_gradient_footprint(name):
    model, length = positive_stack(STACKS[name]()), 120
    rows = describe(model, length, n_channels=2)
    field, jump = rows[-1]["receptive_field"], rows[-1]["jump"]
    out_length = rows[-1]["output_shape"][-1]
    starts, middle = [], out_length // 2  # away from the edges (padding would truncate the field)
    for position in (middle - 1, middle):
        used = empirical_field(model, 2, length, position)
        assert int(used.max() - used.min()) + 1 == field  # span of the footprint
        starts.append(int(used.min()))
    assert starts[1] - starts[0] == jump  # neighbouring outputs move by the jump
    if name != "dilated-first":  # a dilated first layer leaves holes in the footprint
        assert len(empirical_field(model, 2, length, out_length // 2)) == field


def test_max_pool_footprint_lies_within_the_arithmetic_field():
    model = positive_stack([nn.Conv1d(1, 2, 3, bias=False), nn.MaxPool1d(4), nn.Conv1d(2, 1, 3, dilation=2, bias=False)])
    rows = describe(model, 90, n_channels=1)
    x = torch.randn(1, 1, 90, requires_grad=True)
    model(x)[0, 0, 5].backward()
    used = torch.nonzero(x.grad[0, 0]).flatten()
    assert 0 < len(used) and int(used.max() - used.min()) + 1 <= rows[-1]["receptive_field"] == 3 + 3 + 4 * 2 * 2


def test_translation_equivariance_of_a_conv_layer():
    torch.manual_seed(0)
    conv = nn.Conv1d(4, 6, 7)
    x = torch.randn(2, 4, 80)
    shift = 5
    shifted = torch.roll(x, shift, dims=-1)
    out, out_shifted = conv(x), conv(shifted)
    torch.testing.assert_close(out_shifted[..., shift:], out[..., :-shift])
    strided = nn.Conv1d(4, 6, 7, stride=2)  # with stride s, a shift of s moves the output by 1
    torch.testing.assert_close(strided(torch.roll(x, 2, dims=-1))[..., 1:], strided(x)[..., :-1])


def test_parameter_formulas_match_pytorch_modules():
    assert conv_parameters(4, 16, 24) == count_parameters(nn.Conv1d(4, 16, 24)) == 4 * 16 * 24 + 16
    assert conv_parameters(8, 16, (3, 5), bias=False) == count_parameters(nn.Conv2d(8, 16, (3, 5), bias=False))
    assert conv_parameters(8, 16, 3, groups=4) == count_parameters(nn.Conv1d(8, 16, 3, groups=4))
    assert linear_parameters(48000, 925) == count_parameters(nn.Linear(48000, 925))
    for cell, module in (("lstm", nn.LSTM), ("gru", nn.GRU), ("rnn", nn.RNN)):
        for bidirectional in (False, True):
            expected = count_parameters(module(10, 7, num_layers=2, bidirectional=bidirectional))
            assert recurrent_parameters(10, 7, 2, bidirectional, cell) == expected


def test_recurrent_layers_see_the_whole_input():
    model = build("danq", 11, 100, n_filters=8, filter_length=19, pool_size=10, lstm_hidden=4, dense=8)
    rows = {row["layer"]: row for row in describe(model, 100)}
    assert rows["pool"]["receptive_field"] == 19 + (10 - 1) and rows["pool"]["jump"] == 10
    assert not rows["pool"]["whole_input"]
    assert rows["lstm"]["whole_input"] and rows["lstm"]["receptive_field"] == 100
    lstm_rows = describe(build("lstm", 2, 60), 60)
    assert all(row["whole_input"] for row in lstm_rows if row["index"] >= 1)


@pytest.mark.parametrize("name", sorted(available()))
def test_describe_counts_every_parameter_of_every_model(name):
    preset = (available()[name] or [None])[-1]
    length, targets = get_spec(name).design(preset)
    small = {"deepsea": {"filters": [8, 8, 8], "dense": 8}}.get(name, {})
    model = build(name, targets, length, preset=preset if name != "deepsea" else "small", **small)
    rows = describe(model, length)
    assert sum(row["params"] for row in rows) == count_parameters(model)
    assert rows[-1]["output_shape"] == [targets]
    assert model.training  # describe restores the training flag
    table = format_table(rows)
    assert f"{count_parameters(model):,}" in table.splitlines()[-1]


def test_describe_command_prints_the_table(capsys):
    assert main(["describe", "deepbind", "--set", "hidden=0", "--length", "50"]) == 0
    out = capsys.readouterr().out
    assert "1,552" in out  # conv 4*16*24 + 16
    assert "1,569" in out.splitlines()[-1]  # + linear 16 + 1
    assert "all (50)" in out
    assert main(["describe", "cnn", "--preset", "cnn-4", "--compact"]) == 0
    out = capsys.readouterr().out
    assert "134" in out and "ReLU" not in out  # RF after the second pool: 19 + 3 + 4*4 + 4*24
    assert main(["describe", "deepbind", "--set", "nfilters=3"]) == 2
    assert "n_filters" in capsys.readouterr().err
    assert main(["describe", "deepbind", "--set", "novalue"]) == 2
