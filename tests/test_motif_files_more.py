"""Motif files beyond tests/test_motif_files.py: MEME matrices without ``w=``, RNA alphabets,
writing refusals, plain PFMs, TRANSFAC variants, format detection, and every refusal naming the
file and line."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from motifnet.errors import MotifnetError
from motifnet.io.motif_files import detect_format, read_meme, read_motifs, write_meme, write_motifs
from motifnet.motifs import Motif

ROW_A, ROW_C, ROW_T = "0.7 0.1 0.1 0.1", "0.1 0.7 0.1 0.1", "0.1 0.1 0.1 0.7"


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_meme_matrices_without_width_end_at_a_blank_line_or_the_next_record(tmp_path):
    path = _write(tmp_path, "x.meme",
                  f"MOTIF a\nletter-probability matrix:\n\n{ROW_A}\n{ROW_C}\n\nMOTIF b\n"  # blank line before the rows
                  f"letter-probability matrix: nsites= n/a\n{ROW_T}\nMOTIF c\n"           # no blank line after
                  f"letter-probability matrix:\n{ROW_C}\nURL http://example.org/c\n")
    motifs = read_meme(path)
    assert [(m.id, m.width, m.consensus) for m in motifs] == [("a", 2, "AC"), ("b", 1, "T"), ("c", 1, "C")]
    assert motifs[1].nsites == Motif(np.full((4, 1), 0.25)).nsites  # an unreadable nsites= is the default


def test_meme_rows_of_a_given_width_may_be_separated_by_blank_lines(tmp_path):
    path = _write(tmp_path, "x.meme", f"MOTIF a\nletter-probability matrix: w= 2\n{ROW_A}\n\n{ROW_C}\n")
    (motif,) = read_meme(path)
    assert motif.consensus == "AC"


@pytest.mark.parametrize("header", ['ALPHABET "RNA" RNA-LIKE\nA "Adenine"\nEND ALPHABET', "ALPHABET= acgu"])
def test_meme_rna_alphabets_are_read(tmp_path, header):
    path = _write(tmp_path, "rna.meme", f"{header}\nMOTIF r\nletter-probability matrix:\n{ROW_T}\n")
    (motif,) = read_meme(path)
    assert motif.id == "r" and motif.consensus == "T"


def test_rna_meme_round_trip(tmp_path):
    motif = Motif(np.array([[0.7, 0.1], [0.1, 0.1], [0.1, 0.1], [0.1, 0.7]]), id="rna1")
    path = write_meme(motif, tmp_path / "rna.meme", alphabet="ACGU")
    text = path.read_text()
    assert "ALPHABET= ACGU" in text and "U 0.2500" in text
    (back,) = read_motifs(path)
    np.testing.assert_allclose(back.probabilities, motif.probabilities, atol=1e-6)


def test_write_motifs_writes_meme_and_makes_ids_one_word(tmp_path):
    motifs = [Motif(np.eye(4) + 0.01, id="my motif", name="two words"), Motif(np.eye(4) + 0.01, id="m2", name="GATA")]
    path = write_motifs(motifs, tmp_path / "sub" / "out.meme")
    assert path.read_text().startswith("MEME version 4")
    assert [(m.id, m.name) for m in read_meme(path)] == [("my_motif", "my_motif"), ("m2", "GATA")]


def test_writing_refuses_an_unknown_alphabet_and_no_motifs(tmp_path):
    motif = Motif(np.eye(4) + 0.01, id="m")
    with pytest.raises(MotifnetError, match="alphabet must be 'ACGT' or 'ACGU', got 'ACGN'"):
        write_meme(motif, tmp_path / "x.meme", alphabet="ACGN")
    with pytest.raises(MotifnetError, match="no motifs to write") as error:
        write_meme([], tmp_path / "y.meme")
    assert error.value.path == str(tmp_path / "y.meme")
    assert not list(tmp_path.iterdir())  # nothing written


def test_jaspar_rna_rows_and_header_names(tmp_path):
    path = _write(tmp_path, "rna.jaspar", ">M1 an RNA motif\nA [1 0]\nC [0 0]\nG [0 0]\nU [0 9]\n")
    (motif,) = read_motifs(path)
    assert (motif.id, motif.name, motif.consensus) == ("M1", "an RNA motif", "AT")
    np.testing.assert_allclose(motif.counts[3], [0, 9])


def test_transfac_without_accession_acgu_columns_and_no_final_slashes(tmp_path):
    path = _write(tmp_path, "m.transfac", "NA  nameonly\n\nP0 A C G U\n01 0 0 0 5\n02 5 0 0 0\n")
    (motif,) = read_motifs(path)
    assert (motif.id, motif.name, motif.consensus) == ("motif1", "nameonly", "TA")


@pytest.mark.parametrize("name, text", [
    ("m.txt", "\nAC  M1\nP0 A C G T\n01 1 0 0 0\n//\n"),
    ("m.dat.gz", None),
])
def test_transfac_is_detected_by_content_and_by_extension_under_gzip(tmp_path, name, text):
    path = tmp_path / name
    body = "AC  M1\nP0 A C G T\n01 1 0 0 0\n//\n"
    if text is None:
        path.write_bytes(gzip.compress(body.encode()))
    else:
        path.write_text(text)
    assert detect_format(path) == "transfac"
    assert [m.id for m in read_motifs(path)] == ["M1"]


def test_an_explicit_format_overrides_detection_and_is_checked(tmp_path):
    path = _write(tmp_path, "motifs.txt", f"MOTIF a\nletter-probability matrix:\n{ROW_A}\n")
    assert [m.id for m in read_motifs(path, format="MEME")] == ["a"]
    with pytest.raises(MotifnetError, match="unknown motif format 'bogus'; expected one of meme, jaspar, transfac"):
        read_motifs(path, format="bogus")


@pytest.mark.parametrize("name, text, line, message", [
    ("x.meme", "MOTIF\n", 1, "MOTIF line without an identifier"),
    ("x.meme", "MOTIF a\nletter-probability matrix: alength= 20 w= 1\n", 2, "alength= 20, expected 4"),
    ("x.meme", 'ALPHABET "Protein" PROTEIN-LIKE\nA\nEND ALPHABET\n', 1, "only DNA or RNA alphabets are supported"),
    ("x.meme", "MOTIF a\nletter-probability matrix:\nMOTIF b\n", 2, "motif a: empty matrix"),
    ("x.pfm", "1 2\n3 4\n5 6\n", 1, "matrix x has 3 rows, expected 4 (A, C, G, T)"),
    ("x.pfm", "1 2\n3 4\n5 6\n7\n", 1, "matrix x: rows of different lengths"),
    ("x.jaspar", ">M\nA [1 0]\nC [0 1]\nG [0 0]\nT [0 0 0]\n", 1, "matrix M: rows of different lengths"),
    ("x.jaspar", ">\nA [1]\n", 1, "a '>' header without an identifier"),
    ("x.jaspar", ">M\nA [1]\nA [2]\n", 3, "row A given twice"),
    ("x.transfac", "AC M1\nP0 A C G X\n", 2, "matrix header must name A C G T, got 'A C G X'"),
    ("x.transfac", "AC M1\nP0 A C G T\n01 1 0 0 0\nhello world\n", 4, "unexpected TRANSFAC line 'hello world'"),
    ("x.transfac", "AC M1\nP0 A C G T\n01 1 0 0\n", 3, "expected 4 numbers, got 3"),
])
def test_bad_files_are_refused_naming_file_and_line(tmp_path, name, text, line, message):
    path = _write(tmp_path, name, text)
    with pytest.raises(MotifnetError) as error:
        read_motifs(path)
    assert message in error.value.message
    assert error.value.path == str(path) and error.value.line == line
    assert str(error.value).startswith(f"{path}:{line}: ") and "\n" not in str(error.value)


@pytest.mark.parametrize("name, text, message", [
    ("x.jaspar", "# only a comment\n", "no JASPAR matrices found"),
    ("x.transfac", "XX\n//\n", "no TRANSFAC matrices found"),
])
def test_files_without_a_matrix_are_refused(tmp_path, name, text, message):
    path = _write(tmp_path, name, text)
    with pytest.raises(MotifnetError, match=message) as error:
        read_motifs(path)
    assert error.value.path == str(path)
