"""Motif arithmetic, sampling, scoring and p-value thresholds; JASPAR look-ups (offline)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from motifnet import jaspar
from motifnet.errors import MotifnetError
from motifnet.motifs import SCORE_RESOLUTION, Motif, background_vector
from motifnet.sequence import N_TOKEN, encode, one_hot, reverse_complement, reverse_complement_tokens

COUNTS = np.array(
    [
        [10, 0, 0, 2, 5],
        [0, 10, 0, 2, 5],
        [0, 0, 10, 3, 0],
        [0, 0, 0, 3, 0],
    ],
    dtype=float,
)


def brute_scores(table: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Scores of every window of each row of tokens [B, L] with a log-odds table [4, W]."""
    width = table.shape[1]
    padded = np.vstack([table, np.zeros((1, width))])
    out = np.zeros((tokens.shape[0], tokens.shape[1] - width + 1))
    for start in range(out.shape[1]):
        out[:, start] = padded[tokens[:, start : start + width], np.arange(width)].sum(axis=1)
    return out


def test_counts_probabilities_and_guessing():
    motif = Motif(COUNTS, id="M1", name="test")
    assert motif.is_counts and motif.width == 5 and len(motif) == 5
    assert motif.nsites == 10
    np.testing.assert_allclose(motif.probabilities.sum(axis=0), 1.0)
    np.testing.assert_allclose(motif.counts, COUNTS)
    from_probs = Motif(motif.probabilities, id="M1", nsites=10)
    assert not from_probs.is_counts
    np.testing.assert_allclose(from_probs.counts, COUNTS)
    assert from_probs == Motif(COUNTS, id="M1", name="M1")


@pytest.mark.parametrize(
    "matrix, message",
    [(np.ones((3, 5)), r"\[4, W\]"), (-np.ones((4, 2)), "non-negative"), (np.array([[1, 0]] * 4), "column 2")],
)
def test_bad_matrices(matrix, message):
    with pytest.raises(MotifnetError, match=message):
        Motif(matrix, id="bad")


def test_log_odds_formula_and_background():
    motif = Motif(COUNTS)
    bg = background_vector(0.6)
    np.testing.assert_allclose(bg, [0.2, 0.3, 0.3, 0.2])
    table = motif.log_odds(pseudocount=1.0, background=0.6)
    expected = np.log2((COUNTS + bg[:, None]) / (10 + 1.0) / bg[:, None])
    np.testing.assert_allclose(table, expected)
    with pytest.raises(MotifnetError, match="pseudocount"):
        motif.log_odds(pseudocount=0.0)
    with pytest.raises(MotifnetError, match="GC content"):
        background_vector(1.5)


def test_information_consensus_reverse_complement_and_trim():
    motif = Motif(COUNTS)
    info = motif.information_content
    np.testing.assert_allclose(info[:3], 2.0)
    assert 0 < info[3] < 0.1 and info[4] == pytest.approx(1.0)
    assert motif.total_information == pytest.approx(info.sum())
    assert motif.consensus == "ACGGA"
    rc = motif.reverse_complement()
    np.testing.assert_allclose(rc.probabilities, motif.probabilities[::-1, ::-1])
    assert rc.reverse_complement() == motif
    assert rc.consensus[2:] == reverse_complement(motif.consensus)[2:]  # first two columns are ties
    trimmed = Motif(np.hstack([np.full((4, 2), 5.0), COUNTS, np.full((4, 1), 5.0)])).trim(0.5)
    np.testing.assert_allclose(trimmed.counts, COUNTS)  # the weak inner column 4 stays
    with pytest.raises(MotifnetError, match="nothing left"):
        Motif(np.full((4, 3), 5.0)).trim(0.1)


def test_sample_follows_probabilities_and_seed():
    motif = Motif(COUNTS)
    tokens = motif.sample(20000, seed=1)
    assert tokens.dtype == np.uint8 and tokens.shape == (20000, 5)
    frequencies = np.stack([(tokens == b).mean(axis=0) for b in range(4)])
    np.testing.assert_allclose(frequencies, motif.probabilities, atol=0.015)
    np.testing.assert_array_equal(tokens, motif.sample(20000, seed=1))
    assert not np.array_equal(tokens, motif.sample(20000, seed=2))


def test_sample_with_min_score_and_impossible_score():
    motif = Motif(COUNTS)
    threshold = motif.threshold(0.002)
    tokens = motif.sample(500, seed=0, min_score=threshold)
    assert (motif.score_tokens(tokens) >= threshold - 1e-9).all()
    best = motif.log_odds().max(axis=0).sum()
    with pytest.raises(MotifnetError, match="above the best score"):
        motif.sample(5, min_score=best + 1)


def test_score_matches_brute_force_on_both_strands():
    rng = np.random.default_rng(0)
    motif = Motif(rng.integers(0, 20, size=(4, 7)) + 1.0, id="random")
    tokens = rng.integers(0, 4, size=(3, 40)).astype(np.uint8)
    tokens[0, 5] = N_TOKEN
    scores = motif.score(one_hot(tokens))
    assert scores.shape == (3, 2, 34) and scores.dtype == torch.float32
    table = motif.log_odds()
    np.testing.assert_allclose(scores[:, 0].numpy(), brute_scores(table, tokens), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores[:, 1].numpy(), brute_scores(table[::-1, ::-1], tokens), rtol=1e-5, atol=1e-5)
    # the - strand score at i is the + strand score of the reverse complement window
    rc_scores = motif.score(one_hot(reverse_complement_tokens(tokens)))
    np.testing.assert_allclose(scores[:, 1].numpy(), rc_scores[:, 0].numpy()[:, ::-1], rtol=1e-5, atol=1e-5)
    single = motif.score(one_hot(tokens[1]))
    np.testing.assert_allclose(single.numpy(), scores[1].numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(MotifnetError, match="shorter than the motif"):
        motif.score(one_hot(tokens[:, :5]))


def test_threshold_and_pvalue_match_enumeration():
    motif = Motif(COUNTS)
    kmers = np.array(list(itertools.product(range(4), repeat=5)), dtype=np.uint8)
    scores = motif.score_tokens(kmers)  # uniform background: every 5-mer has probability 4**-5
    slack = motif.width * SCORE_RESOLUTION / 2  # scores are rounded per column to the resolution
    for pvalue in (0.05, 0.01, 0.003):
        threshold = motif.threshold(pvalue)
        assert (scores >= threshold + slack).mean() <= pvalue
        assert (scores >= threshold - slack - 1e-3).mean() > pvalue  # nothing lower would do
    for score in np.unique(scores)[::25]:
        observed = (scores >= score - slack).mean(), (scores >= score + slack).mean()
        assert observed[1] - 1e-12 <= motif.pvalue(score) <= observed[0] + 1e-12
    best = scores.max()
    assert motif.threshold(1e-6) == pytest.approx(best)  # unattainable: only the best 5-mer passes
    assert motif.pvalue(best + 1) == 0.0


def test_threshold_depends_on_background():
    gc_rich = Motif([[1, 1, 1, 1, 1, 1], [9, 9, 9, 9, 9, 9], [9, 9, 9, 9, 9, 9], [1, 1, 1, 1, 1, 1]])
    assert gc_rich.threshold(0.01, background=0.7) < gc_rich.threshold(0.01, background=0.3)


def test_text_logo_shape():
    logo = Motif(COUNTS).text_logo(height=4).splitlines()
    assert len(logo) == 4 + 3
    assert logo[-2].split() == list("ACGGA")
    assert logo[0].split("|")[1].split() == ["A", "C", "G"]  # 2-bit columns reach the top row


# ---------------------------------------------------------------------------------------------
# JASPAR (pyjaspar ships the database: offline)


def test_jaspar_fetch_by_id_version_and_name():
    latest = jaspar.fetch("MA0139")
    assert latest.id == "MA0139.2" and latest.name == "CTCF" and latest.is_counts
    assert latest.consensus == "GCCACCAGGGGGCGC"
    exact = jaspar.fetch("MA0139.1")
    assert exact.id == "MA0139.1" and exact.width == 19
    assert jaspar.fetch("ctcf").id == "MA0139.2"
    assert jaspar.fetch("MA0139", release="JASPAR2018").id == "MA0139.1"


def test_jaspar_errors():
    with pytest.raises(MotifnetError, match="did you mean CTCF"):
        jaspar.fetch("CTCFF")
    with pytest.raises(MotifnetError, match="latest version is MA0139.2"):
        jaspar.fetch("MA0139.9")
    with pytest.raises(MotifnetError, match="no JASPAR matrix 'MA9999'"):
        jaspar.fetch("MA9999")
    with pytest.raises(MotifnetError, match="unknown JASPAR release"):
        jaspar.fetch("MA0139", release="JASPAR1999")


def test_jaspar_database_and_resolve():
    motifs = jaspar.database()
    assert len(motifs) > 800
    ids = {m.id for m in motifs}
    assert "MA0139.2" in ids and "MA0139.1" not in ids
    assert "UN0470.2" not in ids
    every_collection = {m.id for m in jaspar.database(collection=None, tax_group="urochordates")}
    assert {"UN0470.2", "MA1897.2"} <= every_collection  # UNVALIDATED and CORE
    custom = Motif(COUNTS, id="mine")
    resolved = jaspar.resolve(["MA0035", custom, "SOX2"])
    assert [m.id for m in resolved] == ["MA0035.5", "mine", "MA0143.5"]
    assert [m.id for m in jaspar.resolve("MA0035,MA0143")] == ["MA0035.5", "MA0143.5"]


def test_scoring_an_encoded_site():
    ctcf = jaspar.fetch("MA0139")
    sequence = "T" * 10 + ctcf.consensus + "A" * 10
    scores = ctcf.score(one_hot(encode(sequence)))
    assert int(scores[0].argmax()) == 10
    assert float(scores[0, 10]) == pytest.approx(ctcf.log_odds().max(axis=0).sum(), rel=1e-5)
    assert float(scores[0, 10]) > ctcf.threshold(1e-4)
    assert ctcf.pvalue(float(scores[0, 10])) == pytest.approx(4.0**-15)  # float32 best score: 1 of 4^15
