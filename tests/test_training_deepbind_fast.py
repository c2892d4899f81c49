"""DeepBind's training fast path (sparse max-pool backward) against the full convolution backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motifnet.models import build
from motifnet.sequence import one_hot


def _pair(strands: str = "forward", pad_input: bool = True, pool: str = "max", seed: int = 0):
    """The same DeepBind twice: one free to take the fast path, one forced onto the full path
    (a forward hook on ``conv`` disables the fast path)."""
    torch.manual_seed(seed)
    fast = build("deepbind", 3, 60, preset="paper", n_filters=6, filter_length=9, strands=strands,
                 pad_input=pad_input, pool=pool, dropout=0.0)
    full = build("deepbind", 3, 60, preset="paper", n_filters=6, filter_length=9, strands=strands,
                 pad_input=pad_input, pool=pool, dropout=0.0)
    full.load_state_dict(fast.state_dict())
    full.conv.register_forward_hook(lambda module, inputs, output: None)
    return fast.train(), full.train()


def _tokens(n: int = 20, length: int = 60, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 5, (n, length)).astype(np.uint8)  # N included


@pytest.mark.parametrize("strands", ["forward", "both"])
@pytest.mark.parametrize("pad_input", [True, False])
def test_fast_path_outputs_are_identical_and_gradients_equal(strands, pad_input):
    fast, full = _pair(strands, pad_input)
    x = one_hot(_tokens())
    assert fast._uses_fast_path(x) and not full._uses_fast_path(x)
    out_fast, out_full = fast(x), full(x)
    assert torch.equal(out_fast, out_full)  # forward values: bitwise the old forward
    weights = torch.randn_like(out_full)
    grads_fast = torch.autograd.grad(out_fast, list(fast.parameters()), weights)
    grads_full = torch.autograd.grad(out_full, list(full.parameters()), weights)
    assert any(g.abs().sum() > 0 for g in grads_fast[:2])  # the conv weights do get a gradient
    for a, b in zip(grads_fast, grads_full):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_fast_path_input_gradient_matches_for_soft_inputs():
    fast, full = _pair()
    x = torch.rand(7, 4, 60, generator=torch.Generator().manual_seed(3))  # no ties between positions
    x_fast, x_full = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    fast(x_fast).sum().backward()
    full(x_full).sum().backward()
    torch.testing.assert_close(x_fast.grad, x_full.grad, rtol=1e-5, atol=1e-6)


def test_fast_path_is_only_taken_when_training_with_gradients_and_max_pool():
    fast, _ = _pair()
    x = one_hot(_tokens(2))
    assert fast._uses_fast_path(x)
    with torch.no_grad():
        assert not fast._uses_fast_path(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not fast._uses_fast_path(x)
    assert not fast._uses_fast_path(x.double())
    assert not fast.eval()._uses_fast_path(x)  # interpretation and prediction use the plain path
    maxavg, _ = _pair(pool="maxavg")
    assert not maxavg.train()._uses_fast_path(x)
    hooked, _ = _pair()
    handle = hooked.activation.register_forward_hook(lambda module, inputs, output: None)
    assert not hooked._uses_fast_path(x)
    handle.remove()
    assert hooked._uses_fast_path(x)


def test_fast_path_keeps_the_module_layout():
    paper = build("deepbind", 1, 101, preset="paper")
    assert list(paper.state_dict()) == ["conv.weight", "conv.bias", "head.1.weight", "head.1.bias",
                                        "head.3.weight", "head.3.bias"]
    hooked = build("deepbind", 1, 101, preset="paper").train()
    handle = hooked.pool.register_forward_hook(lambda module, inputs, output: None)
    assert not hooked._uses_fast_path(one_hot(_tokens(2)))  # a hook on the pool must see the pool run
    handle.remove()


def test_training_steps_with_the_fast_path_track_the_full_backward():
    fast, full = _pair()
    x = one_hot(_tokens(32))
    y = torch.from_numpy(np.random.default_rng(2).integers(0, 2, (32, 3)).astype(np.float32))
    for model in (fast, full):
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(5):
            optimizer.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(model(x), y).backward()
            optimizer.step()
    for a, b in zip(fast.parameters(), full.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_tied_maxima_give_the_first_window_the_whole_gradient():
    """Identical windows tie exactly. Both paths give a tied maximum's whole gradient to the first
    maximising window of each filter: weight, bias and input gradients agree, and the input
    gradient sits on those windows only."""
    fast, full = _pair(pad_input=False)
    kmers = np.random.default_rng(4).integers(0, 4, (5, 9)).astype(np.uint8)
    tokens = np.tile(kmers, (1, 7))[:, :60]  # period 9: windows i and i + 9 are identical
    x_fast = one_hot(tokens).requires_grad_(True)
    x_full = one_hot(tokens).requires_grad_(True)
    weights = torch.randn(5, 3, generator=torch.Generator().manual_seed(5))
    out_fast, out_full = fast(x_fast), full(x_full)
    grads_fast = torch.autograd.grad(out_fast, [x_fast, *fast.parameters()], weights)
    grads_full = torch.autograd.grad(out_full, [x_full, *full.parameters()], weights)
    for a, b in zip(grads_fast[1:], grads_full[1:]):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grads_fast[0].sum(-1), grads_full[0].sum(-1), rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        first = full.conv(one_hot(tokens)).numpy().argmax(axis=-1)  # [B, F] first maximising window
    allowed = np.zeros((5, 60), dtype=bool)
    for b, f in np.ndindex(first.shape):
        allowed[b, first[b, f] : first[b, f] + 9] = True
    for grads in (grads_fast, grads_full):
        assert not grads[0].abs().sum(1)[torch.from_numpy(~allowed)].any()
    torch.testing.assert_close(grads_fast[0], grads_full[0], rtol=1e-5, atol=1e-6)
