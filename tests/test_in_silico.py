"""In-silico experiments on hand-made models whose answers are known: a detector of one motif,
a detector of a motif pair at one spacing and orientation, and the sum of two single detectors."""

import numpy as np
import pytest
import torch
from torch import nn

from motifnet.errors import MotifnetError
from motifnet.interpret import in_silico
from motifnet.sequence import encode, one_hot, reverse_complement
from tiny_models import random_tokens

FIRST, SECOND = "CCATGAATGC", "GGATTCAGTT"  # neither is its own reverse complement
GAP = 3  # the pair model reads FIRST, then SECOND GAP bases after FIRST's end


class MotifDetector(nn.Module):
    """One output per pattern: ReLU(match score - (matched bases - 0.5)) at the best position,
    so 0.5 on an exact match and 0 otherwise; 'N' columns match anything."""

    def __init__(self, patterns):
        super().__init__()
        width = max(len(p) for p in patterns)
        self.conv = nn.Conv1d(4, len(patterns), width)
        with torch.no_grad():
            self.conv.weight.zero_()
            for k, pattern in enumerate(patterns):
                self.conv.weight[k, :, : len(pattern)] = one_hot(encode(pattern)[None])[0]
                self.conv.bias[k] = 0.5 - sum(base != "N" for base in pattern)

    def forward(self, x):
        return torch.relu(self.conv(x)).amax(dim=-1)


class Additive(nn.Module):
    """The sum of two single-motif detectors: no interaction at any spacing."""

    def __init__(self):
        super().__init__()
        self.detector = MotifDetector([FIRST, SECOND])

    def forward(self, x):
        return self.detector(x).sum(dim=1, keepdim=True)


@pytest.fixture(scope="module")
def background():
    return in_silico.backgrounds(random_tokens(40, 60, seed=1, with_n=False), n=50, seed=2)


def test_backgrounds_keep_composition_and_count(background):
    source = random_tokens(40, 60, seed=1, with_n=False)
    assert background.shape == (50, 60)
    again = in_silico.backgrounds(source, n=50, seed=2)
    np.testing.assert_array_equal(background, again)
    assert not np.array_equal(in_silico.backgrounds(source, n=50, seed=3), background)
    every_row = in_silico.backgrounds(source, n=len(source), seed=2)  # each source row once, shuffled

    def base_counts(rows):
        return sorted(map(tuple, np.apply_along_axis(np.bincount, 1, rows, minlength=4)))

    assert base_counts(every_row) == base_counts(source) and not np.array_equal(np.sort(every_row, 0), np.sort(source, 0))


def test_insert_writes_the_motif_and_keeps_n_columns(background):
    changed = in_silico.insert(background, "ACNT", 5)
    np.testing.assert_array_equal(changed[:, [5, 6, 8]], np.tile(encode("ACT"), (len(background), 1)))
    np.testing.assert_array_equal(changed[:, 7], background[:, 7])
    np.testing.assert_array_equal(np.delete(changed, [5, 6, 8], axis=1), np.delete(background, [5, 6, 8], axis=1))
    with pytest.raises(MotifnetError, match="does not fit"):
        in_silico.insert(background, FIRST, 55)


def test_marginalize_raises_only_the_output_that_reads_the_motif(background):
    model = MotifDetector([FIRST, SECOND])
    effect = in_silico.marginalize(model, background, FIRST, target=None)
    assert effect.before.shape == effect.after.shape == (50, 2)
    np.testing.assert_allclose(effect.change[:, 0], 0.5, atol=1e-6)
    np.testing.assert_allclose(effect.change[:, 1], 0.0, atol=1e-6)
    one = in_silico.marginalize(model, background, FIRST, target=0)
    np.testing.assert_allclose(one.change, effect.change[:, 0])
    assert one.summary()["mean_change"] == pytest.approx(0.5, abs=1e-5)
    assert effect.summary()["mean_change"] == pytest.approx([0.5, 0.0], abs=1e-4)


def test_ablate_removes_the_site_and_nothing_else(background):
    model = MotifDetector([FIRST])
    with_site = in_silico.insert(background, FIRST, 20)
    site = in_silico.ablate(model, with_site, 16, 32, n_shuffles=5)  # the site and its flanks
    elsewhere = in_silico.ablate(model, with_site, 40, 50, n_shuffles=5)
    np.testing.assert_allclose(site.before, 0.5, atol=1e-6)
    assert site.change.mean() < -0.3
    np.testing.assert_allclose(elsewhere.change, 0.0, atol=1e-6)
    again = in_silico.ablate(model, with_site, 16, 32, n_shuffles=5)
    np.testing.assert_array_equal(site.after, again.after)  # seeded


@pytest.mark.parametrize("window", [(5, 5), (-1, 4), (50, 61)])
def test_ablate_rejects_windows_outside_the_sequence(background, window):
    with pytest.raises(MotifnetError, match="ablation window"):
        in_silico.ablate(MotifDetector([FIRST]), background, *window)


def test_space_finds_the_one_cooperative_spacing_and_orientation(background):
    pair = MotifDetector([FIRST + "N" * GAP + SECOND])
    result = in_silico.space(pair, background, FIRST, SECOND, spacings=range(0, 8), orientations=("++", "+-"))
    assert result.interaction.shape == (2, 8)
    np.testing.assert_allclose(result.first_alone, 0.0, atol=1e-6)
    np.testing.assert_allclose(result.second_alone, 0.0, atol=1e-6)
    expected = np.zeros((2, 8))
    expected[0, GAP] = 0.5
    np.testing.assert_allclose(result.interaction, expected, atol=1e-6)
    summary = result.summary()
    assert summary["orientations"] == ["++", "+-"] and summary["interaction"][0][GAP] == pytest.approx(0.5)


def test_space_of_an_additive_model_has_no_interaction(background):
    result = in_silico.space(Additive(), background, FIRST, SECOND, spacings=[0, 2, 5, 10],
                             orientations=("++", "+-", "-+", "--"))
    np.testing.assert_allclose(result.interaction, 0.0, atol=1e-5)
    np.testing.assert_allclose(result.first_alone[0], 0.5, atol=1e-6)  # FIRST as given
    assert reverse_complement(FIRST) != FIRST
    np.testing.assert_allclose(result.first_alone[2], 0.0, atol=1e-6)  # reverse-complemented: unread


def test_space_does_not_depend_on_batch_size(background):
    pair = MotifDetector([FIRST + "N" * GAP + SECOND])
    one = in_silico.space(pair, background, FIRST, SECOND, spacings=[1, 3], batch_size=1)
    many = in_silico.space(pair, background, FIRST, SECOND, spacings=[1, 3], batch_size=64)
    np.testing.assert_allclose(one.both, many.both, atol=1e-6)


def test_space_rejects_unknown_orientations_and_rna_reverse_strands(background):
    model = Additive()
    with pytest.raises(MotifnetError, match="unknown orientation"):
        in_silico.space(model, background, FIRST, SECOND, [0], orientations=("+*",))
    with pytest.raises(MotifnetError, match="one strand"):
        in_silico.space(model, background, FIRST, SECOND, [0], orientations=("++", "+-"), alphabet="RNA")
    with pytest.raises(MotifnetError, match="does not fit"):
        in_silico.space(model, background, FIRST, SECOND, [50])


def test_backgrounds_need_sequences():
    with pytest.raises(MotifnetError, match="backgrounds need"):
        in_silico.backgrounds(np.zeros((0, 10), np.uint8))


class ClassroomReader(nn.Module):
    """One log-odds filter per true motif -> ReLU -> global max -> one output per class, the
    last ('none') constant: inserting motif k raises output k."""

    def __init__(self, ppms):
        super().__init__()
        width = max(p.shape[1] for p in ppms)
        self.conv = nn.Conv1d(4, len(ppms), width)
        with torch.no_grad():
            self.conv.weight.zero_()
            for k, ppm in enumerate(ppms):
                self.conv.weight[k, :, : ppm.shape[1]] = torch.as_tensor(np.log2((ppm + 0.01) / 0.25))
            self.conv.bias.fill_(-4.0)

    def forward(self, x):
        pooled = torch.relu(self.conv(x)).amax(dim=-1)
        return torch.cat([pooled, torch.zeros(len(x), 1)], dim=1)


@pytest.fixture(scope="module")
def classroom_step(tmp_path_factory):
    from motifnet.interpret.pipeline import Options, interpret
    from motifnet.interpret.truth import true_motifs
    from motifnet.simulate import simulate

    data = simulate("classroom", n_per_class=4, seed=0)
    model = ClassroomReader([t.probabilities for t in true_motifs(data)]).eval()
    options = Options(filters=False, attributions=False, in_silico=True, n_backgrounds=20, split="all")
    out = tmp_path_factory.mktemp("in_silico")
    return data, interpret(model, data, out, options)


def test_in_silico_step_inserts_every_true_motif_and_finds_its_own_output(classroom_step):
    data, summary = classroom_step
    info = summary["in_silico"]
    rows = info["marginalization"]
    assert [r["motif"] for r in rows] == data.motif_names
    assert all(r["top_output"] == r["motif"] for r in rows) and summary["in_silico_own_output_fraction"] == 1.0
    assert all(len(r["mean_change"]) == len(data.target_names) and r["mean_change"][-1] == 0 for r in rows)
    spacing = info["spacing"]
    assert spacing["orientations"] == ["++", "+-"] and spacing["spacings"][0] == 0
    assert {spacing["first"], spacing["second"]} <= set(data.motif_names) and spacing["first"] != spacing["second"]
    assert np.asarray(spacing["interaction"]).shape == (2, len(spacing["spacings"]))


def test_in_silico_step_without_motifs_or_patterns_notes_it(tmp_path):
    from motifnet.interpret.pipeline import Options, interpret
    from motifnet.simulate import simulate

    data = simulate("classroom", n_per_class=2, seed=0)
    data.motif_names = []
    summary = interpret(MotifDetector([FIRST]), data, tmp_path, Options(filters=False, attributions=False,
                                                                       in_silico=True, split="all"))
    assert "no motif to insert" in summary["in_silico"]["note"] and "in_silico_own_output_fraction" not in summary


def test_report_draws_the_in_silico_section(classroom_step):
    from types import SimpleNamespace

    from motifnet.report import learned_motifs
    from motifnet.report.html import Report

    _, summary = classroom_step
    report = Report("t")
    learned_motifs.sections(report, [SimpleNamespace(name="reader", interpret=summary, figures=[])])
    page = report.render()
    assert "In-silico experiments" in page and page.count("<img") == 2 and "by spacing and orientation" in page
