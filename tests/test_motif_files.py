"""MEME, JASPAR and TRANSFAC motif files: round trips, real-world variants, errors with lines."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from motifnet import jaspar
from motifnet.errors import MotifnetError
from motifnet.io.motif_files import detect_format, read_jaspar, read_meme, read_motifs, read_transfac, write_meme
from motifnet.motifs import Motif

MEME5 = """MEME version 5.5.4

ALPHABET "DNA" DNA-LIKE
A "Adenine" CC0000 ~ T "Thymine" 008000
C "Cytosine" 0000CC ~ G "Guanine" FFB300
N "Any base" = ACGT
END ALPHABET

strands: + -

Background letter frequencies
A 0.3 C 0.2 G 0.2 T 0.3

MOTIF GATAA STREME-1
letter-probability matrix: alength= 4 w= 3 nsites= 41 E= 1.2e-010
 0.000000  0.000000  1.000000  0.000000
 1.000000  0.000000  0.000000  0.000000
 0.100000  0.000000  0.000000  0.900000

URL http://example.org/GATAA

MOTIF second
letter-probability matrix:
0.25 0.25 0.25 0.25
0.7 0.1 0.1 0.1
"""


def test_meme_round_trip(tmp_path):
    motifs = jaspar.resolve("MA0139,MA0035,MA0143") + [Motif(np.eye(4) * 0.9 + 0.025, id="custom", nsites=7)]
    path = write_meme(motifs, tmp_path / "out" / "motifs.meme", background=0.4)
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left behind
    text = path.read_text()
    assert text.startswith("MEME version 4") and "A 0.3000 C 0.2000 G 0.2000 T 0.3000" in text
    back = read_meme(path)
    assert [(m.id, m.name) for m in back] == [(m.id, m.name) for m in motifs]
    for original, read in zip(motifs, back):
        np.testing.assert_allclose(read.probabilities, original.probabilities, atol=1e-6)
        assert read.nsites == round(original.nsites)  # written as an integer
        assert read.consensus == original.consensus
    assert read_motifs(path)[0].id == "MA0139.2"
    from Bio.motifs import minimal  # other readers accept the file too

    with open(path) as handle:
        record = minimal.read(handle)
    assert [m.name for m in record][:2] == ["MA0139.2", "MA0035.5"] and record[0].num_occurrences == 911


def test_meme5_full_alphabet_urls_and_missing_width(tmp_path):
    path = tmp_path / "streme.txt"
    path.write_text(MEME5)
    motifs = read_meme(path)
    assert [(m.id, m.name, m.width) for m in motifs] == [("GATAA", "STREME-1", 3), ("second", "second", 2)]
    assert motifs[0].nsites == 41 and motifs[0].consensus == "GAT"
    assert detect_format(path) == "meme"
    gz = tmp_path / "streme.meme.gz"
    gz.write_bytes(gzip.compress(MEME5.encode()))
    assert [m.id for m in read_motifs(gz)] == ["GATAA", "second"]


@pytest.mark.parametrize(
    "body, line, message",
    [
        ("MOTIF x\nletter-probability matrix: w= 2\n0.1 0.2 0.3 0.4\n0.1 zz 0.3 0.4\n", 4, "expected numbers"),
        ("MOTIF x\nletter-probability matrix: w= 3\n0.1 0.2 0.3 0.4\n0.1 0.2 0.3 0.4\n", 2, "only 2 rows"),
        ("MOTIF x\nletter-probability matrix: w= 1\n0.1 0.2 0.3\n", 3, "expected 4 numbers"),
        ("ALPHABET= ACDEFGHIKLMNPQRSTVWY\nMOTIF x\n", 1, "not DNA"),
        ("letter-probability matrix: w= 1\n0.1 0.2 0.3 0.4\n", 1, "before any MOTIF"),
        ("MOTIF x\nletter-probability matrix: w= 1\n0 0 0 0\n", 2, "all zero"),
    ],
)
def test_meme_errors_name_file_and_line(tmp_path, body, line, message):
    path = tmp_path / "bad.meme"
    path.write_text(body)
    with pytest.raises(MotifnetError, match=message) as caught:
        read_meme(path)
    assert caught.value.path == str(path) and caught.value.line == line


def test_meme_without_motifs_and_missing_file(tmp_path):
    path = tmp_path / "empty.meme"
    path.write_text("MEME version 4\n\nALPHABET= ACGT\n")
    with pytest.raises(MotifnetError, match="no motifs found"):
        read_meme(path)
    with pytest.raises(MotifnetError, match="no such file"):
        read_meme(tmp_path / "missing.meme")


def test_jaspar_and_pfm_files(tmp_path):
    path = tmp_path / "two.jaspar"
    path.write_text(
        ">MA0004.1 Arnt\nA  [ 4  19  0  0  0  0 ]\nC  [16   0 20  0  0  0 ]\nG  [ 0   1  0 20  0 20 ]\n"
        "T  [ 0   0  0  0 20  0 ]\n\n>MA0006.1\nA [3 0 0]\nC [8 0 23]\nG [2 23 0]\nT [11 1 1]\n"
    )
    first, second = read_jaspar(path)
    assert (first.id, first.name, first.consensus, first.nsites) == ("MA0004.1", "Arnt", "CACGTG", 20)
    assert second.id == second.name == "MA0006.1" and second.consensus == "TGC"
    np.testing.assert_allclose(first.counts[:, 0], [4, 16, 0, 0])
    pfm = tmp_path / "MA0004.1.pfm"
    pfm.write_text("4 19 0 0 0 0\n16 0 20 0 0 0\n0 1 0 20 0 20\n0 0 0 0 20 0\n")
    (plain,) = read_motifs(pfm)
    assert plain.id == "MA0004" and plain.consensus == "CACGTG"


def test_jaspar_errors(tmp_path):
    path = tmp_path / "bad.jaspar"
    path.write_text(">M1 x\nA [1 2]\nC [1 2]\nG [1 2]\n>M2\nA [1]\nC [1 x]\n")
    with pytest.raises(MotifnetError, match="lacks row") as caught:
        read_jaspar(path)
    assert caught.value.line == 1
    path.write_text(">M2\nA [1]\nC [1 x]\n")
    with pytest.raises(MotifnetError, match="expected numbers") as caught:
        read_jaspar(path)
    assert caught.value.line == 3


def test_transfac(tmp_path):
    path = tmp_path / "m.transfac"
    path.write_text(
        "AC  MA0004.1\nXX\nID  Arnt\nXX\nDE  MA0004.1 Arnt; from JASPAR\nP0       A     C     G     T\n"
        "01       4    16     0     0      C\n02      19     0     1     0      A\n03       0    20     0     0\n"
        "XX\nCC  program: jaspar\nXX\n//\nID  second\nP0 T G C A\n1 1 0 0 9\n2 9 0 0 1\n//\n"
    )
    first, second = read_transfac(path)
    assert (first.id, first.name, first.consensus) == ("MA0004.1", "Arnt", "CAC")
    assert second.id == "second" and second.consensus == "AT"  # columns given in T G C A order
    path.write_text("AC  M1\n01 1 2 3 4\n")
    with pytest.raises(MotifnetError, match="before the P0 header") as caught:
        read_transfac(path)
    assert caught.value.line == 2


def test_detect_format_by_content_and_unknown(tmp_path):
    path = tmp_path / "motifs.txt"
    path.write_text(">M1\nA [1 0]\nC [0 1]\nG [0 0]\nT [0 0]\n")
    assert detect_format(path) == "jaspar" and read_motifs(path)[0].consensus == "AC"
    path.write_text("hello\n")
    with pytest.raises(MotifnetError, match="cannot tell the motif format"):
        read_motifs(path)
    path.write_text(">M1\nA [1]\nC [0]\nG [0]\nT [0]\n")
    assert [m.id for m in jaspar.resolve([str(path), "MA0139"])] == ["M1", "MA0139.2"]  # files and ids mix
