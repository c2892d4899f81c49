"""Variant effects: windows centred on SNVs and indels, per-record statuses, VCF errors, CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from motifnet.cli import main
from motifnet.errors import MotifnetError
from motifnet.io.vcf import VcfRecord, read_vcf
from motifnet.models import build
from motifnet.scan import score_windows
from motifnet.sequence import decode, encode
from motifnet.scan.variants import score_variants, variant_windows

sys.path.insert(0, str(Path(__file__).parent))
from scan_support import make_run, write_fasta  # noqa: E402

GENOME = decode(np.random.default_rng(0).integers(0, 4, 400))


def _record(pos, ref, alt, chrom="chr1"):
    return VcfRecord(chrom, pos, ".", ref, (alt,), 1)


def test_snv_windows_are_centred_and_differ_only_at_the_variant():
    tokens = encode(GENOME)
    pos = 200
    alt = "A" if GENOME[pos - 1] != "A" else "C"
    status, _, start, ref, alt_tokens = variant_windows(tokens, _record(pos, GENOME[pos - 1], alt), alt, 31)
    assert status == "ok" and start == pos - 1 - 15
    assert decode(ref) == GENOME[start : start + 31]
    differ = np.flatnonzero(ref != alt_tokens)
    assert differ.tolist() == [15] and decode(alt_tokens[15:16]) == alt


def test_windows_near_chromosome_ends_shift_inwards():
    tokens = encode(GENOME)
    for pos, expected_start in ((3, 0), (399, 400 - 31)):
        alt = "G" if GENOME[pos - 1] != "G" else "T"
        status, _, start, ref, alt_tokens = variant_windows(tokens, _record(pos, GENOME[pos - 1], alt), alt, 31)
        assert status == "ok" and start == expected_start and len(alt_tokens) == 31
        assert np.flatnonzero(ref != alt_tokens).tolist() == [pos - 1 - start]


def test_deletion_and_insertion_windows():
    tokens = encode(GENOME)
    ref = GENOME[99:103]  # delete 3 bases after the first
    _, _, start, ref_w, alt_w = variant_windows(tokens, _record(100, ref, ref[0]), ref[0], 31)
    haplotype = GENOME[:100] + GENOME[103:]
    assert decode(alt_w) in haplotype and decode(ref_w) == GENOME[start : start + 31]
    insertion = GENOME[99] + "TTTT"
    _, _, _, _, alt_w = variant_windows(tokens, _record(100, GENOME[99], insertion), insertion, 31)
    assert "TTTT" in decode(alt_w)[11:20] and decode(alt_w) in GENOME[:100] + "TTTT" + GENOME[100:]


def test_statuses_are_reported_per_record():
    tokens = encode(GENOME)
    wrong = "A" if GENOME[49] != "A" else "C"
    cases = {
        "ref_mismatch": (_record(50, wrong, "G"), "G"),
        "unsupported_allele": (_record(50, GENOME[49], "<DEL>"), "<DEL>"),
        "outside_chrom": (_record(401, "A", "G"), "G"),
        "indel_too_long": (_record(50, GENOME[49:70], GENOME[49]), GENOME[49]),
    }
    for expected, (record, alt) in cases.items():
        assert variant_windows(tokens, record, alt, 31)[0] == expected


def test_score_variants_matches_scoring_the_windows_and_flags_problems():
    torch.manual_seed(0)
    model = build("deepbind", 1, 31, n_filters=4, filter_length=5, hidden=0).eval()
    genome = [("chr1", GENOME), ("chr2", GENOME[::-1])]
    alt = "T" if GENOME[149] != "T" else "A"
    records = [_record(150, GENOME[149], alt), _record(10, "N", "A", chrom="chrZ"),
               VcfRecord("chr1", 60, "rs", GENOME[59], ("A", "C", "G", "T"), 3)]
    results = score_variants(model, genome, records, 31)
    assert [r.status for r in results][:2] == ["ok", "chrom_not_in_genome"] and len(results) == 6
    same = [r for r in results[2:] if r.alt == GENOME[59]][0]
    np.testing.assert_allclose(same.ref_logits, same.alt_logits, atol=1e-6)  # ALT == REF: no effect
    first = results[0]
    _, _, _, ref_w, alt_w = variant_windows(encode(GENOME), records[0], alt, 31)
    expected, _ = score_windows(model, np.stack([ref_w, alt_w]), strands="both")
    np.testing.assert_allclose(np.stack([first.ref_logits, first.alt_logits]), expected, atol=1e-6)
    with pytest.raises(MotifnetError, match="same names"):
        score_variants(model, genome, [_record(10, "A", "G", chrom="1")], 31)


def test_vcf_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.vcf"
    path.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\nchr1\t10\t.\tA\tG\nchr1\tten\t.\tA\tG\n")
    with pytest.raises(MotifnetError, match=r"bad.vcf:4.*POS"):
        read_vcf(path)
    path.write_text("chr1 10 . A G\n")
    with pytest.raises(MotifnetError, match="5 tab-separated"):
        read_vcf(path)


def test_cli_variants_writes_tsv_with_statuses(tmp_path, capsys):
    run = make_run(tmp_path / "run", input_length=31)
    fasta = write_fasta(tmp_path / "g.fa.gz", {"chr1": GENOME}, gz=True)
    wrong = "A" if GENOME[49] != "A" else "C"
    alt = "G" if GENOME[99] != "G" else "T"
    vcf = tmp_path / "v.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"chr1\t100\trs1\t{GENOME[99]}\t{alt}\t.\t.\t.\n"
        f"chr1\t50\trs2\t{wrong}\tG\t.\t.\t.\n"
        "chrUn\t5\trs3\tA\tG\t.\t.\t.\n"
    )
    out = tmp_path / "effects.tsv"
    assert main(["variants", "--run", str(run), "--fasta", str(fasta), "--vcf", str(vcf), "--out", str(out)]) == 0
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    header, body = rows[0], rows[1:]
    assert header[:6] == ["chrom", "pos", "id", "ref", "alt", "status"] and header[-1] == "delta_bound"
    assert [r[5] for r in body] == ["ok", "ref_mismatch", "chrom_not_in_genome"]
    ref_p, alt_p, delta = (float(x) for x in body[0][-3:])
    assert 0 < ref_p < 1 and abs(alt_p - ref_p - delta) < 1e-5
    assert body[1][-1] == "" and "ref_mismatch" in capsys.readouterr().err
    only_absent = tmp_path / "absent.vcf"
    only_absent.write_text("chrUn\t5\t.\tA\tG\n")
    assert main(["variants", "--run", str(run), "--fasta", str(fasta), "--vcf", str(only_absent), "--out",
                 str(tmp_path / "x.tsv")]) == 2
    err = capsys.readouterr().err
    assert "chrUn" in err and "Traceback" not in err
