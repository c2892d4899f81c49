"""One interpretation pipeline: ``motifnet interpret`` and the experiment step write the same
files with the same numbers for the same model and data; the step's option names."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motifnet.cli import main
from motifnet.errors import MotifnetError
from motifnet.interpret.pipeline import ALIASES, HEADLINE, Options


@pytest.fixture(scope="module")
def run_and_data(tmp_path_factory):
    import torch

    from motifnet.data import save
    from motifnet.models import build
    from motifnet.runs import BEST_WEIGHTS, save_weights
    from motifnet.simulate import simulate
    from motifnet.training import fit
    from test_interpret_cli import _plant_motif

    folder = tmp_path_factory.mktemp("one_pipeline")
    data = simulate("classroom", n_per_class=20, seed=2)
    save(data, folder / "data" / "test")
    torch.manual_seed(0)
    model = build("deepbind", data.n_targets, data.length, n_filters=6)
    fit(model, data, out_dir=folder / "run", quiet=True, epochs=1, batch_size=64)
    _plant_motif(model, "CACGTGAC")
    save_weights(model.state_dict(), folder / "run" / BEST_WEIGHTS)
    return folder


def _files(folder) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_cli_and_experiment_step_write_the_same_files(run_and_data):
    from motifnet.experiments.interpretation import interpret_arm

    folder = run_and_data
    step_out, cli_out = folder / "step", folder / "cli"
    options = {"n_sequences": 150, "n_localize": 25, "n_examples": 2, "n_logos": 3, "only_correct": False,
               "koo_eddy": True, "seed": 5}
    headline = interpret_arm(folder / "run", folder / "data", options, step_out)
    code = main(["interpret", "--run", str(folder / "run"), "--data", str(folder / "data" / "test"),
                 "--out", str(cli_out), "--split", "all", "--n-filter-sequences", "150", "--n-attributions", "25",
                 "--n-examples", "2", "--n-logos", "3", "--all-sequences", "--koo-eddy", "--seed", "5", "--quiet"])
    assert code == 0
    assert _files(step_out) == _files(cli_out)
    assert {"interpret.json", "localization.json", "filters.meme", "tomtom.tsv", "attributions.npz",
            "logos/attribution_1.png", "logos/attribution_1.svg"} <= _files(cli_out)
    step = json.loads((step_out / "interpret.json").read_text())
    cli = json.loads((cli_out / "interpret.json").read_text())
    assert json.loads((cli_out / "localization.json").read_text()) == cli
    timings = step.pop("seconds"), cli.pop("seconds")  # wall times: the one entry that differs
    assert set(timings[0]) == set(timings[1]) == {"filters", "attributions"}
    assert all(value >= 0 for timing in timings for value in timing.values())
    assert step == cli
    for name in ("filters.meme", "tomtom.tsv"):
        assert (step_out / name).read_text() == (cli_out / name).read_text()
    with np.load(step_out / "attributions.npz") as a, np.load(cli_out / "attributions.npz") as b:
        assert set(a.files) == set(b.files)
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])
    # the headline the report reads, and what the step returns
    assert {"n_filters", "n_informative", "figures", "localization_accuracy", "koo_eddy"} <= set(cli)
    assert set(cli) - {"settings", "n_rows", "filters", "attributions"} <= set(HEADLINE)
    assert set(cli["koo_eddy"]) >= {"true_fraction", "jaspar_fraction"}
    assert cli["localization"]["n_sites"] == 25 and cli["localization_accuracy"] == cli["localization"]["hit_rate"]
    assert headline == {key: cli.get(key) for key in headline}
    kinds = [figure["kind"] for figure in cli["figures"]]
    assert kinds.count("attribution") == 2 and 1 <= kinds.count("filters") <= 3
    assert all((cli_out / figure["file"]).exists() for figure in cli["figures"])
    assert cli["settings"]["n_filter_sequences"] == 150 and cli["settings"]["n_attributions"] == 25


def test_step_options_map_former_names():
    options = Options.from_mapping({"n_sequences": 7, "n_localize": 9, "formats": ["png"]}, split="all")
    assert (options.n_filter_sequences, options.n_attributions, options.formats, options.split) == (7, 9, ("png",), "all")
    assert set(ALIASES.values()) <= set(Options().settings())
    assert Options.from_mapping({"split": "test"}, split="all").split == "test"  # the file wins over defaults


@pytest.mark.parametrize("options, message", [({"n_sequence": 3}, "unknown option"),
                                               ({"n_localize": 3, "n_attributions": 4}, "same option")])
def test_step_options_errors(options, message):
    with pytest.raises(MotifnetError, match=message):
        Options.from_mapping(options)


def test_shipped_examples_interpret_options_are_valid():
    from motifnet.experiments import example_path, load_experiment

    for name in ("classroom", "deepbind_encode", "pooling_resolution", "pooling_tradeoff", "residual_depth",
                 "rnn_vs_lstm"):
        for arm in load_experiment(example_path(name)).arms():
            if arm.interpret:
                Options.from_mapping(arm.interpret if isinstance(arm.interpret, dict) else {})


def test_cli_skips_steps_and_prints_its_headline(run_and_data, capsys):
    folder = run_and_data
    out = folder / "attributions_only"
    code = main(["interpret", "--run", str(folder / "run"), "--data", str(folder / "data" / "test"), "--out", str(out),
                 "--split", "all", "--no-filters", "--n-attributions", "5", "--n-examples", "0"])
    assert code == 0
    assert str(out) in capsys.readouterr().out
    assert _files(out) == {"interpret.json", "localization.json", "attributions.npz"}
    summary = json.loads((out / "interpret.json").read_text())
    assert "filters" not in summary and summary["settings"]["filters"] is False and summary["figures"] == []
    assert "localization_accuracy" in summary
