"""Motif discovery from models: filters -> PPMs -> Tomtom, ISM/gradients, localization, logos."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from motifnet.errors import MotifnetError
from motifnet.interpret import attribution, filters, localization, logos, tomtom
from motifnet.models import ReverseComplement, build, has_affine_stem
from motifnet.sequence import one_hot



@pytest.fixture(scope="module")
def jaspar():
    return tomtom.load_database("JASPAR2024", "CORE", "vertebrates")


def _plant(rng, n, length, ppms, fraction=0.5):
    """Random sequences; a ``fraction`` of them hold one instance sampled from one of ``ppms``
    (random strand). Returns tokens [n, L], labels [n] (motif index or -1), starts [n]."""
    tokens = rng.integers(0, 4, size=(n, length)).astype(np.uint8)
    labels = np.full(n, -1)
    starts = np.full(n, -1)
    for i in np.flatnonzero(rng.random(n) < fraction):
        m = int(rng.integers(len(ppms)))
        ppm = ppms[m] if rng.random() < 0.5 else ppms[m][::-1, ::-1]
        k = ppm.shape[1]
        site = np.array([rng.choice(4, p=ppm[:, j] / ppm[:, j].sum()) for j in range(k)], dtype=np.uint8)
        start = int(rng.integers(0, length - k + 1))
        tokens[i, start : start + k] = site
        labels[i], starts[i] = m, start
    return tokens, labels, starts


class MaxPoolNet(nn.Module):
    """conv -> ReLU -> global max -> linear: the smallest DeepBind-like model."""

    def __init__(self, n_filters: int, length: int, n_targets: int = 1):
        super().__init__()
        self.conv = nn.Conv1d(4, n_filters, length)
        self.linear = nn.Linear(n_filters, n_targets)

    def forward(self, x):
        return self.linear(torch.relu(self.conv(x)).amax(dim=-1))


# ---------------------------------------------------------------------------------------------
# Filters -> PPMs -> Tomtom


def test_filters_set_to_jaspar_motifs_are_recovered_by_tomtom(jaspar):
    names = ["MA0139", "MA0080", "MA0035"]  # CTCF, SPI1, GATA1
    ppms = [jaspar.probabilities[jaspar.index(name)] for name in names]
    width = max(p.shape[1] for p in ppms)
    model = MaxPoolNet(len(ppms), width)
    with torch.no_grad():
        model.conv.weight.zero_()
        for f, ppm in enumerate(ppms):  # log-odds, left-aligned; unused columns stay 0
            model.conv.weight[f, :, : ppm.shape[1]] = torch.from_numpy(np.log2((ppm + 0.01) / 0.26 / 1.0))
        model.conv.bias.zero_()
    rng = np.random.default_rng(0)
    tokens, _, _ = _plant(rng, 600, 100, ppms, fraction=0.6)
    found = filters.activation_motifs(model, tokens, threshold=0.5)
    assert found.counts.shape == (3, 4, width) and (found.n_sites > 20).all()
    kept, queries, _ = tomtom.informative_queries(found.probabilities(), found.n_sites)
    assert list(kept) == [0, 1, 2]
    result = tomtom.tomtom(queries, jaspar, [found.names[i] for i in kept])
    best = [jaspar.ids[t].split(".")[0] for t in result.best()]
    assert best == names
    assert (result.e_values[np.arange(3), result.best()] < 1e-3).all()
    score = tomtom.recovery(result, names)
    assert score.motif_recovery_fraction == 1.0 and score.filter_match_fraction == 1.0
    # The weight view of the same filters finds them too.
    weights = filters.weight_motifs(model, scale=np.log(2))
    kept, queries, _ = tomtom.informative_queries(weights.probabilities(), weights.n_sites)
    again = tomtom.tomtom(queries, jaspar)
    assert [jaspar.ids[t].split(".")[0] for t in again.best()] == [names[i] for i in kept]


def test_activation_windows_respect_padding_and_threshold():
    conv = nn.Conv1d(4, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, :] = 1.0  # counts A's in a window of 3
    tokens = np.array([[0, 0, 0, 1, 2, 3], [1, 1, 1, 1, 0, 0]], dtype=np.uint8)  # AAACGT, CCCCAA
    found = filters.activation_motifs(conv, tokens, threshold=1.0)
    # Only the window AAA (max 3) reaches 1.0 x max.
    assert found.n_sites[0] == 1 and found.max_activation[0] == 3
    np.testing.assert_array_equal(found.counts[0], [[1, 1, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
    found = filters.activation_motifs(conv, tokens, threshold=0.5)
    # Windows with >= 1.5 A's: (pad,A,A), AAA, AAC in the first; CAA, (A,A,pad) in the second.
    assert found.n_sites[0] == 5
    np.testing.assert_array_equal(found.counts[0][0], [3, 5, 3])
    assert found.counts[0][1:].sum() == 2  # the C of AAC and of CAA


def test_uninformative_queries_are_not_compared(jaspar):
    flat = np.full((4, 12), 0.25) + np.random.default_rng(1).normal(0, 0.01, (4, 12))
    sharp = jaspar.probabilities[jaspar.index("MA0139")]
    padded = np.stack([np.pad(m, ((0, 0), (0, 19 - m.shape[1])), constant_values=0.25) for m in (flat, sharp)])
    kept, trimmed, starts = tomtom.informative_queries(padded / padded.sum(1, keepdims=True))
    assert list(kept) == [1] and trimmed[0].shape[1] <= sharp.shape[1]


def test_benjamini_hochberg_matches_definition():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    np.testing.assert_allclose(tomtom.benjamini_hochberg(p), [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


# ---------------------------------------------------------------------------------------------
# ISM and gradients on hand-built models with known outputs


class KnownFunction(nn.Module):
    """f_t(x) = sum(W_t * x) + 5 * x[A, 3] * x[C, 4]  (t = 0, 1), counting its inputs."""

    def __init__(self, length: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(2, 4, length, generator=torch.Generator().manual_seed(3)))
        self.seen = 0

    def forward(self, x):
        self.seen += len(x)
        linear = torch.einsum("tcl,bcl->bt", self.weight, x)
        return linear + 5.0 * (x[:, 0, 3] * x[:, 1, 4]).unsqueeze(1)


def _expected_ism(weight: np.ndarray, tokens: np.ndarray, target: int) -> np.ndarray:
    """Closed form: the linear term changes by W[c, l] - W[obs, l]; the product term by 5 when
    the edit creates A at 3 next to C at 4, -5 when it breaks an existing one."""
    n, length = tokens.shape
    out = np.zeros((n, 4, length))
    for i in range(n):
        product = tokens[i, 3] == 0 and tokens[i, 4] == 1
        for l in range(length):
            for c in range(4):
                if c == tokens[i, l]:
                    continue
                mutated = tokens[i].copy()
                mutated[l] = c
                after = mutated[3] == 0 and mutated[4] == 1
                out[i, c, l] = weight[target, c, l] - weight[target, tokens[i, l], l] + 5.0 * (int(after) - int(product))
    return out


def test_ism_gives_exact_effects_and_skips_identity_edits():
    length = 12
    model = KnownFunction(length)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 4, size=(5, length)).astype(np.uint8)
    tokens[0, 3], tokens[0, 4] = 0, 1  # one sequence holds the A-C pair
    targets = np.array([0, 1, 0, 1, 1])
    effects = attribution.ism(model, one_hot(tokens), targets, batch_size=7)
    expected = np.stack([_expected_ism(model.weight.detach().numpy(), tokens[i : i + 1], targets[i])[0] for i in range(5)])
    np.testing.assert_allclose(effects.numpy(), expected, atol=1e-5)
    assert model.seen == 5 + 5 * 3 * length  # references + only the 3 real edits per position
    # An N position is tried with all four bases.
    model.seen = 0
    tokens[1, 6] = 4
    effects = attribution.ism(model, tokens[1:2], 1)
    assert model.seen == 1 + 3 * (length - 1) + 4
    weight = model.weight.detach().numpy()[1]
    np.testing.assert_allclose(effects[0, :, 6].numpy(), weight[:, 6], atol=1e-5)


def test_gradients_and_integrated_gradients_on_a_linear_model():
    length = 10
    model = KnownFunction(length)
    with torch.no_grad():
        model.weight[:, 0, 3] = 0.0
    tokens = np.random.default_rng(2).integers(1, 4, size=(4, length)).astype(np.uint8)  # no A: product term 0
    x = one_hot(tokens)
    weight = model.weight.detach()[0]
    gxi = attribution.grad_x_input(model, x, 0)
    np.testing.assert_allclose(gxi.numpy(), ((weight - weight.mean(0)) * x).numpy(), atol=1e-6)
    raw = attribution.saliency(model, x, 0, center=False)
    np.testing.assert_allclose(raw.numpy(), weight.expand_as(x).numpy(), atol=1e-6)
    ig, delta = attribution.integrated_gradients(model, x, 0, baseline="zeros", steps=4, return_delta=True)
    np.testing.assert_allclose(ig.numpy(), (weight * x).numpy(), atol=1e-5)
    assert delta.abs().max() < 1e-4
    importance = attribution.ism_importance(attribution.ism(model, x, 0), x)
    np.testing.assert_allclose(importance.numpy(), gxi.numpy() * 4 / 3, atol=1e-5)


STEM_MODELS = {  # models whose forward starts with an affine stem (padding, convolution, batch norm)
    "danq": lambda: build("danq", 3, 40, preset="classroom"),
    "danq_batch_norm": lambda: build("danq", 3, 40, preset="classroom", batch_norm=True),
    "lstm_conv_front": lambda: build("lstm", 3, 40, conv_filters=8, conv_kernel=5, conv_pool=2, hidden=6,
                                     bidirectional=True),
    "rnn_no_front": lambda: build("rnn", 3, 40, hidden=6),
    "resnet": lambda: build("resnet", 3, 40, initial_filters=8, n_blocks=2, channels=8, block_pool=2),
    "deepbind": lambda: build("deepbind", 3, 40, n_filters=8, filter_length=9),
    "deepbind_unpadded_linear_head": lambda: build("deepbind", 3, 40, n_filters=8, filter_length=9, pad_input=False,
                                                   hidden=0),
    "deepbind_both_strands_maxavg": lambda: build("deepbind", 3, 40, n_filters=8, filter_length=9, strands="both",
                                                  pool="maxavg"),
    "cnn_batch_norm": lambda: build("cnn", 3, 40, conv_layers=[{"filters": 8, "kernel_size": 7, "padding": "same",
                                                                "batch_norm": True, "pool_size": 2},
                                                               {"filters": 8, "kernel_size": 3}]),
    "danq_reverse_complement_mean": lambda: ReverseComplement(build("danq", 3, 40, preset="classroom"), "mean"),
    "deepsea": lambda: build("deepsea", 3, 40, filters=[8, 8], filter_length=5, pool_size=2, dropout=[0.1, 0.1],
                             dense=8),
}


def _trained_statistics(model):
    """``model`` in eval mode with batch-norm running statistics away from their initial 0 / 1."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.mark.parametrize("name", sorted(STEM_MODELS))
def test_the_stem_is_the_affine_start_of_the_forward_pass(name):
    torch.manual_seed(0)
    model = _trained_statistics(STEM_MODELS[name]())
    rng = np.random.default_rng(0)
    x, x0 = (one_hot(rng.integers(0, 4, size=(6, 40)).astype(np.uint8)) for _ in range(2))
    with torch.no_grad():
        torch.testing.assert_close(model.from_affine_stem(model.affine_stem(x)), model(x))
        h0, h1 = model.affine_stem(x0), model.affine_stem(x)
        for alpha in (0.0, 0.3, 1.0):  # affine: the straight path maps to the straight path
            torch.testing.assert_close(model.affine_stem(x0 + alpha * (x - x0)), h0 + alpha * (h1 - h0),
                                       atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(STEM_MODELS))
def test_integrated_gradients_through_the_stem_match_those_from_the_input(name):
    torch.manual_seed(1)
    model = _trained_statistics(STEM_MODELS[name]())
    hidden_stem = nn.Sequential(model)  # the same function, differentiated from the input at every step
    tokens = np.random.default_rng(1).integers(0, 4, size=(9, 40)).astype(np.uint8)
    targets = np.arange(9) % 3
    options = {"steps": 6, "n_baselines": 2, "batch_size": 4, "return_delta": True}
    for hypothetical in (False, True):
        ours, delta = attribution.integrated_gradients(model, tokens, targets, hypothetical=hypothetical, **options)
        reference, reference_delta = attribution.integrated_gradients(hidden_stem, tokens, targets,
                                                                      hypothetical=hypothetical, **options)
        scale = float(reference.abs().max())
        assert scale > 0
        # float32 rounding; a max-pool near-tie that rounding resolves the other way at one path point
        # moves that step's gradient, so all but a few entries must agree to rounding
        close = (ours - reference).abs() <= 1e-5 * scale + 1e-4 * reference.abs()
        assert float(close.float().mean()) > 0.99
        torch.testing.assert_close(delta, reference_delta, atol=1e-3 * scale, rtol=1e-3)


def test_which_models_have_an_affine_stem():
    assert all(has_affine_stem(make()) for make in STEM_MODELS.values())
    plain = nn.Sequential(nn.Conv1d(4, 2, 3), nn.Flatten())
    assert not has_affine_stem(plain) and not has_affine_stem(ReverseComplement(plain))


def test_integrated_gradients_run_the_stem_once_per_batch_and_baseline_not_per_step():
    torch.manual_seed(2)
    model = build("danq", 3, 40, preset="classroom").eval()
    calls = []
    model.conv.register_forward_hook(lambda module, inputs, output: calls.append(len(inputs[0])))
    tokens = np.random.default_rng(2).integers(0, 4, size=(10, 40)).astype(np.uint8)
    attribution.integrated_gradients(model, tokens, 0, steps=16, n_baselines=1, batch_size=4)
    # per batch of 4, 4, 2: the baseline, the sequences and the transpose's probe; then the
    # baseline's outputs (one forward pass per batch)
    assert calls == [4, 4, 4] * 2 + [2, 2, 2] + [4, 4, 2]


def test_integrated_gradients_need_a_step_and_a_baseline():
    model = build("danq", 3, 40, preset="classroom")
    tokens = np.zeros((2, 40), dtype=np.uint8)
    for options in ({"steps": 0}, {"n_baselines": 0}):
        with pytest.raises(MotifnetError, match="steps and n_baselines must be >= 1"):
            attribution.integrated_gradients(model, tokens, 0, **options)


def test_gradients_work_for_recurrent_models():
    torch.manual_seed(0)

    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(4, 8, batch_first=True, bidirectional=True)
            self.linear = nn.Linear(16, 2)

        def forward(self, x):
            return self.linear(self.lstm(x.transpose(1, 2))[0][:, -1])

    model = Recurrent().train()
    x = one_hot(np.random.default_rng(0).integers(0, 4, size=(3, 20)).astype(np.uint8))
    for method in attribution.METHODS:
        if method == "deep_lift_shap":  # no DeepLIFT rule for recurrent layers: a clear error
            with pytest.raises(MotifnetError, match=r"lstm \(LSTM\).*integrated_gradients"):
                attribution.attribute(model, x, method, target=1)
            continue
        options = {"steps": 8} if method == "integrated_gradients" else {}
        attr = attribution.attribute(model, x, method, target=1, **options)
        assert attr.shape == x.shape and torch.isfinite(attr).all() and attr.abs().sum() > 0
        assert (attr * (1 - x)).abs().max() == 0  # observed-base form
    assert model.training  # restored


# ---------------------------------------------------------------------------------------------
# Localization


def test_best_windows_and_chance():
    scores = np.zeros((3, 20))
    scores[0, 5:9] = 1
    scores[1, 15:] = 2
    scores[2, [2, 12]] = 5
    np.testing.assert_array_equal(localization.best_windows(scores, 4), [5, 15, 1])  # 2: centred run 0..2
    sites = np.array([(0, 0, 5, 9, 1), (1, 0, 10, 14, 1), (2, 0, 12, 16, 1)],
                     dtype=[("sequence", "i8"), ("motif", "i4"), ("start", "i4"), ("end", "i4"), ("strand", "i1")])
    result = localization.localize(scores, sites)
    np.testing.assert_array_equal(result.hit, [True, False, False])
    np.testing.assert_allclose(result.distance, [0, 5, -11])
    # Chance: a width-4 window has 17 starts; 4 of them put the centre inside a 4-wide site.
    assert result.chance == pytest.approx(4 / 17)
    summary = result.summary()
    assert summary["n_sites"] == 3 and summary["hit_rate"] == pytest.approx(1 / 3)


def _train(model, x, y, steps=150, seed=0):
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for step in range(steps):
        rows = torch.randint(0, len(x), (64,))
        loss = nn.functional.binary_cross_entropy_with_logits(model(x[rows])[:, 0], y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def test_attributions_localize_only_when_labels_are_real():
    rng = np.random.default_rng(4)
    consensus = np.eye(4)[[2, 0, 3, 0, 1, 1, 2, 3, 0, 2]].T * 0.97 + 0.0075  # GATACCGTAG
    tokens, labels, starts = _plant(rng, 800, 60, [consensus], fraction=0.5)
    x = one_hot(tokens)
    y = torch.from_numpy((labels >= 0).astype(np.float32))
    positive = np.flatnonzero(labels >= 0)
    sites = np.zeros(len(positive), dtype=[("start", "i4"), ("end", "i4")])
    sites["start"], sites["end"] = starts[positive], starts[positive] + 10
    rates = {}
    for name, target in [("real", y), ("shuffled", y[torch.from_numpy(rng.permutation(len(y)))])]:
        torch.manual_seed(0)
        model = _train(MaxPoolNet(8, 10), x, target)
        scores = attribution.position_scores(attribution.attribute(model, x[positive], "grad_x_input", 0))
        result = localization.localize(scores.numpy(), sites)
        rates[name] = (result.hit_rate, result.chance)
        # Activation view: the two filters that drive the output most.
        top = np.argsort(-filters.filter_importance(model, x[positive]))[:2]
        activation = localization.activation_scores(model, x[positive], filters=top)
        rates[name + "_activation"] = localization.localize(activation, sites, peak=True).hit_rate
    hit, chance = rates["real"]
    assert hit > 0.9 and rates["real_activation"] > 0.9
    hit, chance = rates["shuffled"]
    assert hit < chance + 0.25 and rates["shuffled_activation"] < chance + 0.25


# ---------------------------------------------------------------------------------------------
# Logos


def test_both_strands_counts_minus_strand_instances_in_the_filters_orientation(jaspar):
    ctcf = jaspar.probabilities[jaspar.index("MA0139")]
    model = MaxPoolNet(1, ctcf.shape[1])
    model.strands = "both"
    with torch.no_grad():
        model.conv.weight[0] = torch.from_numpy(np.log2((ctcf + 0.01) / 0.26))
        model.conv.bias.zero_()
    rng = np.random.default_rng(1)
    tokens, _, _ = _plant(rng, 400, 60, [ctcf[::-1, ::-1].copy()], fraction=0.5)  # both strands of the RC
    forward = filters.activation_motifs(model, tokens, threshold=0.6)
    both = filters.activation_motifs(model, tokens, threshold=0.6, strands=filters.model_strands(model))
    assert filters.model_strands(model) == "both" and filters.model_strands(MaxPoolNet(1, 3)) == "forward"
    assert both.n_sites[0] > 1.6 * forward.n_sites[0] > 0
    consensus = ctcf.argmax(axis=0)
    assert (both.probabilities()[0].argmax(axis=0) == consensus).mean() > 0.9
    with pytest.raises(Exception, match="strands"):
        filters.activation_motifs(model, tokens, strands="minus")


def test_logo_figures_save_as_png_and_svg(tmp_path, jaspar):
    from matplotlib.figure import Figure

    ctcf = jaspar.probabilities[jaspar.index("MA0139")]
    figure = logos.filter_match_figure(ctcf[:, 3:15], "filter0", ctcf, "CTCF", offset=3, strand="+", e_value=1e-9)
    assert isinstance(figure, Figure) and len(figure.axes) == 2
    written = logos.save_figure(figure, tmp_path / "logos" / "filter0")
    assert [p.suffix for p in written] == [".png", ".svg"]
    assert written[0].read_bytes()[:4] == b"\x89PNG" and b"<svg" in written[1].read_bytes()[:500]
    q, t = logos.aligned_pair(ctcf[:, 3:15], ctcf, 3, "+")
    np.testing.assert_allclose(q[:, 3:15], t[:, 3:15])  # aligned columns coincide
    attr = np.zeros((4, 40))
    attr[1, 10:20] = 1.0
    figure = logos.attribution_figure(attr, "seq1", site=(10, 20), predicted=(11, 21))
    assert len(figure.axes[0].patches) >= 2
    with pytest.raises(Exception):
        logos.attribution_figure(np.zeros((3, 5)))


def test_the_attribution_legend_stands_beside_the_letters_not_over_them():
    attr = np.random.default_rng(0).normal(size=(4, 60))
    figure = logos.attribution_figure(attr, "seq1", site=(10, 20), predicted=(11, 21))
    figure.draw_without_rendering()  # runs the constrained layout, as saving does
    ax = figure.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert ax.get_legend_handles_labels()[1] == ["true site", "predicted site"]
    assert legend.x0 >= ax.get_window_extent().x1  # right of the axes, inside the figure
    assert legend.x1 <= figure.bbox.x1


def test_true_motifs_are_matched_by_their_matrix_not_every_matrix_of_the_factor(jaspar):
    by_name = {jaspar.ids[i] for i in tomtom.matching(jaspar, "CTCF")}
    assert {"MA0139.2", "MA1929.2", "MA1930.2"} <= by_name
    assert [jaspar.ids[i] for i in tomtom.matching(jaspar, "MA0139.2 CTCF")] == ["MA0139.2"]
    assert tomtom.matching(jaspar, "MA0139.1 CTCF", exact=True) == []  # another version: no match
    assert [jaspar.ids[i] for i in tomtom.matching(jaspar, "MA0139.1 CTCF")] == ["MA0139.2"]
    # A query best matching the extended CTCF matrix does not recover MA0139.
    extended = jaspar.probabilities[jaspar.index("MA1930")]
    result = tomtom.tomtom([extended], jaspar, ["filter0"])
    assert jaspar.ids[result.best()[0]] == "MA1930.2"
    assert tomtom.recovery(result, ["MA0139.2 CTCF"]).motif_recovery_fraction == 0.0
    assert tomtom.recovery(result, ["CTCF"]).motif_recovery_fraction == 1.0


def test_activation_threshold_is_on_the_layer_output_after_batch_norm():
    torch.manual_seed(0)
    model = build("cnn", 1, 40, conv_layers=[{"filters": 3, "kernel_size": 5, "batch_norm": True, "pool_size": 4}],
                  dense=[]).eval()
    bn = model.convs[0][1]
    with torch.no_grad():  # a per-filter shift, as training leaves it
        bn.running_mean.copy_(torch.tensor([-2.0, 0.5, 1.0]))
        bn.running_var.copy_(torch.tensor([4.0, 1.0, 0.25]))
        bn.bias.copy_(torch.tensor([0.3, -0.2, 1.5]))
    tokens = np.random.default_rng(1).integers(0, 4, size=(64, 40), dtype=np.uint8)
    x = one_hot(torch.from_numpy(tokens))
    with torch.no_grad():
        layer = model.convs[0][2](bn(model.convs[0][0](x)))  # conv -> batch norm -> ReLU: [B, F, 36]
        raw = model.convs[0][0](x)
    assert [type(m).__name__ for m in filters.layer_activation(model)] == ["BatchNorm1d", "ReLU"]
    for mode, values in (("layer", layer), ("conv", raw)):
        got = filters.activation_motifs(model, tokens, activation=mode, batch_size=7)
        above = values >= 0.5 * values.amax(dim=(0, 2), keepdim=True)
        assert got.n_sites.tolist() == above.sum(dim=(0, 2)).tolist(), mode
    assert (filters.activation_motifs(model, tokens).n_sites != filters.activation_motifs(model, tokens, activation="conv").n_sites).any()
    weighted = filters.activation_motifs(model, tokens, weighted=True)
    assert np.allclose(weighted.counts.sum(axis=(1, 2)), (layer * (layer >= 0.5 * layer.amax(dim=(0, 2), keepdim=True))).sum(dim=(0, 2)) * 5, rtol=1e-5)
    assert not model.convs[0][1].training  # the model's own modules untouched
    with pytest.raises(Exception, match="'layer' or 'conv'"):
        filters.activation_motifs(model, tokens, activation="relu")


def test_tomtom_on_one_strand_only_for_rna(jaspar):
    t = tomtom.matching(jaspar, "MA0139.2", exact=True)[0]
    reverse = np.asarray(jaspar.probabilities[t])[::-1, ::-1].copy()  # CTCF's reverse complement
    both = tomtom.tomtom([reverse], jaspar, n_jobs=1)
    forward_only = tomtom.tomtom([reverse], jaspar, n_jobs=1, reverse_complement=False)
    assert both.strands[0, t] == 1 and both.best()[0] == t
    assert (forward_only.strands == 0).all() and forward_only.p_values[0, t] > 1000 * both.p_values[0, t]
