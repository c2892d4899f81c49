"""Format detection by name and by content, and read_data's dispatch and refusals."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from motifnet.data import load, save
from motifnet.errors import MotifnetError
from motifnet.io import detect_format, read_data


@pytest.mark.parametrize("name, text, expected", [
    ("reads.fa", ">a\nACGT\n", "fasta"),
    ("peaks.narrowPeak", "chr1\t10\t20\n", "bed"),
    ("table.tsv", "seq\tlabel\nACGT\t1\n", "table"),
    ("sequences", "# a comment\n\n>a\nACGT\n", "fasta"),   # no suffix: the first line that is not a comment
    ("intervals", "track name=x\nchr1\t10\t20\tpeak\n", "bed"),
    ("labels", "sequence,label\nACGT,1\n", "table"),
    ("tabbed", "seq\tlabel\nACGT\t1\n", "table"),
])
def test_format_from_the_name_else_from_the_first_line(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    assert detect_format(path) == expected
    packed = tmp_path / f"{name}.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    assert detect_format(packed) == expected


@pytest.mark.parametrize("text, message", [("", "empty file"), ("# only a comment\n", "empty file"),
                                           ("ACGTACGT\n", "unrecognised format")])
def test_undetectable_files_fail_naming_the_file(tmp_path, text, message):
    path = tmp_path / "mystery"
    path.write_text(text)
    with pytest.raises(MotifnetError, match=message) as error:
        detect_format(path)
    assert "mystery" in str(error.value)


def test_folders_and_missing_paths(tmp_path):
    with pytest.raises(MotifnetError, match="not a motifnet data folder"):
        detect_format(tmp_path)
    with pytest.raises(MotifnetError, match="no such file"):
        detect_format(tmp_path / "absent.fa")


def test_read_data_dispatch_and_refusals(tmp_path):
    fasta = tmp_path / "a.fa"
    fasta.write_text(">x label=1\nACGTACGT\n>y label=0\nTTGGCCAA\n")
    one = read_data([fasta])  # a list of one file is that file
    assert len(one) == 2 and one.ids.tolist() == ["x", "y"]
    store = save(one, tmp_path / "store")
    assert detect_format(store) == "store" and read_data(store).alphabet == "DNA"
    assert read_data(store, alphabet="RNA").alphabet == "RNA"  # a store read as another alphabet
    np.testing.assert_array_equal(np.asarray(load(store).tokens), np.asarray(one.tokens))
    with pytest.raises(MotifnetError, match="unknown format 'fastq'"):
        read_data(fasta, format="fastq")
    with pytest.raises(MotifnetError, match=r"option\(s\) \['genome'\] do not apply to fasta"):
        read_data(fasta, genome="hg38.fa")
    bed = tmp_path / "peaks.bed"
    bed.write_text("chr1\t0\t4\n")
    with pytest.raises(MotifnetError, match="needs a genome FASTA"):
        read_data(bed)
    with pytest.raises(MotifnetError, match="do not apply to one FASTA file per class"):
        read_data({"on": fasta, "off": fasta}, label_pattern="x")
