"""Localization of true motif sites from first-layer filter activations
(``motifnet.interpret.pipeline._activation_localization``), on its own and inside ``interpret``.

The data: 120 simulated sequences of 100 bp, each with one site on the + strand of CTCF
(MA0139.2, 15 bp) or GATA1 (MA0035.5, 7 bp). The models: conv -> ReLU -> global max -> linear, with
filters set by hand to the log-odds of those matrices, so where each filter fires is known.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from motifnet import jaspar
from motifnet.interpret.pipeline import Options, _activation_localization, interpret
from motifnet.simulate import simulate

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import MaxPoolNet  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return simulate("multilabel", n=120, length=100, motifs=["MA0139.2", "MA0035.5"], count_probabilities=[1.0],
                    strand="+", seed=0)


@pytest.fixture(scope="module")
def matrices(data):
    assert data.motif_names == ["CTCF", "GATA1"] and data.motif_ids == ["MA0139.2", "MA0035.5"]
    return [jaspar.fetch(i).probabilities for i in data.motif_ids]


def _model(matrices, n_targets: int, which=(0,)) -> MaxPoolNet:
    """One filter per matrix in ``which`` (log-odds, left-aligned, unused columns 0), width of
    the longest matrix (CTCF, 15)."""
    width = max(matrices[m].shape[1] for m in which)
    model = MaxPoolNet(len(which), width, n_targets)
    with torch.no_grad():
        model.conv.weight.zero_()
        model.conv.bias.zero_()
        for f, m in enumerate(which):
            ppm = matrices[m]
            model.conv.weight[f, :, : ppm.shape[1]] = torch.from_numpy(np.log2((ppm + 0.01) / 0.26))
    return model


def _tokens(data):
    """Tokens of the sequence holding each site, one row per site (as the pipeline passes them)."""
    return np.asarray(data.tokens[np.asarray(data.sites["sequence"])])


def test_a_filter_set_to_the_motif_finds_its_sites_and_an_unmatched_motif_counts_as_missed(data, matrices):
    model = _model(matrices, data.n_targets)
    n_ctcf = int((data.sites["motif"] == 0).sum())
    n_gata = int((data.sites["motif"] == 1).sum())
    assert n_ctcf > 30 and n_gata > 30 and n_ctcf + n_gata == len(data.sites)
    # The pipeline's by_target: upper-case motif name -> (filter indices, motif centre column in each window).
    result = _activation_localization(model, data, _tokens(data), data.sites, {"CTCF": ([0], [15 / 2])})
    assert result["by_motif"] == {
        "CTCF": {"n_sites": n_ctcf, "hit_rate": 1.0, "filters": [0]},
        "GATA1": {"n_sites": n_gata, "hit_rate": 0.0, "filters": []},
    }
    # Unmatched motifs count as misses in the overall rate, not in the 'where a filter matches' one.
    assert result["hit_rate"] == pytest.approx(n_ctcf / len(data.sites))
    assert result["hit_rate_where_a_filter_matches"] == 1.0
    # The filter's peak sits on the site's start, and the centre column puts the predicted
    # window exactly on the site.
    assert result["median_abs_distance"] == 0.0


def test_the_named_filters_and_their_centres_are_the_ones_used(data, matrices):
    model = _model(matrices, data.n_targets, which=(0, 1))  # filter 0: CTCF, filter 1: GATA1 (in a 15-wide window)
    tokens = _tokens(data)
    n_ctcf = int((data.sites["motif"] == 0).sum())
    # Centre column 0 instead of 7.5: each predicted window moves 7 positions left of the site
    # (its centre still inside the 15 bp site, so still a hit).
    shifted = _activation_localization(model, data, tokens, data.sites, {"CTCF": ([0], [0.0])})
    assert shifted["by_motif"]["CTCF"]["hit_rate"] == 1.0
    assert shifted["median_abs_distance"] == 7.0
    # CTCF sites scored with the GATA1 filter: it peaks elsewhere, nearly always a miss.
    wrong = _activation_localization(model, data, tokens, data.sites, {"CTCF": ([1], [3.5])})
    assert wrong["by_motif"]["CTCF"]["filters"] == [1]
    assert wrong["by_motif"]["CTCF"]["hit_rate"] < 0.2
    assert wrong["hit_rate_where_a_filter_matches"] < 0.2 and wrong["median_abs_distance"] > 5
    # Both motifs matched: the overall rate is the site-weighted mean of the two.
    both = _activation_localization(model, data, tokens, data.sites, {"CTCF": ([0], [7.5]), "GATA1": ([1], [3.5])})
    ctcf, gata = both["by_motif"]["CTCF"], both["by_motif"]["GATA1"]
    assert ctcf["hit_rate"] == 1.0 and gata["filters"] == [1]
    assert 0.7 < gata["hit_rate"] <= 1.0  # a 7 bp motif: a stronger chance match in 100 bp now and then
    assert both["hit_rate"] == pytest.approx((n_ctcf * ctcf["hit_rate"] + gata["n_sites"] * gata["hit_rate"]) / len(data.sites))
    assert both["hit_rate_where_a_filter_matches"] == pytest.approx(both["hit_rate"])
    assert both["median_abs_distance"] == 0.0
    # by_target is keyed by upper-case name; the data's own spelling names the result.
    mixed = dataclasses.replace(data, motif_names=["Ctcf", "Gata1"])
    again = _activation_localization(model, mixed, tokens, data.sites, {"CTCF": ([0], [7.5])})
    assert again["by_motif"]["Ctcf"]["hit_rate"] == 1.0 and again["by_motif"]["Gata1"]["filters"] == []


def test_a_model_without_a_convolution_gets_a_note(data):
    model = nn.Sequential(nn.Flatten(), nn.Linear(4 * data.length, data.n_targets))
    result = _activation_localization(model, data, _tokens(data), data.sites, {"CTCF": ([0], [7.5])})
    assert result == {"note": "no convolution reads the input"}


def test_interpret_reports_activation_localization_when_the_data_have_sites(tmp_path, data, matrices):
    from motifnet.runs import read_json

    model = _model(matrices, data.n_targets)
    options = Options(split="all", only_correct=False, n_examples=0, n_logos=0, formats=("png",))
    summary = interpret(model, data, tmp_path, options, quiet=True)
    # Tomtom names the filter CTCF, which gives the by_target that activation localization uses.
    assert summary["filters"]["matches"]["filter0"]["target"] == "MA0139.2 CTCF"
    found = summary["attributions"]["activation_localization"]
    n_ctcf = int((data.sites["motif"] == 0).sum())
    assert found["by_motif"]["CTCF"] == {"n_sites": n_ctcf, "hit_rate": 1.0, "filters": [0]}
    assert found["by_motif"]["GATA1"]["filters"] == [] and found["by_motif"]["GATA1"]["hit_rate"] == 0.0
    assert found["hit_rate"] == pytest.approx(n_ctcf / len(data.sites))
    assert found["hit_rate_where_a_filter_matches"] == 1.0
    assert found["median_abs_distance"] <= 1.0
    written = read_json(tmp_path / "localization.json")
    assert written["attributions"]["activation_localization"] == found
