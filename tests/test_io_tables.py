"""motifnet.io.tables: DeepBind .seq, TSV/CSV with one or many label columns, writing."""

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motifnet.data import SeqData, split_by_values
from motifnet.errors import MotifnetError
from motifnet.io import read_data, read_table, write_table
from motifnet.sequence import decode

DEEPBIND = (
    "FoldID\tEventID\tseq\tBound\n"
    "A\tseq_00001_peak\tACGTACGTAC\t1\n"
    "B\tseq_00002_peak\tGGGGCCCCAA\t1\n"
    "A\tseq_00001_shuf\tCATGCATGCA\t0\n"
)


def write(path, text, compress=False):
    data = text.encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_deepbind_seq_gz(tmp_path):
    data = read_data(write(tmp_path / "X_AC.seq.gz", DEEPBIND, compress=True))
    assert data.task == "binary" and data.target_names == ["Bound"]
    assert data.targets[:, 0].tolist() == [1, 1, 0]
    assert list(data.ids) == ["seq_00001_peak", "seq_00002_peak", "seq_00001_shuf"]
    assert list(data.annotations["fold"]) == ["A", "B", "A"]
    assert data.tokens.shape == (3, 10) and decode(data.tokens[1]) == "GGGGCCCCAA"
    rest, held = split_by_values(data, "fold", ["B"])
    assert held.tolist() == [1] and rest.tolist() == [0, 2]


def test_csv_with_many_label_columns_is_multilabel(tmp_path):
    text = "name,sequence,chrom,ctcf,rest\nr1,ACGT,chr1,1,0\nr2,GGCC,chr2,0,0\nr3,ACGG,chr1,1,1\n"
    data = read_data(write(tmp_path / "t.csv", text), annotation_columns=["chrom"])
    assert data.task == "multilabel" and data.target_names == ["ctcf", "rest"]
    assert data.targets.tolist() == [[1, 0], [0, 0], [1, 1]]
    assert list(data.ids) == ["r1", "r2", "r3"] and list(data.annotations["chrom"]) == ["chr1", "chr2", "chr1"]


def test_regression_and_explicit_columns(tmp_path):
    text = "seq\tsignal\tother\nACGT\t0.5\t3\nGGCC\t2.5\t4\n"
    path = write(tmp_path / "t.tsv", text)
    data = read_table(path, label_columns="signal")
    assert data.task == "regression" and data.targets[:, 0].tolist() == [0.5, 2.5]
    assert list(data.ids) == ["row2", "row3"]
    both = read_table(path)  # every numeric column
    assert both.target_names == ["signal", "other"] and both.task == "regression"
    assert read_table(path, label_columns=[]).targets[:, 0].tolist() == [1, 1]  # no labels: positives


def test_quoted_csv_and_whitespace_table(tmp_path):
    data = read_data(write(tmp_path / "q.csv", 'id,seq,label\n"a, b",ACGT,1\nc,GG,0\n'))
    assert list(data.ids) == ["a, b", "c"]
    data = read_data(write(tmp_path / "w.txt", "seq label\nACGT 1\nGGCC 0\n"))
    assert data.targets[:, 0].tolist() == [1, 0]


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("", "empty file", None),
        ("seq\tBound\nACGT\t1\nACGT\n", "1 fields, but the header names 2", 3),
        ("seq\tBound\nACGT\t1\nACGT\t1\textra\n", "3 fields", 3),
        ("seq\tBound\nACGT\nACGT\t1\t0\n", "1 fields", 2),  # widths that add up to the right total
        ("seq\tBound\nACGT\t1\nACGT\t\n", "label missing", 3),
        ("seq\tBound\nACGT\t1\nACGT\tyes\n", r"label 'yes' \(column 'Bound'\) is not a number", 3),
        ("seq\tBound\nACGT\t1\nACGT\tnan\n", "not a number", 3),
        ("seq\tBound\nACGT\t1\nAC7T\t1\n", "'7'.*not a nucleotide", 3),
        ("name\tBound\nx\t1\n", "no sequence column", 1),
        ("seq\tBound\nACGT\t1\nACGT\t2\n", None, None),  # 0/1/2 with 2 < 3 classes -> regression, fine
    ],
)
def test_bad_tables_name_file_and_line(tmp_path, text, message, line):
    path = write(tmp_path / "bad.tsv", text)
    if message is None:
        assert read_data(path).task == "regression"
        return
    with pytest.raises(MotifnetError, match=message) as info:
        read_data(path)
    assert info.value.path == str(path) and info.value.line == line


def test_binary_task_rejects_other_values(tmp_path):
    path = write(tmp_path / "t.tsv", "seq\tBound\nACGT\t1\nACGT\t3\n")
    with pytest.raises(MotifnetError, match="not 0 or 1") as info:
        read_table(path, task="binary")
    assert info.value.line == 3


def test_large_table_uses_several_chunks(tmp_path, monkeypatch):
    import motifnet.io.records as records

    monkeypatch.setattr(records, "CHUNK", 7)
    sizes = [5 if i < 7 else 5 + i % 3 for i in range(30)]  # the first chunk is narrower
    rows = [f"{'ACGT'[i % 4] * sizes[i]}\t{i % 2}" for i in range(30)]
    path = write(tmp_path / "t.tsv", "seq\tlabel\n" + "\n".join(rows) + "\n")
    data = read_table(path)
    assert data.tokens.shape == (30, 7) and data.lengths.tolist() == sizes
    assert decode(data.tokens[0]) == "AAAAANN"
    assert decode(data.tokens[29, :7]) == "CCCCCCC" and data.targets[:, 0].tolist() == [i % 2 for i in range(30)]


def test_write_table_round_trips(tmp_path):
    data = SeqData.from_strings(
        ["ACGT", "GGNCC", "TTA"], [[1, 0.5], [0, 1.5], [1, 2]], "regression", target_names=["a", "b"],
        ids=["x", "y", "z"], annotations={"fold": np.array(["A", "B", "A"])},
    )
    for name in ("out.tsv", "out.csv.gz"):
        back = read_data(write_table(tmp_path / name, data))
        assert back.target_names == ["a", "b"] and np.allclose(back.targets, data.targets)
        assert np.array_equal(back.tokens, data.tokens) and list(back.ids) == ["x", "y", "z"]
        assert list(back.annotations["fold"]) == ["A", "B", "A"]
    classes = SeqData.from_strings(["AC", "GT"], [1, 0], "multiclass", target_names=["low", "high"])
    back = read_table(write_table(tmp_path / "c.tsv", classes), task="multiclass")
    assert back.target_names == ["high", "low"] and back.targets.tolist() == [0, 1]


def test_several_tables_are_concatenated_with_their_file(tmp_path):
    a = write(tmp_path / "a_AC.seq", DEEPBIND)
    b = write(tmp_path / "b_AC.seq.gz", DEEPBIND.replace("ACGTACGTAC", "ACGTACGTACGG"), compress=True)
    data = read_data([a, b])
    assert len(data) == 6 and data.task == "binary" and data.tokens.shape == (6, 12)
    assert list(data.annotations["file"]) == ["a_AC.seq"] * 3 + ["b_AC.seq.gz"] * 3
    assert list(data.annotations["fold"]) == ["A", "B", "A"] * 2
    assert data.lengths.tolist() == [10, 10, 10, 12, 10, 10]


table_rows = st.lists(
    st.tuples(st.text("ACGTN", min_size=1, max_size=12), st.sampled_from(["0", "1"]), st.sampled_from(["A", "B", "C"])),
    min_size=1, max_size=25,
)


@given(rows=table_rows, block=st.integers(1, 60), blanks=st.booleans(), delimiter=st.sampled_from(["\t", ","]))
@settings(max_examples=60, deadline=None)
def test_table_blocks_give_the_same_rows_and_lines(tmp_path_factory, rows, block, blanks, delimiter):
    import motifnet.io.tables as tables

    lines = [delimiter.join(("seq", "label", "fold"))] + [delimiter.join(row) for row in rows]
    if blanks:
        lines = [line for row in lines for line in (row, "")]
    path = tmp_path_factory.mktemp("t") / ("t.csv" if delimiter == "," else "t.tsv")
    path.write_text("\n".join(lines) + "\n")
    original = tables.BLOCK_SIZE
    tables.BLOCK_SIZE = block
    try:
        data = read_table(path, annotation_columns=["fold"])
    finally:
        tables.BLOCK_SIZE = original
    assert [decode(t[:n]) for t, n in zip(data.tokens, data.lengths)] == [r[0] for r in rows]
    assert data.targets[:, 0].tolist() == [float(r[1]) for r in rows]
    assert list(data.annotations["fold"]) == [r[2] for r in rows]
    expected_lines = [k + 1 for k, line in enumerate(lines) if line and k > 0]
    assert list(data.ids) == [f"row{n}" for n in expected_lines]


def test_byte_order_mark_and_crlf_are_accepted(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfseq,label\r\nACGT,1\r\nGGCC,0\r\n")
    data = read_data(path)
    assert data.targets[:, 0].tolist() == [1, 0] and decode(data.tokens[1]) == "GGCC"
    fasta = tmp_path / "bom.fa"
    fasta.write_bytes(b"\xef\xbb\xbf>a\r\nAC\r\nGT\r\n")
    assert decode(read_data(fasta).tokens[0]) == "ACGT"
