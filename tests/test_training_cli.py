"""The train, evaluate and predict commands, end to end on small files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from training_support import motif_data, write_seq

from motifnet.cli import main
from motifnet.data import save


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    data = motif_data(160, seed=1)
    positives = data.subset(np.flatnonzero(data.targets[:, 0] == 1))
    write_seq(root / "train_AC.seq", positives)
    write_seq(root / "test_B.seq", motif_data(60, seed=2))
    save(motif_data(90, task="multiclass", seed=3), root / "classes")
    return root


def test_train_evaluate_predict_on_positive_only_seq_files(files, capsys):
    run = files / "run"
    code = main(["train", "--data", str(files / "train_AC.seq"), "--model", "deepbind", "--set", "n_filters=8",
                 "--set", "filter_length=8", "--set", "hidden=0", "--set", "epochs=4", "--set", "lr=0.02",
                 "--set", "augment=rc", "--negatives", "dinuc-shuffle", "--out", str(run), "--quiet"])
    assert code == 0
    assert "best epoch" in capsys.readouterr().out
    config = json.loads((run / "config.json").read_text())
    assert config["model"]["params"]["n_filters"] == 8 and config["training"]["negatives"] == "dinuc-shuffle"
    assert (run / "history.csv").read_text().startswith("epoch,train_loss,valid_loss,valid_auroc,lr,seconds")

    assert main(["evaluate", "--run", str(run), "--data", str(files / "test_B.seq"), "--out", str(files / "ev.json"),
                 "--quiet"]) == 0
    result = json.loads((files / "ev.json").read_text())
    assert result["n"] == 60 and result["strands"] == "both" and result["macro"]["auroc"] > 0.75

    assert main(["predict", "--run", str(run), "--data", str(files / "test_B.seq"), "--out", str(files / "p.tsv"),
                 "--quiet"]) == 0
    lines = (files / "p.tsv").read_text().splitlines()
    assert lines[0] == "id\tBound" and len(lines) == 61
    values = np.array([float(line.split("\t")[1]) for line in lines[1:]])
    assert ((values > 0) & (values < 1)).all()


def test_train_multiclass_store_with_a_config_file(files, capsys):
    (files / "settings.yaml").write_text("model:\n  n_filters: 6\n  filter_length: 8\ntraining:\n  epochs: 2\n")
    run = files / "classes_run"
    assert main(["train", "--data", str(files / "classes"), "--model", "deepbind", "--config",
                 str(files / "settings.yaml"), "--set", "hidden=0", "--out", str(run), "--quiet"]) == 0
    assert "accuracy" in capsys.readouterr().out
    assert main(["evaluate", "--run", str(run), "--data", str(files / "classes"), "--quiet"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert len(printed["confusion_matrix"]) == 3 and printed["strands"] == "forward"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "optimiser=adam"], "unknown parameter"),
        (["--set", "epochs=0"], "epochs"),
        (["--set", "n_targets"], "KEY=VALUE"),
        ([], "only positives"),
    ],
)
def test_train_mistakes_are_one_line_errors(files, capsys, args, message):
    code = main(["train", "--data", str(files / "train_AC.seq"), "--model", "deepbind", "--out",
                 str(files / "bad"), "--quiet", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and message in err
    assert not (files / "bad" / "model.safetensors").exists()


def test_evaluate_refuses_a_corrupt_checkpoint_and_mismatched_data(files, capsys):
    run = files / "run"
    if not run.exists():
        pytest.skip("needs the training test's run")
    corrupt = files / "corrupt"
    corrupt.mkdir()
    (corrupt / "config.json").write_text((run / "config.json").read_text())
    (corrupt / "model.safetensors").write_bytes(b"\x80\x04garbage")
    assert main(["evaluate", "--run", str(corrupt), "--data", str(files / "test_B.seq")]) == 2
    assert "not a safetensors weights file" in capsys.readouterr().err
    assert main(["evaluate", "--run", str(run), "--data", str(files / "classes")]) == 2
    assert "binary but the data are multiclass" in capsys.readouterr().err
