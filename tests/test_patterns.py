"""TF-MoDISco patterns from contribution scores: planted motifs come back as patterns whose
seqlets lie on the planted sites, noise gives an empty result, and seqlet cores map back to the
sequence and to the genome on both strands."""

from __future__ import annotations

import numpy as np
import pytest

from motifnet.data import SITE_DTYPE
from motifnet.errors import MotifnetError
from motifnet.interpret.patterns import (SEQLET_DTYPE, Pattern, find_patterns, score_seqlets, seqlet_table,
                                         write_meme, write_seqlets)
from motifnet.io.intervals import read_intervals
from motifnet.sequence import decode, one_hot, reverse_complement

MOTIFS = {"GATAAGCT": np.array([2, 0, 3, 0, 0, 2, 1, 3], np.uint8),
          "CACGTGAC": np.array([1, 0, 1, 2, 3, 2, 0, 1], np.uint8)}


def _planted(n: int = 400, length: int = 100, seed: int = 0):
    """Random sequences, two of every three holding one motif whose bases carry contribution 1
    (hypothetical scores: that base only) over Gaussian noise. Returns one-hot, scores, sites."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 4, (n, length)).astype(np.uint8)
    scores = rng.normal(0, 0.02, (n, 4, length)).astype(np.float32)
    sites = []
    for i in range(n):
        if i % 3 == 2:
            continue
        m = i % 3
        motif = list(MOTIFS.values())[m]
        start = int(rng.integers(0, length - len(motif)))
        tokens[i, start : start + len(motif)] = motif
        scores[i, motif, start + np.arange(len(motif))] += 1.0
        sites.append((i, m, start, start + len(motif), 1))
    return one_hot(tokens).numpy(), scores, np.array(sites, dtype=SITE_DTYPE)


@pytest.fixture(scope="module")
def planted():
    x, scores, sites = _planted()
    return x, scores, sites, find_patterns(x, scores)


def _consensus(pattern: Pattern) -> str:
    return "".join("ACGT"[k] for k in pattern.ppm.argmax(axis=0))


def test_planted_motifs_come_back_as_patterns_on_their_sites(planted):
    x, _, sites, patterns = planted
    found = {_consensus(p) for p in patterns if p.name.startswith("pos")}
    for motif in MOTIFS:
        assert any(motif in c or reverse_complement(motif) in c for c in found), (motif, found)
    scored = score_seqlets(patterns, sites, np.arange(len(x)))
    assert scored["n_seqlets"] > 40
    assert scored["seqlet_precision"] >= 0.95
    assert 0 < scored["site_recall"] <= 1
    for pattern in patterns:  # each core holds its pattern's bases (on the seqlet's strand)
        assert pattern.ppm.shape == pattern.cwm.shape and np.allclose(pattern.ppm.sum(axis=0), 1)
        for seqlet in pattern.seqlets[:10]:
            core = decode(x[seqlet["row"], :, seqlet["start"] : seqlet["end"]].argmax(axis=0))
            core = core if seqlet["strand"] > 0 else reverse_complement(core)
            assert sum(a == b for a, b in zip(core, _consensus(pattern))) >= len(core) - 1


def test_noise_gives_an_empty_result():
    rng = np.random.default_rng(1)
    x = one_hot(rng.integers(0, 4, (100, 60)).astype(np.uint8)).numpy()
    assert find_patterns(x, rng.normal(0, 1, x.shape)) == []


def test_shapes_are_checked():
    x = np.zeros((3, 4, 60), np.float32)
    with pytest.raises(MotifnetError, match="one shape"):
        find_patterns(x, np.zeros((3, 4, 61)))
    with pytest.raises(MotifnetError, match="shorter than a seqlet"):
        find_patterns(x[:, :, :20], x[:, :, :20])
    assert find_patterns(x, np.zeros_like(x)) == []  # no contribution at all


def test_outputs_are_written(planted, tmp_path):
    from motifnet.io.motif_files import read_meme
    from motifnet.data import SeqData

    x, _, _, patterns = planted
    data = SeqData(tokens=x.argmax(axis=1).astype(np.uint8), targets=np.zeros((len(x), 1), np.float32), task="binary",
                   target_names=["bound"], ids=[f"seq{i}" for i in range(len(x))])
    write_meme(patterns, tmp_path / "patterns.meme")
    motifs = read_meme(tmp_path / "patterns.meme")
    assert [m.id for m in motifs] == [p.name for p in patterns]
    table = seqlet_table(patterns, data, np.arange(len(x)))
    write_seqlets(table, tmp_path)
    lines = (tmp_path / "seqlets.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["pattern", "id", "strand", "start", "end", "contribution"]
    assert len(lines) == 1 + sum(p.n_seqlets for p in patterns)
    bed = (tmp_path / "seqlets.bed").read_text().splitlines()
    first = patterns[0].seqlets[0]
    assert bed[0].split("\t")[:4] == [f"seq{first['row']}", str(first["start"]), str(first["end"]), patterns[0].name]


def test_seqlets_map_to_the_genome_on_both_strands(tmp_path):
    rng = np.random.default_rng(2)
    chrom = "".join(rng.choice(list("ACGT"), 500))
    (tmp_path / "g.fa").write_text(f">chr1\n{chrom}\n")
    (tmp_path / "p.bed").write_text("chr1\t100\t160\tplus\t0\t+\nchr1\t300\t360\tminus\t0\t-\n")
    data = read_intervals(tmp_path / "p.bed", tmp_path / "g.fa")
    seqlets = np.array([(0, 10, 18, 1, 1.0), (1, 5, 13, 1, 1.0), (1, 30, 38, -1, 1.0)], dtype=SEQLET_DTYPE)
    pattern = Pattern("pos_0", np.full((4, 8), 0.25), np.zeros((4, 8)), seqlets)
    table = seqlet_table([pattern], data, np.arange(len(data)))
    assert [entry["id"] for entry in table] == ["plus", "minus", "minus"]
    for entry, seqlet in zip(table, seqlets):
        window = decode(data.tokens[seqlet["row"], seqlet["start"] : seqlet["end"]])
        shown = window if seqlet["strand"] > 0 else reverse_complement(window)  # the pattern's orientation
        genomic = chrom[entry["genome_start"] : entry["genome_end"]]
        assert (genomic if entry["genome_strand"] == "+" else reverse_complement(genomic)) == shown
    assert [entry["genome_strand"] for entry in table] == ["+", "-", "+"]
    assert (table[1]["genome_start"], table[1]["genome_end"]) == (360 - 13, 360 - 5)


def test_score_seqlets_counts_cores_on_sites_and_sites_covered():
    sites = np.array([(0, 0, 10, 18, 1), (1, 0, 40, 48, 1), (5, 0, 0, 8, 1)], dtype=SITE_DTYPE)
    seqlets = np.array([(0, 11, 19, 1, 1.0), (1, 0, 8, 1, 1.0)], dtype=SEQLET_DTYPE)
    pattern = Pattern("pos_0", np.full((4, 8), 0.25), np.zeros((4, 8)), seqlets)
    scored = score_seqlets([pattern], sites, rows=np.array([0, 1]))  # data row 5 not explained
    assert scored == {"n_seqlets": 2, "seqlet_precision": 0.5, "n_sites": 2, "site_recall": 0.5}
    assert score_seqlets([], sites, np.array([0]))["seqlet_precision"] is None
