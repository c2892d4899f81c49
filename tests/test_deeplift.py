"""DeepLIFT/DeepSHAP contributions (tangermeme's rules plus motifnet's layers): completeness on
every convolutional and residual model of the zoo, agreement with tangermeme on a plain network,
hypothetical contributions, and the errors for layers without a rule and bad references."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from motifnet import models
from motifnet.errors import MotifnetError
from motifnet.interpret import attribution
from motifnet.interpret.deeplift import check_supported, deep_lift_shap
from motifnet.models import ReverseComplement
from motifnet.sequence import dinucleotide_shuffle, one_hot

LENGTH = 100


def _tokens(n: int, seed: int = 0, length: int = LENGTH) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 4, size=(n, length)).astype(np.uint8)


def _zoo_model(name: str, preset: str | None = None, n_targets: int = 3, length: int = LENGTH,
               **params) -> nn.Module:
    torch.manual_seed(0)
    return models.build(name, n_targets, length, preset=preset, **params).eval()


ZOO = {
    "deepbind max": lambda: _zoo_model("deepbind"),
    "deepbind maxavg, both strands": lambda: _zoo_model("deepbind", pool="maxavg", strands="both"),
    "cnn-25": lambda: _zoo_model("cnn", "cnn-25"),
    "cnn-2 exponential": lambda: _zoo_model("cnn", "cnn-2", activation="exponential"),
    "resnet classroom": lambda: _zoo_model("resnet", "classroom"),
    "deepsea small": lambda: _zoo_model("deepsea", "small", length=300),
    "reverse complement, max": lambda: ReverseComplement(_zoo_model("cnn", "cnn-4"), "max").eval(),
    "reverse complement, mean": lambda: ReverseComplement(_zoo_model("deepbind"), "mean").eval(),
}


@pytest.mark.parametrize("name", list(ZOO))
def test_contributions_sum_to_the_output_change_on_the_zoo(name):
    model = ZOO[name]()
    x = one_hot(_tokens(6, length=300 if "deepsea" in name else LENGTH))
    targets = np.array([0, 1, 2, 0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no convergence warning may be raised
        scores, delta = deep_lift_shap(model, x, targets, n_shuffles=4, return_delta=True)
    assert scores.shape == x.shape
    assert float(scores.abs().sum()) > 0
    assert float(delta.abs().max()) < 1e-4


def test_agrees_with_tangermeme_on_a_plain_network():
    from tangermeme.deep_lift_shap import deep_lift_shap as tangermeme_deep_lift_shap

    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv1d(4, 8, 7), nn.ReLU(), nn.MaxPool1d(4), nn.Flatten(),
                          nn.Linear(8 * ((LENGTH - 6) // 4), 2)).eval()
    tokens = _tokens(5, seed=2)
    references = np.stack([dinucleotide_shuffle(tokens, seed=k) for k in range(3)], axis=1)
    ours = deep_lift_shap(model, tokens, 1, references=references, hypothetical=True)
    x = one_hot(tokens)
    refs = one_hot(references.reshape(-1, LENGTH)).view(5, 3, 4, LENGTH)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = tangermeme_deep_lift_shap(model, x, target=1, references=refs, hypothetical=True)
    assert torch.allclose(ours, theirs.float(), atol=1e-5)


def test_observed_contributions_are_the_hypothetical_ones_at_the_observed_base():
    model = ZOO["deepbind max"]()
    tokens = _tokens(4, seed=3)
    hypothetical = deep_lift_shap(model, tokens, 1, n_shuffles=3, hypothetical=True)
    observed = deep_lift_shap(model, tokens, 1, n_shuffles=3)
    assert torch.allclose(hypothetical * one_hot(tokens), observed, atol=1e-6)
    assert float((hypothetical * (1 - one_hot(tokens))).abs().sum()) > 0  # other bases are scored too


def test_results_do_not_depend_on_batch_size_and_given_references_are_used():
    model = ZOO["resnet classroom"]()
    tokens = _tokens(7, seed=4)
    whole = deep_lift_shap(model, tokens, 2, n_shuffles=3, batch_size=5)
    small_batches = deep_lift_shap(model, tokens, 2, n_shuffles=3, batch_size=2)
    references = np.stack([dinucleotide_shuffle(tokens, seed=k) for k in range(3)], axis=1)
    given = deep_lift_shap(model, tokens, 2, references=references, batch_size=3)
    assert torch.allclose(whole, small_batches, atol=1e-5)
    assert torch.allclose(whole, given, atol=1e-5)  # the default references are these shuffles


def test_the_attribution_api_dispatches_to_it():
    model = ZOO["cnn-25"]()
    tokens = _tokens(3, seed=5)
    direct = deep_lift_shap(model, tokens, 0, n_shuffles=2)
    assert torch.allclose(attribution.attribute(model, tokens, "deep_lift_shap", 0, n_shuffles=2), direct)


def test_a_layer_without_a_rule_is_named():
    model = _zoo_model("danq", "classroom", n_targets=2)
    with pytest.raises(MotifnetError, match=r"\(LSTM\).*integrated_gradients"):
        check_supported(model)
    with pytest.raises(MotifnetError, match="LSTM"):
        deep_lift_shap(model, _tokens(2))


def test_an_operation_hidden_from_the_rules_warns_with_the_worst_delta():
    class FunctionalMax(nn.Module):  # amax is not a module, so no rule replaces its gradient
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(4, 6, 9)
            self.linear = nn.Linear(6, 1)

        def forward(self, x):
            return self.linear(torch.relu(self.conv(x)).amax(dim=-1))

    torch.manual_seed(0)
    with pytest.warns(RuntimeWarning, match="convergence delta .* exceeds"):
        _, delta = deep_lift_shap(FunctionalMax().eval(), _tokens(8, seed=6), n_shuffles=3, return_delta=True)
    assert float(delta.abs().max()) > 1e-3


def test_bad_references_and_counts_are_one_line_errors():
    model = ZOO["deepbind max"]()
    tokens = _tokens(3)
    with pytest.raises(MotifnetError, match=r"references must be .* got shape \(3, 2, 50\)"):
        deep_lift_shap(model, tokens, references=np.zeros((3, 2, 50), dtype=np.uint8))
    with pytest.raises(MotifnetError, match=r"got shape \(2, 1, 4, 100\)"):
        deep_lift_shap(model, tokens, references=torch.zeros(2, 1, 4, LENGTH))
    with pytest.raises(MotifnetError, match="n_shuffles"):
        deep_lift_shap(model, tokens, n_shuffles=0)


def test_hypothetical_integrated_gradients_match_the_observed_map_at_the_observed_base():
    model = _zoo_model("lstm", "classroom", n_targets=2, conv_filters=8, conv_kernel=9, conv_pool=4, hidden=4)
    tokens = _tokens(3, seed=7)
    kwargs = dict(steps=8, n_baselines=2)
    hypothetical = attribution.integrated_gradients(model, tokens, 1, hypothetical=True, **kwargs)
    observed = attribution.integrated_gradients(model, tokens, 1, **kwargs)
    assert torch.allclose(hypothetical * one_hot(tokens), observed, atol=1e-5)
