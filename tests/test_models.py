"""Model zoo: registry contract, shapes, hand-counted parameters, strands, and a few training steps."""

from __future__ import annotations

import json

import pytest
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from motifnet.errors import MotifnetError
from motifnet.models import ReverseComplement, available, build, build_from_config, first_conv
from motifnet.models.layers import GlobalPool, MaxPool1d, RandomSubsamplePool1d
from motifnet.sequence import reverse_complement_one_hot


# Small but complete configurations of every family (paper sizes are checked separately).
SMALL = {
    "deepbind": ("paper", {}),
    "deepbind-encode": ("encode", {"n_filters": 8}),
    "deepsea": ("small", {"filters": [8, 8, 16], "filter_length": 5, "pool_size": 2, "dense": 16}),
    "danq": ("classroom", {"n_filters": 16, "lstm_hidden": 8, "dense": 16}),
    "cnn": (None, {}),
    "cnn-exp": (None, {"activation": "exponential", "conv_layers": [
        {"filters": 8, "kernel_size": 9, "pool": "random", "pool_size": 4},
        {"filters": 8, "kernel_size": 3, "stride": 2, "dilation": 2, "padding": "same", "activation": "relu"}]}),
    "cnn-25": ("cnn-25", {}),
    "resnet": (None, {"initial_filters": 8, "n_blocks": 2, "channels": [8, 16], "dilation": [1, 2]}),
    "resnet-plain": (None, {"initial_filters": 8, "n_blocks": 2, "channels": 8, "residual": False}),
    "rnn": (None, {"hidden": 8}),
    "lstm": ("classroom", {"hidden": 8}),
    "gru": (None, {"hidden": 8, "bidirectional": True, "output": "mean", "conv_filters": 8, "conv_pool": 2}),
}


def family(key: str) -> str:
    return key.split("-")[0]


def one_hot_batch(n: int, length: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    tokens = torch.randint(4, (n, length), generator=generator)
    return F.one_hot(tokens, 4).transpose(1, 2).float()


def test_available_lists_every_family_with_presets():
    zoo = available()
    assert {"deepbind", "deepsea", "danq", "cnn", "resnet", "rnn", "lstm", "gru"} <= set(zoo)
    assert zoo["deepbind"] == ["paper", "encode"]
    assert {"paper", "classroom"} <= set(zoo["danq"])
    assert {f"cnn-{k}" for k in (1, 2, 4, 10, 25, 50, 100)} <= set(zoo["cnn"])


@pytest.mark.parametrize("key", sorted(SMALL))
@pytest.mark.parametrize("length", [100, 173])
def test_output_shape_at_several_lengths(key, length):
    preset, params = SMALL[key]
    model = build(family(key), 3, length, preset=preset, **params).eval()
    with torch.no_grad():
        assert model(one_hot_batch(2, length)).shape == (2, 3)


@pytest.mark.parametrize("key", sorted(SMALL))
def test_config_round_trip_rebuilds_the_same_architecture(key):
    preset, params = SMALL[key]
    model = build(family(key), 2, 120, preset=preset, **params).eval()
    config = json.loads(json.dumps(model.config))  # JSON-serialisable
    assert set(config) == {"name", "preset", "n_targets", "input_length", "params"}
    twin = build_from_config(config).eval()
    assert twin.config == model.config
    twin.load_state_dict(model.state_dict())  # same parameter names and shapes
    x = one_hot_batch(4, 120)
    with torch.no_grad():
        torch.testing.assert_close(twin(x), model(x))


def test_params_resolve_defaults_then_preset_then_overrides():
    model = build("deepbind", 1, 101, preset="encode", hidden=0)
    assert model.config["preset"] == "encode"
    assert model.config["params"]["n_filters"] == 128 and model.config["params"]["hidden"] == 0
    assert build("deepbind", 1, 101).config["preset"] == "paper"  # the default preset
    assert build("danq", 11, 100, preset="classroom").config["params"]["n_filters"] < 320


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: build("deepbnd", 1, 101), "deepbind"),
        (lambda: build("deepbind", 1, 101, preset="papr"), "encode"),
        (lambda: build("deepbind", 1, 101, filters=3), "n_filters"),
        (lambda: build("deepbind", 1, 101, pool="avg"), "maxavg"),
        (lambda: build("cnn", 1, 100, activation="swishy"), "exponential"),
        (lambda: build("cnn", 1, 100, conv_layers=[{"filters": 4, "kernel": 3}]), "kernel_size"),
        (lambda: build("danq", 919, 20), "too short"),
        (lambda: build("resnet", 1, 100, n_blocks=3, dilation=[1, 2]), "list of 3"),
        (lambda: build_from_config({"name": "cnn", "n_targets": 1}), "input_length"),
        (lambda: build("rnn", 11, 100, hidden="abc"), "parameter 'hidden' of model 'rnn' takes a number"),
        (lambda: build("deepbind", 1, 101, dropout=True), "'dropout' of model 'deepbind' takes a number"),
    ],
)
def test_user_mistakes_raise_motifnet_error_naming_the_choices(call, fragment):
    with pytest.raises(MotifnetError, match=fragment):
        call()


# --- paper configurations: hand-counted parameters and output shapes --------------------------------

def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_deepbind_paper_and_encode_parameter_counts():
    conv, hidden, out = 4 * 16 * 24 + 16, 16 * 32 + 32, 32 * 1 + 1
    model = build("deepbind", 1, 101, preset="paper")
    assert n_params(model.conv) == conv
    assert n_params(model) == conv + hidden + out == 2129
    encode = build("deepbind", 1, 101, preset="encode")
    # max+avg pooling doubles the pooled width: 2 * 128 inputs to the hidden layer
    assert n_params(encode) == (4 * 128 * 24 + 128) + (2 * 128 * 32 + 32) + 33


def test_danq_paper_parameter_count_and_shape():
    model = build("danq", 919, 1000, preset="paper").eval()
    conv = 4 * 320 * 26 + 320
    positions = (1000 - 26 + 1) // 13  # 75
    lstm = 2 * 4 * (320 * 320 + 320 * 320 + 2 * 320)  # PyTorch: two bias vectors per gate
    dense = positions * 640 * 925 + 925
    out = 925 * 919 + 919
    assert positions == 75
    assert n_params(model) == conv + lstm + dense + out
    assert n_params(model) - 2 * 4 * 320 == 46_926_479  # the Keras original's published count
    with torch.no_grad():
        assert model(one_hot_batch(1, 1000)).shape == (1, 919)


def test_danq_padding_sees_the_sequence_ends_without_new_parameters():
    """Unpadded, conv 19 + pool 10 on 100 bp drops the last windows: the last input columns get no
    gradient. Padding by filter_length - 1 with a ceil pool reaches every column (same weights)."""
    torch.manual_seed(0)
    small = {"n_filters": 8, "lstm_hidden": 4, "dense": 8, "conv_dropout": 0.0, "lstm_dropout": 0.0}
    plain = build("danq", 3, 100, preset="classroom", padding=0, pool_ceil=False, **small).eval()
    padded = build("danq", 3, 100, preset="classroom", **small).eval()  # the preset pads by 18, ceil pool
    assert list(plain.state_dict()) == list(padded.state_dict())
    padded.load_state_dict(plain.state_dict())
    assert padded.config["params"]["padding"] == 18 and plain.config["params"]["padding"] == 0
    reach = {}
    for name, model in (("plain", plain), ("padded", padded)):
        x = one_hot_batch(4, 100).requires_grad_(True)
        model(x).sum().backward()
        reach[name] = x.grad.abs().sum(dim=(0, 1))
    assert (reach["plain"][98:] == 0).all() and (reach["plain"][:98] > 0).all()
    assert (reach["padded"] > 0).all()
    with pytest.raises(MotifnetError, match="padding"):
        build("danq", 3, 100, preset="classroom", padding=-1)


def test_lstm_forget_bias_sets_only_the_forget_gate_and_is_lstm_only():
    torch.manual_seed(0)
    default = build("lstm", 1, 50, hidden=6)
    model = build("lstm", 1, 50, hidden=6, forget_bias=1.0)
    assert list(default.state_dict()) == list(model.state_dict())
    ih, hh = model.rnn.bias_ih_l0.detach(), model.rnn.bias_hh_l0.detach()
    assert torch.equal(ih[6:12] + hh[6:12], torch.ones(6))  # gates i, f, g, o: f is rows 6..11
    assert not torch.equal(ih[:6], torch.zeros(6))  # the other gates keep PyTorch's random init
    assert build_from_config(model.config).config["params"]["forget_bias"] == 1.0
    with pytest.raises(MotifnetError, match="LSTM"):
        build("gru", 1, 50, forget_bias=1.0)


def test_chrono_forget_bias_spans_the_sequence_and_closes_the_input_gate():
    torch.manual_seed(0)
    model = build("lstm", 1, 200, hidden=64, forget_bias="chrono")
    ih, hh = model.rnn.bias_ih_l0.detach(), model.rnn.bias_hh_l0.detach()
    forget = ih[64:128] + hh[64:128]
    assert forget.min() >= 0 and forget.max() <= np.log(199) + 1e-6 and forget.max() > np.log(50)
    assert torch.equal(ih[:64] + hh[:64], -forget)  # input gate biases are the negatives
    front = build("lstm", 1, 200, hidden=8, forget_bias="chrono", conv_filters=4, conv_pool=10)
    assert (front.rnn.bias_ih_l0.detach()[8:16] <= np.log(19) + 1e-6).all()  # 20 steps after the pool
    with pytest.raises(MotifnetError, match="chrono"):
        build("lstm", 1, 50, forget_bias="sometimes")


def test_deepsea_paper_parameter_count_and_shape():
    model = build("deepsea", 919, 1000, preset="paper").eval()
    convs = (4 * 320 * 8 + 320) + (320 * 480 * 8 + 480) + (480 * 960 * 8 + 960)
    length = ((1000 - 7) // 4 - 7) // 4 - 7  # 53
    assert length == 53
    assert n_params(model) == convs + (960 * 53 * 925 + 925) + (925 * 919 + 919)
    with torch.no_grad():
        assert model(one_hot_batch(1, 1000)).shape == (1, 919)


@pytest.mark.parametrize("k", [1, 2, 4, 10, 25, 50, 100])
def test_koo_eddy_cnn_k_counts_and_total_pooling(k):
    model = build("cnn", 12, 200, preset=f"cnn-{k}")
    pools = [m.kernel_size for m in model.modules() if isinstance(m, nn.MaxPool1d)]
    assert pools == [p for p in (k, 100 // k) if p > 1]
    conv1, conv2 = 4 * 30 * 19 + 30, 30 * 128 * 5 + 128
    bn = 2 * (30 + 128 + 512)
    dense = 128 * 2 * 512 + 512  # 200 / 100 = 2 positions of 128 channels, flattened
    assert n_params(model) == conv1 + conv2 + bn + dense + 512 * 12 + 12
    model.eval()
    with torch.no_grad():
        assert model(one_hot_batch(2, 200)).shape == (2, 12)


# --- DeepBind halves, strands and first_conv ---------------------------------------------------------

def test_deepbind_forward_is_pool_head_of_conv_features_with_quarter_padding():
    model = build("deepbind", 2, 101, preset="paper").eval()
    x = one_hot_batch(3, 101)
    features = model.conv_features(x)
    assert features.shape == (3, 16, 101 + 24 - 1)
    padded = F.pad(x, (23, 23), value=0.25)
    torch.testing.assert_close(features, F.relu(F.conv1d(padded, model.conv.weight, model.conv.bias)))
    with torch.no_grad():
        torch.testing.assert_close(model(x), model.pool_head(features))
    unpadded = build("deepbind", 2, 101, pad_input=False)
    assert unpadded.conv_features(x).shape == (3, 16, 101 - 24 + 1)


def test_deepbind_both_strands_is_the_max_of_the_two_strands():
    both = build("deepbind", 3, 80, strands="both").eval()
    single = build("deepbind", 3, 80).eval()
    single.load_state_dict(both.state_dict())
    x = one_hot_batch(5, 80)
    with torch.no_grad():
        expected = torch.maximum(single(x), single(reverse_complement_one_hot(x)))
        torch.testing.assert_close(both(x), expected)
        torch.testing.assert_close(both(reverse_complement_one_hot(x)), both(x))


@pytest.mark.parametrize("mode", ["mean", "max"])
def test_reverse_complement_wrapper_is_strand_invariant(mode):
    torch.manual_seed(0)
    inner = build("cnn", 4, 90, global_pool="max").eval()
    wrapped = ReverseComplement(inner, mode).eval()
    x = one_hot_batch(6, 90)
    with torch.no_grad():
        assert not torch.allclose(inner(x), inner(reverse_complement_one_hot(x)))  # the model alone is not
        torch.testing.assert_close(wrapped(x), wrapped(reverse_complement_one_hot(x)))
        combine = (lambda a, b: (a + b) / 2) if mode == "mean" else torch.maximum
        torch.testing.assert_close(wrapped(x), combine(inner(x), inner(reverse_complement_one_hot(x))))
    rebuilt = build_from_config(json.loads(json.dumps(wrapped.config)))
    assert isinstance(rebuilt, ReverseComplement) and rebuilt.mode == mode
    with pytest.raises(MotifnetError):
        ReverseComplement(inner, "sum")


def test_first_conv_finds_the_nucleotide_convolution():
    deepbind = build("deepbind", 1, 101, preset="encode")
    assert first_conv(deepbind) is deepbind.conv
    assert first_conv(ReverseComplement(deepbind)) is deepbind.conv
    resnet = build("resnet", 1, 100, n_blocks=1)
    assert first_conv(resnet) is resnet.stem
    for key in ("cnn", "danq", "deepsea"):
        preset, params = SMALL[key]
        conv = first_conv(build(key, 1, 200, preset=preset, **params))
        assert conv.in_channels == 4
    assert first_conv(build("lstm", 1, 100, conv_filters=6)).out_channels == 6
    with pytest.raises(MotifnetError, match="no convolution"):
        first_conv(build("lstm", 1, 100))


# --- building blocks -------------------------------------------------------------------------------

def test_random_subsampling_pool_picks_window_members_in_training_and_means_in_eval():
    pool = RandomSubsamplePool1d(4)
    x = torch.arange(2 * 3 * 10, dtype=torch.float32).reshape(2, 3, 10)
    torch.manual_seed(0)
    out = pool.train()(x)
    assert out.shape == (2, 3, 2)
    for w in range(2):
        window = x[..., w * 4 : (w + 1) * 4]
        offset = out[..., w : w + 1] - window[..., :1]  # the picked offset, shared by channels
        assert ((offset >= 0) & (offset < 4)).all() and (offset == offset[:, :1]).all()
    picks = {tuple(pool(x)[0, 0].tolist()) for _ in range(20)}
    assert len(picks) > 1  # random
    torch.testing.assert_close(pool.eval()(x), F.avg_pool1d(x, 4))


@pytest.mark.parametrize("size, stride, ceil, length, reshaped", [
    (4, None, False, 10, True), (2, None, False, 100, True), (3, None, True, 9, True), (4, None, True, 12, True),
    (10, None, True, 118, False), (4, 2, False, 11, False), (5, None, True, 4, False)])  # partial window, overlap
def test_window_max_pool_matches_torch_outputs_and_gradients_ties_included(monkeypatch, size, stride, ceil, length,
                                                                         reshaped):
    x = torch.randint(0, 3, (3, 5, length)).float()  # small integers: many ties within a window
    x[0, 0, :] = float("-inf")
    fast, reference = x.clone().requires_grad_(), x.clone().requires_grad_()
    expected = nn.MaxPool1d(size, stride, ceil_mode=ceil)(reference)
    if reshaped:  # these settings must not reach torch's kernel
        monkeypatch.setattr(nn.MaxPool1d, "forward", lambda self, x: pytest.fail("torch's max pooling was called"))
    out = MaxPool1d(size, stride, ceil_mode=ceil)(fast)
    assert torch.equal(out, expected)
    weights = torch.randn_like(expected)
    (out * weights).sum().backward()
    (expected * weights).sum().backward()
    assert torch.equal(fast.grad, reference.grad)  # each window's first maximum takes the gradient


def test_window_max_pool_refuses_a_too_short_input_as_torch_does():
    with pytest.raises(RuntimeError):
        MaxPool1d(4)(torch.zeros(1, 2, 3))


def test_exponential_activation_and_same_padding_in_cnn():
    model = build("cnn", 1, 101, activation="exponential",
                  conv_layers=[{"filters": 4, "kernel_size": 8, "padding": "same", "stride": 2}], dense=[])
    conv_out = model.convs(one_hot_batch(2, 101))
    assert conv_out.shape == (2, 4, 51)  # ceil(101 / 2)
    assert (conv_out > 0).all()  # exp


def test_first_activation_changes_only_the_first_layer():
    from motifnet.models.layers import Exponential

    model = build("cnn", 12, 200, preset="cnn-2", first_activation="exp")
    first, second = model.convs[0], model.convs[1]
    assert any(isinstance(m, Exponential) for m in first) and not any(isinstance(m, nn.ReLU) for m in first)
    assert any(isinstance(m, nn.ReLU) for m in second) and not any(isinstance(m, Exponential) for m in second)
    assert n_params(model) == n_params(build("cnn", 12, 200, preset="cnn-2"))
    own = build("cnn", 1, 50, first_activation="exp", dense=[],
                conv_layers=[{"filters": 2, "kernel_size": 5, "activation": "tanh"}])
    assert isinstance(own.convs[0][-1], nn.Tanh)  # a layer's own activation wins


def test_resnet_plain_twin_has_the_same_convolutions_without_shortcuts():
    residual = build("resnet", 1, 100, n_blocks=3, channels=[8, 16, 16], initial_filters=8)
    plain = build("resnet", 1, 100, n_blocks=3, channels=[8, 16, 16], initial_filters=8, residual=False)
    projection = 8 * 16  # one 1x1 projection (8 -> 16 channels), no bias
    assert n_params(residual) - n_params(plain) == projection
    convs = lambda m: sum(isinstance(x, nn.Conv1d) and x.kernel_size[0] > 1 for x in m.modules())  # noqa: E731
    assert convs(residual) == convs(plain) == 1 + 2 * 3
    # the identity path really is added: zeroing a block's second conv leaves its input unchanged
    block = residual.blocks[0]
    nn.init.zeros_(block.conv2.weight), nn.init.zeros_(block.conv2.bias)
    h = torch.randn(2, 8, 30)
    torch.testing.assert_close(block(h), h)


def test_recurrent_last_output_joins_the_two_directions_final_states():
    model = build("gru", 1, 50, hidden=5, bidirectional=True, output="last").eval()
    model.head = nn.Identity()
    x = one_hot_batch(3, 50)
    with torch.no_grad():
        outputs, _ = model.rnn(x.transpose(1, 2))
        expected = torch.cat([outputs[:, -1, :5], outputs[:, 0, 5:]], dim=1)
        torch.testing.assert_close(model(x), expected)


# --- every model learns ----------------------------------------------------------------------------

NO_DROPOUT = {
    "deepbind": {"dropout": 0.0}, "deepbind-encode": {"dropout": 0.0}, "deepsea": {"dropout": [0, 0, 0]},
    "danq": {"conv_dropout": 0.0, "lstm_dropout": 0.0}, "cnn-25": {"conv_dropout": 0.0, "dense_dropout": 0.0},
}


@pytest.mark.parametrize("key", sorted(SMALL))
def test_loss_goes_down_in_a_few_adam_steps(key):
    preset, params = SMALL[key]
    torch.manual_seed(0)
    model = build(family(key), 2, 100, preset=preset, **{**params, **NO_DROPOUT.get(key, {})})
    x, y = one_hot_batch(16, 100, seed=1), (torch.rand(16, 2, generator=torch.Generator().manual_seed(2)) > 0.5).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def loss() -> torch.Tensor:
        torch.manual_seed(3)  # the same random-pooling draws each time
        return F.binary_cross_entropy_with_logits(model(x), y)

    first = loss().item()
    for _ in range(15):
        optimizer.zero_grad()
        value = loss()
        value.backward()
        optimizer.step()
    assert loss().item() < 0.95 * first
