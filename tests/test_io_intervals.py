"""motifnet.io.intervals: BED / narrowPeak windows from a genome FASTA."""

import gzip
import warnings

import pytest

from motifnet.data import split_by_values
from motifnet.errors import MotifnetError
from motifnet.io import open_genome, read_data, read_intervals
from motifnet.sequence import decode, reverse_complement

CHR1 = "ACGTTGCAAGGCCTTAACGGTACCATGGATCC"  # 32 bp
CHR2 = "TTTTGGGGCCCCAAAA"  # 16 bp


@pytest.fixture
def genome(tmp_path):
    path = tmp_path / "genome" / "g.fa"
    path.parent.mkdir()
    path.write_text(f">chr1 test\n{CHR1[:20]}\n{CHR1[20:]}\n>chr2\n{CHR2}\n")
    return path


def bed(tmp_path, text, name="peaks.bed"):
    path = tmp_path / name
    path.write_text(text)
    return path


def sequences(data):
    return [decode(t[:n]) for t, n in zip(data.tokens, data.lengths)]


def test_intervals_as_they_are_and_index_built(genome, tmp_path):
    path = bed(tmp_path, "track name=x\n# comment\nchr1\t2\t10\nchr2\t0\t16\n")
    data = read_data(path, genome=genome)
    assert (genome.parent / "g.fa.fai").exists()
    assert sequences(data) == [CHR1[2:10], CHR2]
    assert list(data.ids) == ["chr1:2-10(.)", "chr2:0-16(.)"]
    assert data.annotations["start"].tolist() == [2, 0] and data.annotations["end"].tolist() == [10, 16]


def test_narrowpeak_summit_window_and_minus_strand(genome, tmp_path):
    # summit offset 6 from start 4 -> position 10; width 8 -> window [6, 14)
    text = "chr1\t4\t20\tpk1\t100\t+\t5.0\t-1\t-1\t6\nchr1\t4\t20\tpk2\t100\t-\t5.0\t-1\t-1\t6\n"
    data = read_intervals(bed(tmp_path, text, "p.narrowPeak"), genome, width=8)
    assert sequences(data) == [CHR1[6:14], reverse_complement(CHR1[6:14])]
    assert list(data.ids) == ["pk1", "pk2"] and list(data.annotations["strand"]) == ["+", "-"]
    unstranded = read_intervals(bed(tmp_path, text, "p.narrowPeak"), genome, width=8, stranded=False)
    assert sequences(unstranded) == [CHR1[6:14]] * 2
    centred = read_intervals(bed(tmp_path, text, "p.narrowPeak"), genome, width=8, anchor="center")
    assert sequences(centred)[0] == CHR1[8:16]  # centre 12


def test_summit_minus_one_falls_back_to_centre(genome, tmp_path):
    data = read_intervals(bed(tmp_path, "chr1\t4\t20\t.\t0\t.\t0\t-1\t-1\t-1\n", "p.narrowPeak"), genome, width=4)
    assert sequences(data) == [CHR1[10:14]]


@pytest.mark.parametrize(
    "edge, expected",
    [("clip", [CHR1[0:6], CHR2[10:16]]), ("shift", [CHR1[0:10], CHR2[6:16]]), ("reject", [])],
)
def test_windows_at_chromosome_ends(genome, tmp_path, edge, expected):
    path = bed(tmp_path, "chr1\t0\t2\nchr2\t14\t16\nchr1\t10\t20\n")  # centres 1, 15, 15
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = read_intervals(path, genome, width=10, edge=edge)
    assert sequences(data) == expected + [CHR1[10:20]]
    assert (len(caught) == 1 and "2 intervals rejected" in str(caught[0].message)) == (edge == "reject")


def test_chromosome_split_and_labels_from_a_column(genome, tmp_path):
    path = bed(tmp_path, "chr1\t0\t8\ta\t1\nchr2\t0\t8\tb\t0\nchr1\t8\t16\tc\t1\n")
    data = read_intervals(path, genome, label_column=5)
    assert data.task == "binary" and data.targets[:, 0].tolist() == [1, 0, 1]
    train, held = split_by_values(data, "chrom", ["chr2"])
    assert held.tolist() == [1] and train.tolist() == [0, 2]


def test_bgzip_genome_works_plain_gzip_does_not(genome, tmp_path):
    Bio = pytest.importorskip("Bio.bgzf")
    bgz = tmp_path / "g.fa.gz"
    with Bio.BgzfWriter(str(bgz), "wb") as handle:
        handle.write(genome.read_bytes())
    data = read_intervals(bed(tmp_path, "chr2\t2\t6\n"), bgz)
    assert sequences(data) == [CHR2[2:6]]
    plain = tmp_path / "plain.fa.gz"
    plain.write_bytes(gzip.compress(genome.read_bytes()))
    with pytest.raises(MotifnetError, match="not bgzip") as info:
        open_genome(plain)
    assert info.value.path == str(plain)


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("", "empty file", None),
        ("chr1\t0\n", "at least 3 columns", 1),
        ("chr1\t0\t5\nchr1\tten\t20\n", "must be integers", 2),
        ("chr1\t0\t5\nchrX\t0\t5\n", "'chrX' is not in the genome", 2),
        ("chr1\t0\t5\nchr2\t10\t17\n", "outside its chromosome", 2),
        ("chr1\t5\t5\n", "start < end", 1),
        ("chr1\t0\t10\t.\t0\t.\t0\t-1\t-1\t12\n", "summit offset", 1),
    ],
)
def test_bad_bed_names_file_and_line(genome, tmp_path, text, message, line):
    path = bed(tmp_path, text)
    with pytest.raises(MotifnetError, match=message) as info:
        read_intervals(path, genome, width=4)
    assert info.value.path == str(path) and info.value.line == line


def test_genome_that_cannot_be_indexed(tmp_path):
    ragged = tmp_path / "ragged.fa"
    ragged.write_text(">chr1\nACGTACGT\nACG\nACGTACGT\n")  # unequal line lengths inside a record
    with pytest.raises(MotifnetError, match="cannot index the genome") as info:
        read_intervals(bed(tmp_path, "chr1\t0\t4\n"), ragged)
    assert info.value.path == str(ragged)
    with pytest.raises(MotifnetError, match="no such genome"):
        open_genome(tmp_path / "missing.fa")


def test_read_only_genome_folder_without_index(genome, tmp_path, monkeypatch):
    import os

    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(genome.parent) else real_access(p, mode))
    with pytest.raises(MotifnetError, match="read-only"):
        open_genome(genome)
    assert not (genome.parent / "g.fa.fai").exists()


def test_bed_needs_genome(tmp_path):
    with pytest.raises(MotifnetError, match="needs a genome"):
        read_data(bed(tmp_path, "chr1\t0\t4\n"))
