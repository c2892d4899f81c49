"""Synthetic data: true sites hold real instances, balance, seeds, overlaps, backgrounds, CLI."""

from __future__ import annotations

import numpy as np
import pytest

from motifnet import jaspar
from motifnet.cli import main
from motifnet.data import load, save
from motifnet.errors import MotifnetError
from motifnet.motifs import Motif
from motifnet.sequence import dinucleotide_counts, reverse_complement_tokens
from motifnet.simulate import (
    CLASSROOM_MOTIFS,
    KOO_EDDY_MOTIFS,
    MarkovBackground,
    binary,
    classroom,
    make_background,
    multilabel,
    position,
    simulate,
)


@pytest.fixture(scope="module")
def small_classroom():
    return classroom(n_per_class=60, seed=3)


def site_scores(data, motifs, background=None) -> list[tuple[np.ndarray, float]]:
    """For each motif: the scores of its recorded sites (read on their strand) and its threshold."""
    result = []
    for index, motif in enumerate(motifs):
        sites = data.sites[data.sites["motif"] == index]
        windows = data.tokens[sites["sequence"][:, None], sites["start"][:, None] + np.arange(motif.width)]
        windows = np.where((sites["strand"] > 0)[:, None], windows, reverse_complement_tokens(windows))
        result.append((motif.score_tokens(windows, background=background), motif.threshold(1e-4, background)))
    return result


def assert_no_overlaps(sites):
    same_row = sites["sequence"][1:] == sites["sequence"][:-1]
    assert not (same_row & (sites["start"][1:] < sites["end"][:-1])).any()


def test_classroom_sites_score_above_threshold_on_their_strand(small_classroom):
    data = small_classroom
    motifs = [jaspar.fetch(i) for i in CLASSROOM_MOTIFS]
    assert data.motif_names == [m.name for m in motifs]
    assert (data.sites["end"] - data.sites["start"] == np.array([m.width for m in motifs])[data.sites["motif"]]).all()
    for scores, threshold in site_scores(data, motifs):
        assert len(scores) == 60 and (scores >= threshold - 1e-9).all()
    assert set(np.unique(data.sites["strand"])) == {-1, 1}
    # the recorded strand matters: read on the other strand, the sites of motifs that are not
    # palindromes fall below the threshold
    flipped = data.sites.copy()
    flipped["strand"] *= -1
    flipped_data = type(data)(data.tokens, data.targets, data.task, data.target_names, data.ids, sites=flipped)
    below = [(scores < threshold).mean() for scores, threshold in site_scores(flipped_data, motifs)]
    asymmetric = [np.abs(m.probabilities - m.probabilities[::-1, ::-1]).max() > 0.5 for m in motifs]
    assert sum(asymmetric) >= 3 and all(b > 0.8 for b, a in zip(below, asymmetric) if a)


def test_classroom_balance_targets_and_split(small_classroom):
    data = small_classroom
    assert data.task == "multiclass" and len(data) == 660 and data.length == 100
    assert data.target_names[-1] == "none" and len(data.target_names) == 11
    np.testing.assert_array_equal(np.bincount(data.targets), [60] * 11)
    # one site per motif-class row, none in 'none' rows, and the site's motif is the row's class
    np.testing.assert_array_equal(data.targets[data.sites["sequence"]], data.sites["motif"])
    assert len(np.unique(data.sites["sequence"])) == 600
    assert not np.isin(np.flatnonzero(data.targets == 10), data.sites["sequence"]).any()
    split = data.annotations["split"]
    for name, per_class in (("train", 48), ("valid", 6), ("test", 6)):
        np.testing.assert_array_equal(np.bincount(data.targets[split == name], minlength=11), [per_class] * 11)
    assert not (np.diff(data.targets) == 0).all()  # rows are shuffled, not grouped by class


def test_same_seed_same_data_different_seed_different(small_classroom):
    again = classroom(n_per_class=60, seed=3)
    np.testing.assert_array_equal(again.tokens, small_classroom.tokens)
    np.testing.assert_array_equal(again.sites, small_classroom.sites)
    np.testing.assert_array_equal(again.annotations["split"], small_classroom.annotations["split"])
    other = classroom(n_per_class=60, seed=4)
    assert not np.array_equal(other.tokens, small_classroom.tokens)
    assert not np.array_equal(other.sites, small_classroom.sites)


def test_multilabel_counts_labels_and_no_overlaps():
    data = multilabel(n=3000, seed=1, distinct=True)
    motifs = [jaspar.fetch(i) for i in KOO_EDDY_MOTIFS]
    assert data.task == "multilabel" and data.targets.shape == (3000, 12) and data.length == 200
    assert data.target_names[0] == "Arid3a"
    assert_no_overlaps(data.sites)
    per_row = np.bincount(data.sites["sequence"], minlength=3000)
    np.testing.assert_array_equal(per_row, data.targets.sum(axis=1))  # distinct motifs per row
    shares = np.bincount(per_row, minlength=6)[1:] / 3000
    np.testing.assert_allclose(shares, [0.50, 0.25, 0.17, 0.05, 0.03], atol=0.03)
    rebuilt = np.zeros_like(data.targets)
    rebuilt[data.sites["sequence"], data.sites["motif"]] = 1
    np.testing.assert_array_equal(rebuilt, data.targets)
    for scores, threshold in site_scores(data, motifs):
        assert (scores >= threshold - 1e-9).all()
    split = data.annotations["split"]
    assert [(split == s).sum() for s in ("train", "valid", "test")] == [2100, 300, 600]


def test_multilabel_default_draws_motifs_with_replacement():
    data = multilabel(n=2000, seed=2)
    assert data.motif_ids[:2] == ["MA0151.1", "MA0466.2"]  # the exact JASPAR 2016 matrices embedded
    per_row = np.bincount(data.sites["sequence"], minlength=2000)
    labels = data.targets.sum(axis=1)
    assert (labels <= per_row).all() and (labels < per_row).any()  # repeats give fewer labels
    rebuilt = np.zeros_like(data.targets)
    rebuilt[data.sites["sequence"], data.sites["motif"]] = 1
    np.testing.assert_array_equal(rebuilt, data.targets)
    assert_no_overlaps(data.sites)
    # positions are uniform whatever the number of sites in the row
    for k in (1, 2, 5):
        sites = data.sites[per_row[data.sites["sequence"]] == k]
        free = 200 - (sites["end"] - sites["start"])
        assert abs(np.mean(sites["start"] / free) - 0.5) < 0.06, k


def test_crowded_sequences_do_not_overlap_unless_asked():
    motif = Motif(np.eye(4)[:, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]] * 10 + 1, id="M10")
    data = classroom(n_per_class=400, length=32, motifs=[motif], motifs_per_sequence=3, none_class=False)
    assert_no_overlaps(data.sites)
    # 3 x 10 bp in 32 bp leave 2 free bases: C(5, 3) = 10 placements, drawn uniformly
    placements = np.unique(data.sites["start"].reshape(400, 3), axis=0, return_counts=True)[1]
    assert len(placements) == 10 and placements.min() >= 15
    with pytest.raises(MotifnetError, match="do not fit"):
        classroom(n_per_class=5, length=29, motifs=[motif], motifs_per_sequence=3)
    overlapping = classroom(n_per_class=50, length=12, motifs=[motif], motifs_per_sequence=3, allow_overlap=True)
    assert len(overlapping.sites) == 150


def test_motif_longer_than_sequence_is_an_error():
    with pytest.raises(MotifnetError, match="longer than the sequences"):
        classroom(n_per_class=5, length=15, motifs=["MA0138"])  # REST is 20 bp


def test_binary_shuffled_negatives_keep_dinucleotides():
    data = binary("MA0139", n_per_class=100, negatives="shuffle", seed=2)
    assert data.task == "binary" and data.targets.shape == (200, 1)
    positives, negatives = data.tokens[data.targets[:, 0] == 1], data.tokens[data.targets[:, 0] == 0]
    assert set(data.sites["sequence"]) == set(np.flatnonzero(data.targets[:, 0] == 1))
    total = lambda rows: sum(dinucleotide_counts(r) for r in rows)  # noqa: E731
    np.testing.assert_array_equal(total(positives), total(negatives))
    ctcf = jaspar.fetch("MA0139")
    best_negative = ctcf.score(__import__("motifnet.sequence").sequence.one_hot(negatives)).amax(dim=(1, 2))
    assert (best_negative.numpy() < ctcf.threshold(1e-4)).mean() > 0.8  # shuffling destroys most sites


def test_backgrounds_gc_and_markov():
    gc_rich = classroom(n_per_class=200, motifs=["MA0139"], background=0.7, seed=0)
    none_rows = gc_rich.tokens[gc_rich.targets == 1]
    assert abs(np.isin(none_rows, [1, 2]).mean() - 0.7) < 0.02
    sample_background, composition = make_background(0.7)
    np.testing.assert_allclose(composition, [0.15, 0.35, 0.35, 0.15])
    # a chain that nearly always follows A->C->G->T->A
    rng = np.random.default_rng(0)
    cycle = np.tile(np.arange(4, dtype=np.uint8), (50, 25))
    noisy = np.where(rng.random(cycle.shape) < 0.05, rng.integers(0, 4, cycle.shape), cycle).astype(np.uint8)
    chain = MarkovBackground.fit(noisy, order=1)
    assert chain.transitions.shape == (4, 4) and (np.diag(np.roll(chain.transitions, -1, axis=1)) > 0.9).all()
    drawn = chain.sample(200, 50, np.random.default_rng(1))
    assert ((drawn[:, 1:] - drawn[:, :-1]) % 4 == 1).mean() > 0.9
    second = MarkovBackground.fit(noisy, order=2)
    assert second.transitions.shape == (16, 4)
    data = multilabel(n=100, length=60, motifs=["MA0035"], count_probabilities=[1.0], background=noisy, seed=0)
    rows_without = np.setdiff1d(np.arange(100), data.sites["sequence"])
    assert len(rows_without) == 0 and ((np.diff(data.tokens[:, :20].astype(int)) % 4) == 1).mean() > 0.7


def test_strand_and_pvalue_options():
    plus = classroom(n_per_class=20, motifs=["MA0139", "MA0035"], strand="+", site_pvalue=None)
    assert (plus.sites["strand"] == 1).all()
    with pytest.raises(MotifnetError, match="strand"):
        classroom(n_per_class=5, strand="both")


def test_simulate_dispatch_errors_and_store_round_trip(tmp_path):
    with pytest.raises(MotifnetError, match="unknown preset"):
        simulate("nope")
    with pytest.raises(MotifnetError, match="no option"):
        simulate("classroom", n=10)
    data = simulate("binary", n_per_class=30, seed=5)
    path = save(data, tmp_path / "store")
    loaded = load(path)
    np.testing.assert_array_equal(loaded.sites, data.sites)
    np.testing.assert_array_equal(loaded.annotations["split"], data.annotations["split"])
    assert loaded.motif_names == ["CTCF"]


def test_cli_simulate_and_motifs(tmp_path, capsys):
    out = tmp_path / "classroom"
    assert main(["simulate", "classroom", "--n", "230", "--seed", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "220 multiclass sequences" in printed and "CTCF 20" in printed
    data = load(out)
    np.testing.assert_array_equal(np.bincount(data.targets), [20] * 11)
    assert main(["simulate", "multilabel", "--n", "50", "--length", "120", "--motifs", "CTCF,GATA1",
                 "--count-probabilities", "0.5,0.5", "--out", str(tmp_path / "ml")]) == 0
    assert load(tmp_path / "ml").target_names == ["CTCF", "GATA1"]
    assert "50 multilabel sequences of 120 bp" in capsys.readouterr().out
    assert main(["simulate", "binary", "--n", "40", "--negatives", "shuffle", "--background-from", str(out),
                 "--markov-order", "2", "--quiet", "--out", str(tmp_path / "b")]) == 0
    assert len(load(tmp_path / "b")) == 40 and capsys.readouterr().out == ""
    assert main(["simulate", "classroom", "--length", "10", "--out", str(tmp_path / "bad")]) == 2
    assert "longer than the sequences" in capsys.readouterr().err
    assert main(["simulate", "binary", "--markov-order", "2", "--out", str(tmp_path / "bad")]) == 2
    assert "--background-from" in capsys.readouterr().err
    assert main(["motifs", "show", "MA0139"]) == 0
    shown = capsys.readouterr().out
    assert "GCCACCAGGGGGCGC" in shown and "information 16.19 bits" in shown
    assert main(["motifs", "show", "NOTAFACTOR"]) == 2


def test_position_bins_are_balanced_and_hold_the_site():
    data = position(n=400, length=60, n_bins=5, motif="MA0139", seed=2)
    width = jaspar.fetch("MA0139").width
    n_starts = 60 - width + 1
    assert data.task == "multiclass" and data.target_names == ["bin1", "bin2", "bin3", "bin4", "bin5"]
    assert np.bincount(data.targets, minlength=5).tolist() == [80] * 5
    sites = data.sites
    assert len(sites) == 400 and (sites["end"] - sites["start"] == width).all()
    bins = np.floor(sites["start"] * 5 / n_starts).astype(int)
    assert (bins == data.targets[sites["sequence"]]).all()
    presence = position(task="presence", n=400, length=60, n_bins=5, seed=2)
    assert presence.task == "binary" and presence.targets.sum() == 200 and len(presence.sites) == 200
    assert (presence.targets[presence.sites["sequence"], 0] == 1).all()
    for bad in ({"task": "where"}, {"n_bins": 1}, {"n_bins": 47}, {"length": 10}):
        with pytest.raises(MotifnetError):
            position(**{"n": 100, "length": 60, **bad})


def _options(*argv):
    from motifnet.cli import build_parser
    from motifnet.commands.simulate import build_options

    return build_options(build_parser().parse_args(["simulate", *argv, "--out", "unused"]))


def test_cli_simulate_flags_map_to_preset_options():
    assert _options("classroom", "--n", "230")["n_per_class"] == 20  # 11 classes
    assert _options("classroom", "--n", "230", "--no-none-class")["n_per_class"] == 23
    assert _options("binary", "--n", "41")["n_per_class"] == 20
    options = _options("binary", "--motifs", "CTCF", "--motifs-per-sequence", "2", "--strand", "+", "--gc", "0.6",
                       "--any-instance", "--allow-overlap", "--split", "0.5,0.25,0.25", "--negatives", "shuffle")
    assert (options["motif"], options["motifs_per_sequence"], options["strand"], options["background"], options["site_pvalue"],
            options["allow_overlap"], options["split"], options["negatives"]) == ("CTCF", 2, "+", 0.6, None, True,
                                                                                   [0.5, 0.25, 0.25], "shuffle")
    multilabel = _options("multilabel", "--n", "30", "--motifs", "CTCF,GATA1", "--site-pvalue", "0.001")
    assert (multilabel["n"], multilabel["motifs"], multilabel["site_pvalue"]) == (30, "CTCF,GATA1", 0.001)
    assert "n_per_class" not in multilabel and _options("classroom") == {"seed": 0, "release": "JASPAR2024"}


@pytest.mark.parametrize("argv, message", [
    (["classroom", "--n", "20", "--n-per-class", "3"], "not both"),
    (["multilabel", "--n-per-class", "3"], "use --n for multilabel"),
    (["classroom", "--n", "5"], "fewer than the 11 classes"),
    (["multilabel", "--motifs-per-sequence", "2"], "--count-probabilities"),
    (["binary", "--count-probabilities", "0.5,0.5"], "applies to multilabel"),
    (["multilabel", "--count-probabilities", "half,half"], "comma-separated numbers"),
    (["classroom", "--negatives", "random"], "applies to binary"),
    (["binary", "--no-none-class"], "applies to classroom"),
    (["binary", "--gc", "0.4", "--background-from", "x.fa"], "--gc or --background-from"),
    (["binary", "--split", "0.8,x,0.1"], "comma-separated numbers"),
])
def test_cli_simulate_refuses_flags_that_do_not_fit_the_preset(argv, message):
    with pytest.raises(MotifnetError, match=message):
        _options(*argv)
