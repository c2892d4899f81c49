"""The patterns step of ``motifnet interpret``: a model that reads CTCF, explained by DeepLIFT,
gives a CTCF pattern whose seqlets lie on the simulated sites; files, summary and report."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from motifnet.cli import main
from motifnet.interpret.pattern_step import contribution_method, explained_rows
from motifnet.models.layers import GlobalPool


class MotifReader(nn.Module):
    """conv (filter 0 = a motif's log-odds) -> ReLU -> global max and mean -> linear."""

    def __init__(self, ppm: np.ndarray):
        super().__init__()
        self.conv = nn.Conv1d(4, 2, ppm.shape[1])
        self.relu = nn.ReLU()  # a module, so that DeepLIFT's rule replaces its gradient
        self.pool = GlobalPool("maxavg")
        self.linear = nn.Linear(4, 1)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[0] = torch.as_tensor(np.log2((ppm + 0.01) / 0.25), dtype=torch.float32)
            self.conv.bias.fill_(-4.0)
            self.linear.weight.copy_(torch.tensor([[1.0, 0.0, 20.0, 0.0]]))
            self.linear.bias.fill_(-2.0)

    def forward(self, x):
        return self.linear(self.pool(self.relu(self.conv(x))))


@pytest.fixture(scope="module")
def ctcf_run(tmp_path_factory):
    from motifnet.data import save
    from motifnet.simulate import simulate
    from motifnet.interpret.truth import true_motifs

    folder = tmp_path_factory.mktemp("patterns")
    data = simulate("binary", motif="MA0139", n_per_class=250, length=100, seed=1)
    save(data, folder / "data")
    model = MotifReader(true_motifs(data)[0].probabilities).eval()
    return folder, data, model


def test_rows_explained_are_positives_for_binary_data_and_all_rows_for_classes():
    from motifnet.simulate import simulate

    binary = simulate("binary", motif="MA0139", n_per_class=20, length=60, seed=0)
    rows = np.arange(len(binary))
    chosen, targets = explained_rows(binary, rows, np.zeros((len(rows), 1)), 1000, seed=0)
    assert set(binary.targets[chosen, 0]) == {1.0} and len(chosen) == 20 and (targets == 0).all()
    classes = simulate("classroom", n_per_class=3, seed=0)
    rows = np.arange(len(classes))
    chosen, targets = explained_rows(classes, rows, np.zeros((len(rows), 11)), 10, seed=0)
    assert len(chosen) == 10 and (targets == classes.targets[chosen]).all()


def test_the_method_follows_the_rules():
    from motifnet.models import build

    assert contribution_method(MotifReader(np.full((4, 8), 0.25))) == "deep_lift_shap"
    assert contribution_method(build("danq", 2, 100, preset="classroom")) == "integrated_gradients"


def test_patterns_step_finds_the_motif_on_its_sites(ctcf_run):
    from motifnet.interpret.pipeline import Options, interpret

    folder, data, model = ctcf_run
    out = folder / "out"
    options = Options(filters=False, attributions=False, patterns=True, split="all", n_shuffles=4, n_logos=2,
                      formats=("png",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # DeepLIFT converges on this model
        summary = interpret(model, data, out, options)
    patterns = summary["patterns"]
    assert patterns["method"] == "deep_lift_shap" and patterns["n_sequences"] == 250
    assert summary["pattern_recovery_fraction"] == 1.0
    # the model also reads CTCF-like windows of the random background, which are no planted site
    assert summary["seqlet_precision"] >= 0.8 and summary["n_patterns"] == len(patterns["patterns"]) >= 1
    assert "CTCF" in patterns["patterns"][0]["match"]
    for name in ("patterns.meme", "patterns_tomtom.tsv", "seqlets.tsv", "seqlets.bed", "contributions.npz"):
        assert (out / name).stat().st_size > 0
    figures = [f for f in summary["figures"] if f["kind"] == "patterns"]
    assert figures and all((out / f["file"]).exists() for f in figures)
    rows = (out / "seqlets.tsv").read_text().splitlines()
    assert len(rows) - 1 == sum(p["n_seqlets"] for p in patterns["patterns"])
    with np.load(out / "contributions.npz") as saved:
        assert saved["hypothetical"].shape == (250, 4, 100)
        assert set(data.targets[saved["rows"], 0]) == {1.0}


def test_no_positive_rows_is_a_note_not_a_crash(ctcf_run, tmp_path):
    from motifnet.interpret.pipeline import Options, interpret

    _, data, model = ctcf_run
    negatives = data.subset(np.flatnonzero(data.targets[:, 0] == 0))
    summary = interpret(model, negatives, tmp_path, Options(filters=False, attributions=False, patterns=True,
                                                            split="all"))
    assert summary["patterns"]["patterns"] == [] and "no sequence" in summary["patterns"]["note"]
    assert summary["n_patterns"] == 0


def test_cli_checks_the_pattern_counts(ctcf_run, tmp_path, capsys):
    folder = ctcf_run[0]
    base = ["interpret", "--run", str(folder / "run"), "--data", str(folder / "data"), "--out", str(tmp_path / "o")]
    assert main(base + ["--patterns", "--n-shuffles", "0"]) == 2
    assert "--n-shuffles must be >= 1" in capsys.readouterr().err
    assert main(base + ["--patterns", "--n-pattern-sequences", "-1"]) == 2
    assert "--n-pattern-sequences must be >= 0" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
