"""motifnet.io.fasta: streaming records, labels from headers, one file per class, writing."""

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motifnet.data import SeqData
from motifnet.errors import MotifnetError
from motifnet.io import iter_fasta, read_data, read_fasta, write_fasta
from motifnet.sequence import decode


def write(path, text, compress=False):
    data = text.encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_iter_fasta_joins_lines_keeps_case_skips_blanks(tmp_path, compress):
    path = write(tmp_path / "g.fa", ">chr1 first record\nACGTN\nacgt\n\n>chr2\r\nGGGG\r\n>empty\n", compress)
    assert list(iter_fasta(path)) == [("chr1", "ACGTNacgt"), ("chr2", "GGGG"), ("empty", "")]


def test_iter_fasta_streams_a_large_gzip_file(tmp_path):
    rng = np.random.default_rng(0)
    genome = "".join(rng.choice(list("ACGT"), 200_000))
    lines = "\n".join(genome[i : i + 80] for i in range(0, len(genome), 80))
    path = write(tmp_path / "big.fa.gz", f">a\n{lines}\n>b\n{lines[:1000]}\n", compress=True)
    records = iter_fasta(path)
    name, sequence = next(records)
    assert name == "a" and sequence == genome
    assert next(records)[0] == "b"


def test_rbp31_style_headers_give_binary_labels(tmp_path):
    path = write(
        tmp_path / "train.fa.gz",
        "> chr1,+,368294,368394; class:0\nACGTAC\n> chr1,+,1,7; class:1\nTTGCAC\n> chr2,-,5,11; class:1\nAAGGCC\n",
        compress=True,
    )
    data = read_data(path)
    assert data.task == "binary" and data.targets[:, 0].tolist() == [0, 1, 1]
    assert list(data.ids) == ["chr1,+,368294,368394;", "chr1,+,1,7;", "chr2,-,5,11;"]
    assert list(data.annotations["chrom"]) == ["chr1", "chr1", "chr2"]  # for chromosome splits
    assert data.annotations["start"].tolist() == [368294, 1, 5] and list(data.annotations["strand"]) == ["+", "+", "-"]
    assert read_data(path, coordinates=False).annotations == {}
    assert data.alphabet == "DNA"  # written with T, as RBP-31 is
    assert read_data(path, alphabet="RNA").alphabet == "RNA"


def test_label_equals_and_custom_pattern(tmp_path):
    path = write(tmp_path / "x.fasta", ">a label=0.5\nACGT\n>b label=2.25\nGGCC\n>c label=-1\nAAAA\n")
    data = read_fasta(path)
    assert data.task == "regression" and data.targets[:, 0].tolist() == [0.5, 2.25, -1.0]
    custom = write(tmp_path / "y.fa", ">a|score|3\nACGT\n>b|score|0\nGGCC\n>c|score|1\nGGCC\n>d|score|2\nA\n")
    data = read_fasta(custom, label_pattern=r"\|score\|(\d+)")
    assert data.task == "multiclass" and data.targets.tolist() == [3, 0, 1, 2]
    assert data.target_names == ["0", "1", "2", "3"]


def test_string_classes_need_multiclass_task(tmp_path):
    path = write(tmp_path / "x.fa", ">a class:CTCF\nACGT\n>b class:REST\nGGCC\n>c class:CTCF\nAAAA\n")
    with pytest.raises(MotifnetError, match=r"x.fa:1.*'CTCF'.*not a number"):
        read_fasta(path)
    data = read_fasta(path, task="multiclass")
    assert data.target_names == ["CTCF", "REST"] and data.targets.tolist() == [0, 1, 0]


def test_no_labels_means_positives_and_label_option_sets_them(tmp_path):
    path = write(tmp_path / "peaks.fa", ">p1\nACGT\n>p2\nACGTTT\n")
    data = read_fasta(path)
    assert data.annotations == {}  # ids that are not coordinates
    assert data.task == "binary" and data.target_names == ["bound"] and data.targets[:, 0].tolist() == [1, 1]
    assert data.lengths.tolist() == [4, 6]
    assert read_fasta(path, label=0).targets[:, 0].tolist() == [0, 0]
    with pytest.raises(MotifnetError, match="needs labels"):
        read_fasta(path, task="regression")


def test_rna_detected_from_u_without_t(tmp_path):
    path = write(tmp_path / "r.fa", ">a\nACGU\n>b\nuuaa\n")
    data = read_fasta(path)
    assert data.alphabet == "RNA" and data.tokens[0].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("", "empty file", None),
        ("ACGT\n>a\nACGT\n", "before the first '>' header", 1),
        (">a\nACGT\n>b\nACXT\n", "'X' is not a nucleotide", 4),
        (">a class:1\nACGT\n>b\nACGT\n", "label missing", 3),
        (">a class:1\nACGT\n>b class:x\nACGT\n", "not a number", 3),
        (">a class:1\nACGT\n>b class:1\n>c class:0\nAC\n", "empty sequence", 3),
    ],
)
def test_bad_fasta_names_file_and_line(tmp_path, text, message, line):
    path = write(tmp_path / "bad.fa", text)
    with pytest.raises(MotifnetError, match=message) as info:
        read_data(path)
    assert info.value.path == str(path) and info.value.line == line


def test_truncated_gzip_names_file(tmp_path):
    full = gzip.compress(("".join(f">s{i}\n{'ACGT' * 20}\n" for i in range(30000))).encode())
    path = tmp_path / "cut.fa.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(MotifnetError, match="truncated gzip") as info:
        read_data(path)
    assert info.value.path == str(path) and info.value.line > 1


def test_one_file_per_class_binary_and_multiclass(tmp_path):
    neg = write(tmp_path / "negatives.fa", ">n1\nAAAA\n>n2\nCCCC\n")
    pos = write(tmp_path / "positives.fa.gz", ">p1\nGGGGTT\n", compress=True)
    data = read_data([neg, pos])  # the negative file is recognised by its name
    assert data.task == "binary" and data.targets[:, 0].tolist() == [0, 0, 1]
    assert list(data.annotations["file"]) == ["negatives.fa", "negatives.fa", "positives.fa.gz"]
    third = write(tmp_path / "ctcf.fa", ">c\nACGT\n")
    data = read_data([neg, pos, third])
    assert data.task == "multiclass" and data.target_names == ["negatives", "positives", "ctcf"]
    assert data.targets.tolist() == [0, 0, 1, 2]
    data = read_data({"low": neg, "high": pos})
    assert data.target_names == ["low", "high"] and data.targets.tolist() == [0, 0, 1]


def test_write_fasta_round_trip_with_labels(tmp_path):
    data = SeqData.from_strings(["ACGTACGTAC", "GGN", "TTTTA"], [1, 0, 1], "binary", ids=["a", "b", "c"])
    path = write_fasta(tmp_path / "out.fa.gz", data, line_width=4)
    assert gzip.open(path, "rt").read().startswith(">a label=1\nACGT\nACGT\nAC\n")
    back = read_data(path)
    assert list(back.ids) == ["a", "b", "c"] and back.targets[:, 0].tolist() == [1, 0, 1]
    assert [decode(t[:n]) for t, n in zip(back.tokens, back.lengths)] == ["ACGTACGTAC", "GGN", "TTTTA"]
    write_fasta(tmp_path / "plain.fa", [("x", "ACGT")], line_width=0)
    assert (tmp_path / "plain.fa").read_text() == ">x\nACGT\n"


def test_write_fasta_failure_leaves_no_file(tmp_path):
    def records():
        yield "a", "ACGT"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_fasta(tmp_path / "out.fa", records())
    assert list(tmp_path.iterdir()) == []


records_strategy = st.lists(
    st.tuples(st.text("abcXYZ019_|:", min_size=1, max_size=8), st.text("ACGTNacgtnRY", max_size=50)),
    min_size=1, max_size=8,
)


@given(records=records_strategy, width=st.integers(0, 7), block=st.integers(1, 40), blank=st.booleans())
@settings(max_examples=80, deadline=None)
def test_iter_fasta_round_trip_across_block_boundaries(tmp_path_factory, records, width, block, blank):
    path = tmp_path_factory.mktemp("fa") / "r.fa"
    write_fasta(path, records, line_width=width)
    if blank:
        path.write_text("\n" + path.read_text().replace("\n>", "\n\n>") + "\n\n")
    import motifnet.io.fasta as fasta

    original = fasta.BLOCK_SIZE
    fasta.BLOCK_SIZE = block
    try:
        parsed = list(fasta.iter_fasta_records(path))
    finally:
        fasta.BLOCK_SIZE = original
    assert [(h, s) for h, s, _ in parsed] == records
    text_lines = path.read_text().split("\n")
    assert all(text_lines[line - 1] == f">{h}" for h, _, line in parsed)


@given(block=st.integers(1, 30), bad_line=st.integers(0, 5))
@settings(max_examples=40, deadline=None)
def test_invalid_character_line_is_exact_across_blocks(tmp_path_factory, block, bad_line):
    lines = [">first", "ACGT", "ACGT", ">second x", "GGCC", "GGCC", "TTAA"]
    candidates = [1, 2, 4, 5, 6, 6]
    target = candidates[bad_line]
    lines[target] = lines[target][:2] + "@" + lines[target][3:]
    path = tmp_path_factory.mktemp("fa") / "bad.fa"
    path.write_text("\n".join(lines) + "\n")
    import motifnet.io.fasta as fasta

    original = fasta.BLOCK_SIZE
    fasta.BLOCK_SIZE = block
    try:
        with pytest.raises(MotifnetError) as info:
            list(fasta.iter_fasta_records(path))
    finally:
        fasta.BLOCK_SIZE = original
    assert info.value.line == target + 1
    assert info.value.record == ("first" if target < 3 else "second")


def test_fasta_files_concatenated_instead_of_classes(tmp_path):
    a = write(tmp_path / "a.fa", ">x class:1\nACGT\n")
    b = write(tmp_path / "b.fa", ">y class:0\nGG\n")
    data = read_data([a, b], classes=False)
    assert data.targets[:, 0].tolist() == [1, 0] and list(data.annotations["file"]) == ["a.fa", "b.fa"]


def test_a_table_read_as_fasta_says_there_is_no_header(tmp_path):
    path = write(tmp_path / "x.seq", "FoldID\tEventID\tseq\tBound\nA\te\tACGT\t1\n")
    with pytest.raises(MotifnetError, match="before the first '>' header") as info:
        read_data(path, format="fasta")
    assert info.value.line == 1


@pytest.mark.parametrize("validate", [True, False])
def test_spaces_and_tabs_inside_sequence_lines_are_dropped(tmp_path, validate):
    path = write(tmp_path / "s.fa", ">a\nAC GT\t\n  GG-.\n>b\nTT\n")
    assert list(iter_fasta(path, validate=validate)) == [("a", "ACGTGG-."), ("b", "TT")]


def test_class_files_with_the_same_name_are_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    paths = [write(tmp_path / d / "train.fa", ">x\nACGT\n") for d in ("a", "b")]
    with pytest.raises(MotifnetError, match="two files are named 'train'"):
        read_data(paths + [write(tmp_path / "c.fa", ">y\nAC\n")])
    data = read_data({"first": paths[0], "second": paths[1]})
    assert data.target_names == ["first", "second"]
