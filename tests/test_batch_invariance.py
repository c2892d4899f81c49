"""Every batched function gives the same result with batch 1 as with batch 64, over the shared
toy models: attributions, filter motifs and importance, activation scores, the scan's window path."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from motifnet.interpret import attribution
from motifnet.interpret.filters import activation_motifs, filter_importance
from motifnet.interpret.localization import activation_scores
from motifnet.scan.windows import scan_tokens, score_windows
from motifnet.sequence import one_hot

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import random_tokens, toy_models  # noqa: E402

LENGTH = 24
MODELS = toy_models(LENGTH, n_targets=2, seed=3)
NAMES = sorted(MODELS)


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=2e-6, rtol=1e-5)


@pytest.fixture(scope="module")
def inputs():
    tokens = random_tokens(5, LENGTH, seed=7)
    return one_hot(tokens), np.array([0, 1, 1, 0, 1])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("method", ["predict_outputs", "gradients", "saliency", "grad_x_input"])
def test_gradient_methods(name, method, inputs):
    x, target = inputs
    function = getattr(attribution, method)
    one = function(MODELS[name], x, target, batch_size=1)
    _close(one, function(MODELS[name], x, target, batch_size=64))
    assert one.shape == ((5,) if method == "predict_outputs" else (5, 4, LENGTH))


@pytest.mark.parametrize("name", NAMES)
def test_ism(name, inputs):
    x, target = inputs
    one = attribution.ism(MODELS[name], x, target, batch_size=1)
    _close(one, attribution.ism(MODELS[name], x, target, batch_size=64))
    # the effect of the observed base is 0; another base's effect is the model's change
    model = MODELS[name]
    mutant = x[:1].clone()
    base = int((x[0, :, 3] == 0).nonzero()[0])
    mutant[0, :, 3] = 0
    mutant[0, base, 3] = 1
    with torch.no_grad():
        model.eval()
        change = model(mutant)[0, 0] - model(x[:1])[0, 0]
    assert float(one[0, base, 3]) == pytest.approx(float(change), abs=2e-6)
    assert float((one * x).abs().max()) == 0


@pytest.mark.parametrize("name", NAMES)
def test_integrated_gradients(name, inputs):
    x, target = inputs
    one, delta_one = attribution.integrated_gradients(MODELS[name], x, target, steps=4, batch_size=1,
                                                      return_delta=True)
    many, delta_many = attribution.integrated_gradients(MODELS[name], x, target, steps=4, batch_size=64,
                                                        return_delta=True)
    _close(one, many)
    _close(delta_one, delta_many)


@pytest.mark.parametrize("strands", ["forward", "both"])
def test_activation_motifs(strands):
    tokens = random_tokens(40, LENGTH, seed=8)
    model = MODELS["maxpool"]
    one = activation_motifs(model, tokens, threshold=0.5, batch_size=1, strands=strands)
    many = activation_motifs(model, tokens, threshold=0.5, batch_size=64, strands=strands)
    np.testing.assert_array_equal(one.counts, many.counts)
    np.testing.assert_array_equal(one.n_sites, many.n_sites)
    np.testing.assert_array_equal(one.max_activation, many.max_activation)
    assert one.n_sites.sum() > 0


@pytest.mark.parametrize("name", NAMES)
def test_filter_importance(name):
    tokens = random_tokens(12, LENGTH, seed=9)
    one = filter_importance(MODELS[name], tokens, target=1, batch_size=1)
    many = filter_importance(MODELS[name], tokens, target=1, batch_size=64)
    np.testing.assert_allclose(one, many, atol=1e-5, rtol=1e-5)
    assert one.shape == (MODELS[name].conv.out_channels,) and np.abs(one).sum() > 0


def test_activation_scores():
    tokens = random_tokens(15, LENGTH, seed=10)
    model = MODELS["maxpool"]
    one = activation_scores(model, tokens, filters=[0, 2], batch_size=1)
    _close(one, activation_scores(model, tokens, filters=[0, 2], batch_size=64))
    assert one.shape == (15, LENGTH)


@pytest.mark.parametrize("strands", ["forward", "reverse", "both"])
@pytest.mark.parametrize("name", NAMES)
def test_score_windows(name, strands):
    windows = random_tokens(70, LENGTH, seed=11)
    logits, strand = score_windows(MODELS[name], windows, strands, batch_size=1)
    many, strand_many = score_windows(MODELS[name], windows, strands, batch_size=64)
    _close(logits, many)
    np.testing.assert_array_equal(strand, strand_many)
    assert logits.shape == (70, 2)


def test_scan_window_path():
    tokens = random_tokens(1, 300, seed=12)[0]
    model = MODELS["gru"]
    parts = [list(scan_tokens(model, tokens, LENGTH, stride=3, method="window", batch_size=b)) for b in (1, 64)]
    for (s1, l1, st1), (s2, l2, st2) in zip(*parts):
        np.testing.assert_array_equal(s1, s2)
        _close(l1, l2)
        np.testing.assert_array_equal(st1, st2)
