"""The motifnet command: --help, --version, `data summary|convert`, and bad input (exit 2, one line)."""

import gzip
import json
import subprocess
import sys

import numpy as np
import pytest

from motifnet import __version__
from motifnet.cli import main
from motifnet.data import load

GENOME = ">chr1\nACGTTGCAAGGCCTTAACGG\n>chr2\nTTTTGGGGCC\n"


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_help_and_version_in_a_fresh_process():
    help_ = subprocess.run([sys.executable, "-m", "motifnet", "--help"], capture_output=True, text=True, timeout=60)
    assert help_.returncode == 0 and "usage: motifnet" in help_.stdout and "data" in help_.stdout
    version = subprocess.run([sys.executable, "-m", "motifnet", "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.strip() == f"motifnet {__version__}"


def test_building_the_parser_does_not_import_heavy_libraries():
    code = (
        "import sys; from motifnet.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('torch', 'matplotlib', 'memelite', 'pyfaidx') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_command_prints_help(capsys):
    code, out, _ = run_cli(capsys)
    assert code == 0 and "usage: motifnet" in out


def test_data_summary_text_and_json(tmp_path, capsys):
    path = tmp_path / "x.seq"
    path.write_text("FoldID\tEventID\tseq\tBound\nA\te1\tGGCCAATT\t1\nB\te2\tNNAA\t0\nA\te3\tGCGC\t0\n")
    code, out, err = run_cli(capsys, "data", "summary", path)
    assert code == 0 and err == ""
    assert "sequences   3" in out and "min 4  median 4  max 8" in out
    assert "1 positive, 2 negative" in out and "fold        A 2, B 1" in out
    code, out, _ = run_cli(capsys, "data", "summary", path, "--json")
    summary = json.loads(out)
    assert summary["n"] == 3 and summary["gc"] == pytest.approx(8 / 14) and summary["n_fraction"] == pytest.approx(2 / 16)
    assert summary["labels"]["Bound"]["positive"] == 1


def test_data_summary_one_file_per_class_and_bed(tmp_path, capsys):
    (tmp_path / "pos.fa").write_text(">a\nACGU\n>b\nGGUU\n")
    (tmp_path / "neg.fa").write_text(">c\nAAAA\n")
    code, out, _ = run_cli(capsys, "data", "summary", tmp_path / "pos.fa", tmp_path / "neg.fa", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["alphabet"] == "RNA" and summary["labels"]["bound"]["positive"] == 2
    (tmp_path / "g.fa").write_text(GENOME)
    (tmp_path / "p.bed").write_text("chr1\t0\t10\t.\t0\t-\nchr2\t0\t10\n")
    code, out, _ = run_cli(capsys, "data", "summary", tmp_path / "p.bed", "--genome", tmp_path / "g.fa", "--width", 4, "--json")
    summary = json.loads(out)
    assert code == 0 and summary["n"] == 2 and summary["labels"]["bound"] == {"positive": 2, "negative": 0, "fraction": 1.0}
    assert summary["annotations"]["chrom"] == {"chr1": 1, "chr2": 1}


def test_data_convert_writes_a_store(tmp_path, capsys):
    path = tmp_path / "t.fa.gz"
    path.write_bytes(gzip.compress(b">a class:1\nACGT\n>b class:0\nGG\n"))
    code, out, _ = run_cli(capsys, "data", "convert", path, "--out", tmp_path / "store")
    assert code == 0 and "2 sequences" in out
    data = load(tmp_path / "store")
    assert isinstance(data.tokens, np.memmap) and data.targets[:, 0].tolist() == [1, 0]
    code, _, err = run_cli(capsys, "data", "convert", path, "--out", tmp_path / "store")
    assert code == 2 and "already exists" in err
    assert run_cli(capsys, "data", "convert", path, "--out", tmp_path / "store", "--overwrite")[0] == 0


def _truncated_gzip(path):
    full = gzip.compress("".join(f">s{i} class:1\n{'ACGT' * 25}\n" for i in range(4000)).encode())
    path.write_bytes(full[: len(full) // 3])


BAD_INPUTS = {
    "empty fasta": ("e.fa", "", "empty file", None),
    "empty table": ("e.tsv", "", "empty file", None),
    "truncated gzip": ("t.fa.gz", _truncated_gzip, "truncated gzip", ":"),
    "fasta without header": ("h.fa", "ACGT\n>a\nACGT\n", "before the first '>' header", ":1"),
    "character outside IUPAC": ("c.fa", ">a\nACGT\n>b\nACGJ\n", "'J' is not a nucleotide", ":4"),
    "label missing": ("m.tsv", "seq\tBound\nACGT\t1\nACGT\t\n", "label missing", ":3"),
    "label not a number": ("n.tsv", "seq\tBound\nACGT\t1\nACGT\tx\n", "not a number", ":3"),
    "mismatched columns": ("w.tsv", "seq\tBound\nACGT\t1\t0\n", "3 fields, but the header names 2", ":2"),
    "interval outside chromosome": ("o.bed", "chr1\t0\t5\nchr2\t5\t15\n", "outside its chromosome", ":2"),
    "genome without a buildable index": ("i.bed", "chr1\t0\t5\n", "cannot index the genome", None),
    "gzip genome that is not bgzip": ("z.bed", "chr1\t0\t5\n", "not bgzip", None),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line_and_no_output(tmp_path, capsys, case):
    name, content, message, line = BAD_INPUTS[case]
    path = tmp_path / name
    content(path) if callable(content) else path.write_text(content)
    extra = []
    if name.endswith(".bed"):
        genome = tmp_path / "g.fa"
        if case == "genome without a buildable index":
            genome.write_text(">chr1\nACGTACGT\nAC\nACGTACGT\n")
        elif case == "gzip genome that is not bgzip":
            genome = tmp_path / "g.fa.gz"
            genome.write_bytes(gzip.compress(GENOME.encode()))
        else:
            genome.write_text(GENOME)
        extra = ["--genome", genome, "--width", 6]
    out = tmp_path / "out" / "store"
    code, stdout, err = run_cli(capsys, "data", "convert", path, "--out", out, *extra)
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith("motifnet data: error: ") and "Traceback" not in err
    assert message in err
    named = str(genome) if "genome" in case or "bgzip" in case else str(path)
    assert named in err
    if line is not None:
        assert f"{path}{line}" in err
    assert not out.exists() and not out.parent.exists()
    if "genome" in case or "bgzip" in case:
        assert list(tmp_path.glob("*.fai")) == []  # no half-built index either
    assert [p for p in tmp_path.rglob(".*")] == []  # no temporary files left behind


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path):
    path = tmp_path / "bad.fa"
    path.write_text(">a\nAC!T\n")
    result = subprocess.run(
        [sys.executable, "-m", "motifnet", "data", "summary", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"motifnet data: error: {path}:2, record 'a': character '!' is not a nucleotide or IUPAC code (expected A, C, G, T/U, N or R Y S W K M B D H V)\n"
