"""RNA secondary structure channels (ViennaRNA RNAplfold): folding, SeqData and its store,
batches of ``[B, 4 + S, L]``, models with ``in_channels``, and the CLI path from training to
prediction, with the errors a user meets."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

from motifnet.cli import main
from motifnet.data import SeqData, batches, concatenate, load, save
from motifnet.errors import MotifnetError
from motifnet.models import build, build_from_config
from motifnet.rna_structure import KINDS, Folding, add_structure, fold, fold_one
from motifnet.sequence import one_hot, reverse_complement_one_hot

pytest.importorskip("RNA")

HAIRPIN = "GGGGGCAUAAAAGCCCCC"  # a 6-bp stem (5 G-C and the G-C closing pair) around a 6-nt loop
MOTIF = "UGUAAAUA"


def _rna(n: int, length: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGU"), int(rng.integers(length // 2, length + 1)))) for _ in range(n)]


def _labelled(n: int = 40, length: int = 30, seed: int = 0) -> SeqData:
    sequences = _rna(n, length, seed)
    labels = np.arange(n) % 2
    sequences = [s[:2] + MOTIF + s[10:] if y else s for s, y in zip(sequences, labels)]
    return SeqData.from_strings(sequences, labels, "binary", alphabet="RNA", length=length)


def test_a_hairpin_folds_into_its_stem_and_loop_and_the_channels_sum_to_one():
    channels = fold_one(HAIRPIN, Folding())
    assert channels.shape == (5, len(HAIRPIN))
    assert np.allclose(channels.sum(axis=0), 1.0, atol=1e-5)
    paired, hairpin = channels[0], channels[KINDS["contexts"].index("hairpin")]
    assert (paired[1:6] > 0.9).all() and (paired[12:17] > 0.9).all()
    assert (hairpin[6:12] > 0.9).all() and (paired[6:12] < 0.1).all()
    assert np.array_equal(fold_one(HAIRPIN, Folding("paired")), channels[:1])


def test_folding_pads_with_zeros_and_does_not_depend_on_the_number_of_processes():
    sequences = _rna(300, 40, seed=1)  # more than one chunk of work
    one = fold(sequences, Folding(), length=45, jobs=1)
    two = fold(sequences, Folding(), length=45, jobs=2)
    assert one.dtype == np.float16 and one.shape == (300, 5, 45)
    assert np.array_equal(one, two)
    for row, sequence in enumerate(sequences[:20]):
        assert not one[row, :, len(sequence):].any()
        assert np.allclose(one[row, :, : len(sequence)].astype(np.float32).sum(axis=0), 1.0, atol=5e-3)


def test_structure_travels_with_the_data_through_the_store_subsets_and_batches(tmp_path):
    data = add_structure(_labelled(), "contexts")
    assert data.channels == 9 and data.folding == Folding().to_dict()
    save(data, tmp_path / "store")
    loaded = load(tmp_path / "store")
    assert np.array_equal(loaded.structure, data.structure) and loaded.folding == data.folding
    part = loaded.subset([3, 1])
    assert np.array_equal(part.structure, data.structure[[3, 1]])
    both = concatenate([part, data.subset([0])])
    assert np.array_equal(both.structure[2], data.structure[0])
    x, _ = next(batches(loaded, 8))
    assert x.shape == (8, 9, data.length)
    assert torch.equal(x[:, :4], one_hot(data.tokens[:8]))
    assert torch.equal(x[:, 4:], torch.from_numpy(data.structure[:8].astype(np.float32)))
    assert np.array_equal(data.inputs()[:8], x.numpy())


def test_structure_errors_are_one_clear_line(monkeypatch):
    dna = SeqData.from_strings(["ACGTACGT"], [1], "binary")
    with pytest.raises(MotifnetError, match="read the data as RNA"):
        add_structure(dna, "paired")
    with pytest.raises(MotifnetError, match="unknown structure kind"):
        Folding.parse("loops")
    with pytest.raises(MotifnetError, match="unknown structure setting"):
        Folding.parse({"kind": "paired", "width": 3})
    with pytest.raises(MotifnetError, match="window and span"):
        Folding(window=1)
    data = _labelled(4)
    with pytest.raises(MotifnetError, match="come together"):
        SeqData(data.tokens, data.targets, "binary", data.target_names, data.ids, "RNA",
                structure=np.zeros((4, 1, data.length), np.float16))
    monkeypatch.setitem(sys.modules, "RNA", None)
    with pytest.raises(MotifnetError, match="pip install viennarna"):
        fold_one("ACGU", Folding())


@pytest.mark.parametrize("name, params", [
    ("deepbind", {"n_filters": 4, "filter_length": 5}),
    ("danq", {"n_filters": 4, "filter_length": 5, "pool_size": 2, "lstm_hidden": 3, "dense": 0}),
    ("cnn", {}),
    ("deepsea", {"filters": [4, 4, 4], "dense": 0, "pool_size": 2}),
    ("resnet", {"initial_filters": 4, "n_blocks": 1, "channels": 4}),
    ("lstm", {"hidden": 4, "conv_filters": 3}),
    ("gru", {"hidden": 4}),
])
def test_every_family_reads_extra_channels_and_records_them(name, params):
    model = build(name, 1, 64, in_channels=9, **params)
    assert model(torch.rand(2, 9, 64)).shape == (2, 1)
    assert model.config["in_channels"] == 9
    rebuilt = build_from_config(model.config)
    assert sum(p.numel() for p in rebuilt.parameters()) == sum(p.numel() for p in model.parameters())
    assert "in_channels" not in build(name, 1, 64, **params).config  # a sequence-only config as before


def test_structure_channels_are_read_on_one_strand():
    with pytest.raises(MotifnetError, match="one strand"):
        build("deepbind", 1, 30, in_channels=5, strands="both")
    with pytest.raises(MotifnetError, match="4 base channels"):
        reverse_complement_one_hot(torch.zeros(1, 5, 10))


def test_fit_refuses_a_model_that_does_not_read_the_structure_and_shuffled_negatives():
    from motifnet.training import fit

    data = add_structure(_labelled(), "paired")
    with pytest.raises(MotifnetError, match="in_channels=5"):
        fit(build("deepbind", 1, data.length, n_filters=2, filter_length=4), data, epochs=1, quiet=True)
    positives = SeqData(data.tokens[1::2], data.targets[1::2], "binary", ["bound"], data.ids[1::2], "RNA",
                        structure=data.structure[1::2], folding=data.folding)
    with pytest.raises(MotifnetError, match="shuffled negatives"):
        fit(build("deepbind", 1, data.length, in_channels=5, n_filters=2, filter_length=4), positives, epochs=1,
            negatives="dinuc-shuffle", quiet=True)


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def fasta(tmp_path_factory):
    data = _labelled(60, 30, seed=3)
    path = tmp_path_factory.mktemp("structure") / "train.fa"
    from motifnet.io.fasta import write_fasta

    write_fasta(path, data)
    return path


def test_train_predict_and_evaluate_with_structure_from_the_command_line(fasta, tmp_path, capsys):
    run = tmp_path / "run"
    code, out, err = run_cli(capsys, "train", "--data", fasta, "--alphabet", "RNA", "--structure", "contexts",
                             "--structure-span", "20", "--model", "deepbind", "--set", "n_filters=3",
                             "--set", "filter_length=6", "--epochs", "2", "--out", run, "--quiet", "--threads", "1")
    assert code == 0, err
    config = json.loads((run / "config.json").read_text())
    assert config["folding"] == {"kind": "contexts", "window": 150, "span": 20}
    assert config["model"]["in_channels"] == 9
    code, out, err = run_cli(capsys, "predict", "--run", run, "--data", fasta, "--out", tmp_path / "p.tsv",
                             "--quiet", "--threads", "1")
    assert code == 0, err
    rows = (tmp_path / "p.tsv").read_text().splitlines()
    assert len(rows) == 61
    from motifnet.predict import predict
    from motifnet.runs import load_run

    trained = load_run(run)
    data = add_structure(_labelled(60, 30, seed=3), {"kind": "contexts", "window": 150, "span": 20})
    expected = predict(trained.model, data)[:, 0]
    assert np.allclose([float(r.split("\t")[1]) for r in rows[1:]], expected, atol=1e-5)
    code, out, err = run_cli(capsys, "evaluate", "--run", run, "--data", fasta, "--quiet", "--threads", "1")
    assert code == 0 and json.loads(out)["n"] == 60, err
    code, out, err = run_cli(capsys, "interpret", "--run", run, "--data", fasta, "--out", tmp_path / "i")
    assert code == 2 and err.count("\n") == 1 and "structure" in err, err
    assert not (tmp_path / "i").exists()
    code, out, err = run_cli(capsys, "variants", "--run", run, "--vcf", tmp_path / "v.vcf", "--fasta", fasta,
                             "--out", tmp_path / "v.tsv")
    assert code == 2 and err.count("\n") == 1 and "structure" in err, err
    code, out, err = run_cli(capsys, "scan", "--run", run, "--fasta", fasta, "--out", tmp_path / "s.bedgraph")
    assert code == 2 and err.count("\n") == 1 and "structure" in err, err
    assert not (tmp_path / "s.bedgraph").exists()


def test_convert_stores_structure_and_summary_shows_it(fasta, tmp_path, capsys):
    code, out, err = run_cli(capsys, "data", "convert", fasta, "--alphabet", "RNA", "--structure", "paired",
                             "--out", tmp_path / "store", "--quiet")
    assert code == 0 and "1 structure channels" in out, err
    assert load(tmp_path / "store").structure.shape == (60, 1, 30)
    code, out, err = run_cli(capsys, "data", "summary", tmp_path / "store")
    assert code == 0 and "structure   paired (RNAplfold W 150, L 50)" in out, err
    code, out, err = run_cli(capsys, "data", "convert", fasta, "--alphabet", "DNA", "--structure", "paired",
                             "--out", tmp_path / "dna")
    assert code == 2 and err.count("\n") == 1 and "as RNA" in err, err
    assert not (tmp_path / "dna").exists()


def test_an_experiment_folds_once_into_its_stores(fasta, tmp_path):
    from motifnet.experiments.datasets import make_data

    summary = make_data({"path": str(fasta), "read": {"alphabet": "RNA"}, "structure": "paired"}, tmp_path / "d")
    assert summary["structure"]["kind"] == "paired"
    for split in ("train", "valid", "test"):
        part = load(tmp_path / "d" / split)
        assert part.structure.shape[1:] == (1, 30)
        assert np.array_equal(part.structure, add_structure(SeqData(
            np.asarray(part.tokens), np.asarray(part.targets), "binary", part.target_names, part.ids, "RNA",
            np.asarray(part.lengths)), "paired").structure)


def test_tune_searches_a_model_that_reads_the_structure(fasta, tmp_path, capsys):
    (tmp_path / "space.yaml").write_text("lr: [0.01, 0.03]\n")
    code, out, err = run_cli(capsys, "tune", "--data", fasta, "--alphabet", "RNA", "--structure", "paired",
                             "--model", "deepbind", "--set", "n_filters=3", "--set", "filter_length=6",
                             "--space", tmp_path / "space.yaml", "--trials", "2", "--folds", "2", "--epochs", "1",
                             "--out", tmp_path / "tuned", "--ensemble", "--quiet")
    assert code == 0, err
    config = json.loads((tmp_path / "tuned" / "best" / "config.json").read_text())
    assert config["folding"]["kind"] == "paired" and config["model"]["in_channels"] == 5
    assert json.loads((tmp_path / "tuned" / "ensemble" / "config.json").read_text())["folding"] == config["folding"]
    code, out, err = run_cli(capsys, "evaluate", "--run", tmp_path / "tuned" / "ensemble", "--data", fasta, "--quiet")
    assert code == 0 and json.loads(out)["n"] == 60, err
