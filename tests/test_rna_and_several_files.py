"""Several files per command (one per class, or ``path=label``) and the RNA path (T read as U,
one strand everywhere), through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motifnet.cli import main
from motifnet.io import read_data, read_labelled

MOTIF = "TGTAAATA"  # PUM2's UGUAAAUA, written with T as RBP-31 is


def _records(n: int, seed: int, with_motif: bool, letter_t: str = "T") -> str:
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        sequence = "".join(rng.choice(list("ACGT"), 40))
        if with_motif:
            at = int(rng.integers(0, 40 - len(MOTIF)))
            sequence = sequence[:at] + MOTIF + sequence[at + len(MOTIF):]
        lines.append(f">r{seed}_{i}\n{sequence.replace('T', letter_t)}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("rna")
    (root / "bound.fa").write_text(_records(120, 1, True))
    (root / "other.fa").write_text(_records(120, 2, False))
    (root / "neg.fa").write_text(_records(120, 2, False))
    (root / "bound_u.fa").write_text(_records(20, 3, True, "U"))
    (root / "mixed.fa").write_text(">a\nACGTAC\n>b\nACGUAC\n")
    (root / "genome.fa").write_text(">chr1\n" + "ACGT" * 30 + "\n")
    return root


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *words):
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


def test_two_files_by_name_and_by_explicit_labels_read_alike(files):
    by_name = read_data([files / "bound.fa", files / "neg.fa"])
    by_label = read_labelled([(files / "bound.fa", 1), (files / "other.fa", 0)])
    for data in (by_name, by_label):
        assert data.task == "binary" and data.targets[:, 0].tolist() == [1.0] * 120 + [0.0] * 120
    assert np.array_equal(by_name.tokens, by_label.tokens)
    assert list(np.unique(by_label.annotations["file"])) == ["bound.fa", "other.fa"]


def test_class_names_as_labels_give_multiclass(files):
    data = read_labelled([(files / "bound.fa", "site"), (files / "other.fa", "background")])
    assert data.task == "multiclass" and data.target_names == ["site", "background"]


def test_data_summary_takes_labels_and_refuses_ambiguous_names(files, capsys):
    code, out, _ = run_cli(capsys, "data", "summary", f"{files}/bound.fa=1", f"{files}/other.fa=0", "--json")
    assert code == 0 and json.loads(out)["labels"]["bound"]["positive"] == 120
    code, _, err = run_cli(capsys, "data", "summary", files / "bound.fa", files / "other.fa")
    assert_one_line_error(code, err, "cannot tell which", "bound.fa=1 other.fa=0")
    code, _, err = run_cli(capsys, "data", "summary", f"{files}/bound.fa=1", files / "other.fa")
    assert_one_line_error(code, err, "has no label")


def test_a_fasta_holding_t_and_u_is_one_line_and_convert_writes_nothing(files, capsys, tmp_path):
    code, _, err = run_cli(capsys, "data", "convert", files / "mixed.fa", "--out", tmp_path / "store")
    assert_one_line_error(code, err, "mixed.fa:3", "record 'b'", "not both")
    assert not (tmp_path / "store").exists()


def test_files_in_u_and_in_t_need_the_alphabet(files, capsys):
    code, _, err = run_cli(capsys, "data", "summary", f"{files}/bound_u.fa=1", f"{files}/other.fa=0")
    assert_one_line_error(code, err, "--alphabet RNA")
    code, out, _ = run_cli(capsys, "data", "summary", f"{files}/bound_u.fa=1", f"{files}/other.fa=0",
                           "--alphabet", "rna", "--json")
    assert code == 0 and json.loads(out)["alphabet"] == "RNA"


TRAIN = ["--model", "deepbind", "--set", "n_filters=4", "--set", "filter_length=8", "--set", "hidden=0",
         "--set", "epochs=2", "--set", "lr=0.02", "--quiet"]


def test_train_refuses_ambiguous_files_and_rc_for_rna_without_writing(files, capsys, tmp_path):
    code, _, err = run_cli(capsys, "train", "--data", files / "bound.fa", files / "other.fa", *TRAIN,
                           "--out", tmp_path / "a")
    assert_one_line_error(code, err, "cannot tell which")
    code, _, err = run_cli(capsys, "train", "--data", files / "bound.fa", files / "neg.fa", "--alphabet", "RNA",
                           "--set", "augment=rc", *TRAIN, "--out", tmp_path / "b")
    assert_one_line_error(code, err, "augment 'rc'", "one strand")
    code, _, err = run_cli(capsys, "train", "--data", files / "bound.fa", files / "neg.fa", "--alphabet", "RNA",
                           "--set", "strands=both", *TRAIN, "--out", tmp_path / "c")
    assert_one_line_error(code, err, "RNA has one strand")
    assert not any((tmp_path / name).exists() for name in "abc")


@pytest.fixture(scope="module")
def rna_run(files, tmp_path_factory):
    run = tmp_path_factory.mktemp("rna_run") / "run"
    code = main(["train", "--data", f"{files}/bound.fa=1", f"{files}/other.fa=0", "--alphabet", "RNA",
                 "--valid", str(files / "bound_u.fa"), str(files / "neg.fa"), *TRAIN, "--out", str(run)])
    assert code == 0
    return run


def test_an_rna_run_records_its_alphabet_and_reads_one_strand(rna_run, files, capsys, tmp_path):
    config = json.loads((rna_run / "config.json").read_text())
    assert config["alphabet"] == "RNA"
    assert config["data"]["train"] == f"{files}/bound.fa=1 {files}/other.fa=0"
    # evaluation reads T-written data as the run's alphabet, several files too
    code, out, _ = run_cli(capsys, "evaluate", "--run", rna_run, "--data", files / "bound.fa", files / "neg.fa",
                           "--quiet")
    result = json.loads(out)
    assert code == 0 and result["strands"] == "forward" and result["n"] == 240
    code, _, err = run_cli(capsys, "evaluate", "--run", rna_run, "--data", files / "bound.fa", files / "neg.fa",
                           "--alphabet", "DNA", "--quiet")
    assert_one_line_error(code, err, "trained on RNA")
    code, _, err = run_cli(capsys, "predict", "--run", rna_run, "--data", files / "bound.fa", "--strands", "both",
                           "--out", tmp_path / "p.tsv", "--quiet")
    assert_one_line_error(code, err, "one strand")
    assert not (tmp_path / "p.tsv").exists()


def test_an_rna_run_refuses_to_scan_both_strands(rna_run, files, capsys, tmp_path):
    code, _, err = run_cli(capsys, "scan", "--run", rna_run, "--fasta", files / "genome.fa", "--strands", "both",
                           "--out", tmp_path / "s.bedgraph", "--quiet")
    assert_one_line_error(code, err, "one strand")
    assert not list(tmp_path.iterdir())
    code, out, _ = run_cli(capsys, "scan", "--run", rna_run, "--fasta", files / "genome.fa",
                           "--out", tmp_path / "s.bedgraph", "--quiet")
    assert code == 0 and "strands forward" in out


def test_interpret_writes_rna_letters(rna_run, files, capsys, tmp_path):
    code, _, err = run_cli(capsys, "interpret", "--run", rna_run, "--data", files / "bound.fa", files / "neg.fa",
                           "--out", tmp_path / "interp", "--n-attributions", "8", "--n-logos", "1",
                           "--n-examples", "1", "--quiet")
    assert code == 0, err
    meme = (tmp_path / "interp" / "filters.meme").read_text()
    assert "ALPHABET= ACGU" in meme and "A 0." in meme and " U 0." in meme


def _rbp31_file(path, n: int, seed: int) -> None:
    import gzip

    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        bound = i % 4 == 0
        sequence = "".join(rng.choice(list("ACGT"), 60))
        if bound:
            sequence = sequence[:20] + MOTIF + sequence[28:]
        lines.append(f"> chr1,+,{i * 100},{i * 100 + 60}; class:{int(bound)}\n{sequence}")
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")


def test_the_shipped_rbp_experiment_reads_rbp31_files_as_rna(tmp_path, monkeypatch):
    from motifnet.experiments import example_path, load_experiment, run_experiment

    folder = tmp_path / "rbp31" / "23_PARCLIP_PUM2_hg19"
    folder.mkdir(parents=True)
    _rbp31_file(folder / "train.fa.gz", 160, 1)
    _rbp31_file(folder / "test.fa.gz", 80, 2)
    root = example_path("rbp_clip").parents[3]  # the repository: the reference table's path is relative to it
    monkeypatch.chdir(root)
    experiment = load_experiment(example_path("rbp_clip"), [
        f"params.data_dir={tmp_path / 'rbp31'}", "sweep.values=[23_PARCLIP_PUM2_hg19]", "train.epochs=1",
        "models.DeepBind.params.n_filters=4", "models.DeepBind.params.filter_length=8", "interpret=false",
        "models.DeepBind + structure.params.n_filters=4", "models.DeepBind + structure.params.filter_length=8",
    ])
    run_experiment(experiment, tmp_path / "out", quiet=True, log=None)
    table = (tmp_path / "out" / "report" / "results.md").read_text()
    assert "iDeep" in table and "0.983" in table and "DeepBind + structure" in table
    summaries = [json.loads(path.read_text()) for path in sorted((tmp_path / "out" / "data").glob("*/summary.json"))]
    assert [s["alphabet"] for s in summaries] == ["RNA", "RNA"]
    assert sorted(str((s.get("structure") or {}).get("kind")) for s in summaries) == ["None", "contexts"]
    configs = [json.loads(path.read_text()) for path in sorted((tmp_path / "out" / "train").rglob("config.json"))]
    assert [c["alphabet"] for c in configs] == ["RNA", "RNA"] and all(c["training"]["augment"] == [] for c in configs)
    assert sorted(c["model"].get("in_channels", 4) for c in configs) == [4, 9]
