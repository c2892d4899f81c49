"""The ENCODE evaluation's bookkeeping (published table parsing, matching, markdown) on small files."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import eval_encode  # noqa: E402


def test_published_table_second_row_header_and_prefix_matching(tmp_path):
    (tmp_path / "published_auc_encodeaucs.csv").write_text(
        ',"ALL ENCODE EXPERIMENTS",,,\n'
        ",TF_CellLine_Antibody_Lab,DeepBind*,DeepBind,BestSexus\n"
        "0,ARID3A_K562_ARID3A_(sc-8821)_Stanford,0.88754,0.80989,0.7\n"
        "1,MYC_H1-hESC_c-Myc_Stanford,0.93007,0.85510,0.8\n"
    )
    for name in ("ARID3A_K562_ARID3A_(sc-8821)_Stanford", "MYC_H1-hESC_c-Myc_Stanford", "LONELY_X"):
        (tmp_path / f"{name}_AC.seq.gz").write_bytes(b"")
    (tmp_path / "ARID3A_K562_ARID3A_(sc-8821)_Stanford_B.seq.gz").write_bytes(b"")
    (tmp_path / "MYC_H1-hESC_c-Myc_Stanford_B.seq.gz").write_bytes(b"")
    table = eval_encode.published(tmp_path)
    assert table["MYC_H1-hESC_c-Myc_Stanford"] == {"DeepBind*": 0.93007, "DeepBind": 0.8551}
    assert eval_encode.experiments(tmp_path) == ["ARID3A_K562_ARID3A_(sc-8821)_Stanford", "MYC_H1-hESC_c-Myc_Stanford"]
    assert eval_encode.match_published("MYC_H1-hESC_c-Myc_Stanford", table)["DeepBind*"] == 0.93007
    assert eval_encode.match_published("ARID3A_K562_ARID3A_(sc-8821)_Stanford_extra", table)["DeepBind"] == 0.80989
    assert eval_encode.match_published("CTCF_nowhere", table) is None


def test_markdown_table_has_every_row_and_the_mean():
    rows = [
        {"experiment": "A", "train_positives": 10, "auc": 0.95, "deepbind_star": 0.9, "deepbind": 0.8, "epochs": 3,
         "best_epoch": 2, "train_seconds": 12.0},
        {"experiment": "B", "train_positives": 20, "auc": 0.85, "deepbind_star": None, "deepbind": None, "epochs": 5,
         "best_epoch": 5, "train_seconds": 30.0},
    ]
    summary = {"mean_auc": 0.9, "mean_deepbind_star": 0.9, "mean_deepbind": 0.8, "mean_train_seconds": 21.0}
    text = eval_encode.markdown(rows, summary)
    lines = text.strip().splitlines()
    assert len(lines) == 5 and "| A | 10 | **0.950** | 0.900 | 0.800 | 3 (2) | 12 |" in lines
    assert "| B | 20 | **0.850** |  |  | 5 (5) | 30 |" in lines and lines[-1].startswith("| **mean** |")
