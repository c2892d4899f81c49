"""The numba max pooling of MaxPool1d gives torch's values and gradients, bit for bit."""

import pytest
import torch
import torch.nn.functional as F

from motifnet.models import window_max
from motifnet.models.layers import MaxPool1d


def _values_and_gradient(pool, x, upstream):
    x = x.clone().requires_grad_()
    y = pool(x)
    (gradient,) = torch.autograd.grad(y, x, upstream)
    return y, gradient


SHAPES = [(length, size) for length in (4, 7, 25, 100, 118) for size in (1, 2, 3, 4, 10, 13) if size <= length]


@pytest.mark.parametrize("length,size", SHAPES)
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_matches_torch_max_pooling(length, size, ceil_mode):
    generator = torch.Generator().manual_seed(length * 100 + size)
    x = torch.relu(torch.randn(3, 5, length, generator=generator))  # ties at 0
    x[1, 2, : min(3, length)] = 2.0  # ties at a positive maximum: the first one wins
    expected = F.max_pool1d(x, size, ceil_mode=ceil_mode)
    upstream = torch.randn(expected.shape, generator=generator)
    want = _values_and_gradient(lambda t: F.max_pool1d(t, size, ceil_mode=ceil_mode), x, upstream)
    got = _values_and_gradient(MaxPool1d(size, ceil_mode=ceil_mode), x, upstream)
    assert window_max.applies(x, size) == (length // size >= window_max.MIN_WINDOWS)
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_nan_is_the_maximum_of_its_window():
    x = torch.arange(40, dtype=torch.float32).reshape(1, 2, 20)
    x[0, 0, 1] = float("nan")
    x[0, 1, 5] = x[0, 1, 7] = float("nan")  # torch's kernel takes the last NaN
    assert window_max.applies(x, 4)
    upstream = torch.ones(1, 2, 5)
    want = _values_and_gradient(lambda t: F.max_pool1d(t, 4), x, upstream)
    got = _values_and_gradient(MaxPool1d(4), x, upstream)
    assert torch.equal(got[0].isnan(), want[0].isnan())
    assert torch.equal(torch.nan_to_num(got[0]), torch.nan_to_num(want[0]))
    assert torch.equal(got[1], want[1])


def test_non_contiguous_input_and_gradient():
    x = torch.randn(4, 6, 40).transpose(0, 1)  # [6, 4, 40], not contiguous
    assert not x.is_contiguous()
    upstream = torch.randn(4, 6, 10).transpose(0, 1)
    want = _values_and_gradient(lambda t: F.max_pool1d(t, 4), x, upstream)
    got = _values_and_gradient(MaxPool1d(4), x, upstream)
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_only_float32_cpu_tensors_of_three_axes_use_the_kernel():
    assert window_max.applies(torch.zeros(2, 3, 10), 2)
    assert not window_max.applies(torch.zeros(2, 3, 10), 3)  # 3 windows: torch's reshape and max
    assert not window_max.applies(torch.zeros(2, 3, 10, dtype=torch.float64), 2)
    assert not window_max.applies(torch.zeros(3, 10), 2)
    assert not window_max.applies(torch.zeros(0, 3, 10), 2)
    x = torch.randn(2, 3, 9, dtype=torch.float64)
    assert torch.equal(MaxPool1d(3)(x), F.max_pool1d(x, 3))  # torch's own path


def test_windows_that_overlap_or_a_short_input_keep_torch_semantics():
    x = torch.randn(2, 3, 20)
    assert torch.equal(MaxPool1d(4, stride=2)(x), F.max_pool1d(x, 4, stride=2))
    with pytest.raises(RuntimeError):
        MaxPool1d(8)(torch.randn(1, 2, 5))


def test_the_kernel_serves_only_inputs_whose_gradient_is_taken(monkeypatch):
    def kernel_called(*args, **kwargs):
        raise AssertionError("window_max called")

    monkeypatch.setattr(window_max, "window_max", kernel_called)
    x = torch.randn(2, 3, 40)
    pool = MaxPool1d(4)
    with torch.inference_mode():
        assert torch.equal(pool(x), F.max_pool1d(x, 4))  # inference: torch's pooling without indices
    with torch.no_grad():
        assert torch.equal(pool(x.clone().requires_grad_()), F.max_pool1d(x, 4))
    assert torch.equal(pool(x), F.max_pool1d(x, 4))  # grad mode, but nothing requires a gradient
    with pytest.raises(AssertionError, match="window_max called"):
        pool(x.clone().requires_grad_())
