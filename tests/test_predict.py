"""motifnet.predict (one batched forward pass), motifnet.devices and motifnet.strands, over the
shared toy models: batch-size invariance, eval mode, gradients, strands."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from motifnet.devices import eval_mode, input_device, model_device
from motifnet.errors import MotifnetError
from motifnet.predict import activate, forward_batches, predict, predict_logits, probabilities
from motifnet.sequence import one_hot, reverse_complement_tokens
from motifnet.strands import (check_combine, check_strands, combine_strands, default_strands, mean_probability_logits,
                              model_strands, reads_both_strands, run_strands)

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import MaxPoolNet, random_tokens, toy_models  # noqa: E402

LENGTH = 30
MODELS = toy_models(LENGTH)


def _reference(model, tokens):
    """The model on the whole input at once, in eval mode."""
    with eval_mode(model), torch.no_grad():
        return model(one_hot(tokens))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_batches_batch_1_equals_batch_64_equals_the_whole_input(name):
    model = MODELS[name]
    tokens = random_tokens(70, LENGTH, seed=1)
    one = forward_batches(model, tokens, batch_size=1)
    many = forward_batches(model, tokens, batch_size=64)
    assert one.shape == (70, 2) and one.dtype == torch.float32 and one.device.type == "cpu"
    torch.testing.assert_close(one, many, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(many, _reference(model, tokens), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_batches_restores_the_training_flag_and_keeps_no_graph(name):
    model = MODELS[name]
    model.train()
    out = forward_batches(model, random_tokens(5, LENGTH))
    assert model.training and not out.requires_grad
    model.eval()
    forward_batches(model, random_tokens(5, LENGTH))
    assert not model.training


def test_forward_batches_restores_the_training_flag_when_func_raises():
    model = MODELS["dropout_norm"].train()

    def broken(m, x):
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        forward_batches(model, random_tokens(3, LENGTH), broken)
    assert model.training


def test_tokens_numpy_and_torch_and_one_hot_inputs_agree():
    model = MODELS["maxpool"]
    tokens = random_tokens(9, LENGTH, seed=2)
    expected = forward_batches(model, tokens, batch_size=4)
    torch.testing.assert_close(forward_batches(model, torch.from_numpy(tokens), batch_size=4), expected)
    torch.testing.assert_close(forward_batches(model, one_hot(tokens), batch_size=4), expected)
    torch.testing.assert_close(forward_batches(model, one_hot(tokens).numpy().astype(np.float64)), expected)
    strided = np.lib.stride_tricks.sliding_window_view(np.concatenate(tokens), LENGTH)[::LENGTH]  # not contiguous
    torch.testing.assert_close(forward_batches(model, strided, batch_size=2), expected)


def test_func_and_per_row_args_and_tuple_outputs():
    model = MODELS["dense"]
    tokens = random_tokens(11, LENGTH, seed=3)
    target = torch.tensor([i % 2 for i in range(11)])
    logits = _reference(model, tokens)

    def chosen(m, x, t):
        out = m(x)
        return out.gather(1, t.view(-1, 1)).squeeze(1), out.argmax(1)

    values, best = forward_batches(model, tokens, chosen, (target,), batch_size=3)
    torch.testing.assert_close(values, logits[torch.arange(11), target], atol=1e-6, rtol=1e-5)
    assert torch.equal(best, logits.argmax(1))


def test_gradients_flag_enables_autograd_and_gives_the_input_gradient():
    model = MODELS["gru"]
    x = one_hot(random_tokens(6, LENGTH, seed=4))

    def input_gradient(m, batch):
        batch = batch.requires_grad_(True)
        (grad,) = torch.autograd.grad(m(batch)[:, 0].sum(), batch)
        return grad

    with pytest.raises(RuntimeError):  # inference mode: no graph to differentiate
        forward_batches(model, x, input_gradient)
    one = forward_batches(model, x, input_gradient, batch_size=1, gradients=True)
    many = forward_batches(model, x, input_gradient, batch_size=64, gradients=True)
    torch.testing.assert_close(one, many, atol=1e-6, rtol=1e-5)
    expected = x.clone().requires_grad_(True)
    with eval_mode(model):
        (grad,) = torch.autograd.grad(model(expected)[:, 0].sum(), expected)
    torch.testing.assert_close(one, grad, atol=1e-6, rtol=1e-5)


def test_empty_input_and_bad_batch_size():
    model = MODELS["maxpool"]
    assert forward_batches(model, random_tokens(0, LENGTH)).shape == (0,)
    with pytest.raises(MotifnetError, match="batch_size"):
        forward_batches(model, random_tokens(3, LENGTH), batch_size=0)
    with pytest.raises(MotifnetError, match="no sequences"):
        predict_logits(model, random_tokens(0, LENGTH))


@pytest.mark.parametrize("strands", ["forward", "both"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_predict_batch_1_equals_batch_64(name, strands):
    tokens = random_tokens(40, LENGTH, seed=5)
    one = predict(MODELS[name], tokens, batch_size=1, strands=strands)
    many = predict(MODELS[name], tokens, batch_size=64, strands=strands)
    assert one.shape == (40, 2) and one.dtype == np.float32
    np.testing.assert_allclose(one, many, atol=1e-6, rtol=1e-5)


def test_predict_both_strands_is_the_mean_of_the_two_strands_probabilities():
    model = MODELS["dense"]
    tokens = random_tokens(20, LENGTH, seed=6)
    forward = torch.sigmoid(_reference(model, tokens)).numpy()
    reverse = torch.sigmoid(_reference(model, reverse_complement_tokens(tokens))).numpy()
    np.testing.assert_allclose(predict(model, tokens, strands="both"), (forward + reverse) / 2, atol=1e-6)
    np.testing.assert_allclose(predict(model, tokens), forward, atol=1e-6)
    stacked = predict_logits(model, tokens, strands="both")
    assert stacked.shape == (2, 20, 2)
    with pytest.raises(MotifnetError, match="strands"):
        predict(model, tokens, strands="reverse")


def test_activate_and_probabilities_by_task():
    logits = np.array([[0.0, 1.0], [-2.0, 3.0]], dtype=np.float32)
    t = torch.from_numpy(logits)
    torch.testing.assert_close(activate("binary", t), torch.sigmoid(t))
    torch.testing.assert_close(activate("multiclass", t), torch.softmax(t, dim=-1))
    torch.testing.assert_close(activate("regression", t, "poisson"), torch.exp(t))
    assert activate("regression", t) is t
    np.testing.assert_allclose(probabilities(logits, "binary"), torch.sigmoid(t).numpy())


@pytest.mark.parametrize("task, loss", [("binary", "mse"), ("multilabel", "mse"), ("multiclass", "mse"),
                                        ("regression", "mse"), ("regression", "poisson")])
def test_probabilities_in_numpy_are_torchs_activation_to_float32_rounding(task, loss):
    """The NumPy activation (scans run without torch) gives torch's, extremes included: sigmoid 0
    and 1, an overflowing Poisson rate inf, no warning."""
    logits = np.random.default_rng(0).normal(0, 6, (2000, 3)).astype(np.float32)
    logits[:3] = [[-200.0, 200.0, 0.0], [-88.0, 88.0, 100.0], [1e-30, -1e-30, 30.0]]
    expected = activate(task, torch.from_numpy(logits), loss).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = probabilities(logits, task, loss)
    assert got.dtype == np.float32 and got.shape == logits.shape
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isfinite(got), finite)
    np.testing.assert_array_equal(got[~finite], expected[~finite])
    # NumPy's rounds once from float64; torch's float32 kernels are a few units in the last place off
    np.testing.assert_allclose(got[finite], expected[finite], rtol=2e-6, atol=1e-30)


# ---------------------------------------------------------------------------------------------
# devices


def test_model_device_with_parameters_buffers_or_neither():
    assert model_device(MODELS["maxpool"]).type == "cpu"
    buffers_only = nn.Module()
    buffers_only.register_buffer("scale", torch.ones(1, dtype=torch.float64))
    assert model_device(buffers_only) == torch.device("cpu") == model_device(nn.Identity())
    assert input_device(nn.Identity()) == torch.device("cpu") == input_device(nn.Identity(), "cpu")


def test_eval_mode_restores_training_also_on_error():
    model = MODELS["dropout_norm"].train()
    with pytest.raises(KeyError):
        with eval_mode(model) as inside:
            assert inside is model and not model.training and not model.dropout.training
            raise KeyError("x")
    assert model.training and model.dropout.training


# ---------------------------------------------------------------------------------------------
# strands


def test_default_strands_one_rule():
    assert default_strands("RNA", ["rc"], genome=True) == "forward"
    assert default_strands("DNA", genome=True) == "both"
    assert default_strands("DNA", ["rc", "shift"]) == "both"
    assert default_strands("DNA", ["shift"]) == default_strands("DNA") == default_strands("DNA", None) == "forward"
    config = {"alphabet": "DNA", "training": {"augment": ["rc"]}}
    assert run_strands(config) == "both" and run_strands({"alphabet": "DNA", "training": {}}) == "forward"
    assert run_strands({"alphabet": "RNA", "training": {"augment": ["rc"]}}, genome=True) == "forward"


def test_check_strands_and_combine():
    assert check_strands("reverse") == "reverse" and check_combine("mean") == "mean"
    with pytest.raises(MotifnetError, match="RNA"):
        check_strands("both", alphabet="RNA")
    with pytest.raises(MotifnetError, match="strands must be one of"):
        check_strands("reverse", ("forward", "both"))
    with pytest.raises(MotifnetError, match="combine"):
        check_combine("sum")


def test_models_that_read_both_strands():
    from motifnet.models import ReverseComplement, build

    both = build("deepbind", 1, 40, n_filters=4, strands="both")
    assert reads_both_strands(both) and model_strands(both) == "both"
    assert reads_both_strands(ReverseComplement(MaxPoolNet(2, 3, 1)))
    assert not reads_both_strands(MaxPoolNet(2, 3, 1)) and model_strands(MaxPoolNet(2, 3, 1)) == "forward"


def test_combine_strands_max_keeps_the_strand():
    forward = np.array([[1.0, -1.0], [0.5, 0.5]], dtype=np.float32)
    reverse = np.array([[0.0, 2.0], [0.5, -3.0]], dtype=np.float32)
    logits, strand = combine_strands(forward, reverse, "max")
    np.testing.assert_array_equal(logits, [[1.0, 2.0], [0.5, 0.5]])
    np.testing.assert_array_equal(strand, [[1, -1], [1, 1]])


@pytest.mark.parametrize("task,loss", [("binary", "mse"), ("multilabel", "mse"), ("multiclass", "mse"),
                                       ("regression", "mse"), ("regression", "poisson")])
def test_combine_strands_mean_is_the_mean_of_the_probabilities(task, loss):
    rng = np.random.default_rng(0)
    a = rng.normal(scale=3, size=(7, 3)).astype(np.float32)
    b = rng.normal(scale=3, size=(7, 3)).astype(np.float32)
    logits, strand = combine_strands(a, b, "mean", task, loss)
    expected = (probabilities(a, task, loss) + probabilities(b, task, loss)) / 2
    np.testing.assert_allclose(probabilities(logits, task, loss), expected, rtol=1e-5, atol=1e-6)
    assert not strand.any() and logits.dtype == np.float32


def test_mean_probability_logits_is_stable_for_large_logits():
    a = np.array([[80.0, -80.0, 80.0]])
    b = np.array([[80.0, -80.0, -80.0]])
    out = mean_probability_logits(a, b)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[0, :2], [80.0, -80.0], rtol=1e-6)
    np.testing.assert_allclose(out[0, 2], 0.0, atol=1e-6)
