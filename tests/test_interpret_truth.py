"""True motifs of simulated data as exact JASPAR matrices (id + version), and recovery scored
against exactly those matrices, not against whatever a name lookup returns."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from motifnet import jaspar as jaspar_module
from motifnet.interpret import tomtom, truth
from motifnet.simulate import simulate

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import MaxPoolNet  # noqa: E402

OLD_VERSIONS = ["MA0466.2", "MA0058.3", "MA0137.3"]  # CEBPB, MAX, STAT1 as in JASPAR 2016 (Koo & Eddy)


@pytest.fixture(scope="module")
def jaspar():
    return tomtom.load_database("JASPAR2024", "CORE", "vertebrates")


@pytest.fixture(scope="module")
def old_data():
    return simulate("multilabel", n=240, motifs=OLD_VERSIONS, seed=3)


def test_true_motifs_are_the_embedded_versions_not_the_newest(old_data):
    # A name lookup gives the newest versions: matching by name would score the wrong matrices.
    newest = [jaspar_module.fetch(name).id for name in old_data.motif_names]
    assert newest != OLD_VERSIONS and all(n.split(".")[0] == o.split(".")[0] for n, o in zip(newest, OLD_VERSIONS))
    assert old_data.motif_ids == OLD_VERSIONS  # simulate records the exact matrices
    assert [(t.id, t.source) for t in truth.true_motifs(old_data)] == [(i, "metadata") for i in OLD_VERSIONS]
    # Without recorded ids (data from elsewhere) the versions are inferred from the sites.
    old_data = dataclasses.replace(old_data, motif_ids=[])
    found = truth.true_motifs(old_data)
    assert [t.id for t in found] == OLD_VERSIONS
    assert {t.source for t in found} == {"sites"}
    np.testing.assert_allclose(found[1].probabilities, jaspar_module.fetch("MA0058.3").probabilities)
    assert [t.key for t in found] == [f"{i} {n}" for i, n in zip(OLD_VERSIONS, old_data.motif_names)]
    # The same from a split of the data (fewer sites), and from recorded ids when present.
    test = old_data.subset(np.flatnonzero(old_data.annotations["split"] == "test"))
    assert [t.id for t in truth.true_motifs(test)] == OLD_VERSIONS
    test.motif_ids = ["MA0466.1", "MA0058.2", "MA0137.2"]
    recorded = truth.true_motifs(test)
    assert [(t.id, t.source) for t in recorded] == [(i, "metadata") for i in test.motif_ids]
    test.motif_ids = ["MA0466.1"]
    with pytest.raises(Exception, match="motif ids"):
        truth.true_motifs(test)


def test_database_holds_each_true_matrix_once(jaspar, old_data):
    truths = truth.true_motifs(old_data)
    database, keys, changes = truth.with_true_motifs(jaspar, truths)
    assert len(database) == len(jaspar)  # versions replaced, the collection's size unchanged
    assert changes == {"MA0466.2": "replaced MA0466.4", "MA0058.3": "replaced MA0058.4", "MA0137.3": "replaced MA0137.4"}
    assert "MA0466.4" in jaspar.ids and "MA0466.4" not in database.ids and "MA0466.2" in database.ids
    # a truth given twice changes nothing more; two versions of one matrix are both kept
    twice, _, twice_changes = truth.with_true_motifs(jaspar, truths + truths[:1])
    assert twice_changes == changes and list(twice.ids) == list(database.ids)
    other = truth.TrueMotif("CEBPB", "MA0466.1", truths[0].probabilities, "metadata")
    both, _, both_changes = truth.with_true_motifs(jaspar, [truths[0], other])
    assert {"MA0466.2", "MA0466.1"} <= set(both.ids) and both_changes["MA0466.1"] == "added"
    same, _, unchanged = truth.with_true_motifs(jaspar, truth.true_motifs(simulate("binary", motif="MA0139.2", n_per_class=20)))
    assert same is jaspar and unchanged == {"MA0139.2": "as is"}
    added = truth.TrueMotif("Made", "ZZ9999.1", np.full((4, 5), 0.25), "metadata")
    bigger, _, change = truth.with_true_motifs(jaspar, [added])
    assert len(bigger) == len(jaspar) + 1 and change == {"ZZ9999.1": "added"}


def test_a_filter_matching_another_version_does_not_recover_the_true_matrix(jaspar):
    both = tomtom.MotifSet(jaspar.ids + ["MA0466.2"], jaspar.names + ["CEBPB"],
                           jaspar.probabilities + [jaspar_module.fetch("MA0466.2").probabilities])
    newest = both.probabilities[both.ids.index("MA0466.4")]
    result = tomtom.tomtom([newest], both, ["filter0"], n_jobs=1)
    assert both.ids[result.best()[0]] == "MA0466.4"
    assert tomtom.recovery(result, ["MA0466.2 CEBPB"]).motif_recovery_fraction == 0.0  # exact version
    assert tomtom.recovery(result, ["CEBPB"]).motif_recovery_fraction == 1.0  # by name: any CEBPB
    with pytest.raises(Exception, match="not in the target database"):
        tomtom.recovery(result, ["MA0466.1 CEBPB"])


def test_pipeline_recovers_the_old_version_the_data_were_made_with(tmp_path, old_data):
    from motifnet.interpret.pipeline import Options, interpret

    old_max = jaspar_module.fetch("MA0058.3").probabilities
    model = MaxPoolNet(1, old_max.shape[1], old_data.n_targets)
    with torch.no_grad():
        model.conv.weight[0] = torch.from_numpy(np.log2((old_max + 0.01) / 0.26))
        model.conv.bias.zero_()
    summary = interpret(model, old_data, tmp_path, Options(split="all", attributions=False, n_logos=0), quiet=True)
    filters = summary["filters"]
    assert [row["id"] for row in filters["true_motifs"]] == OLD_VERSIONS
    assert filters["matches"]["filter0"]["target"] == "MA0058.3 MAX"
    recovered = filters["recovery_best"]["recovered"]
    assert recovered == {"MA0466.2 CEBPB": [], "MA0058.3 MAX": ["filter0"], "MA0137.3 STAT1": []}


def test_experiment_step_scores_the_embedded_versions(tmp_path, old_data):
    """The experiment pipeline's interpret step (a run folder + a data store) also scores the
    exact matrices: a filter set to the old MAX matrix MA0058.3 recovers 'MA0058.3 MAX'."""
    from motifnet.data import save
    from motifnet.experiments.interpretation import interpret_arm
    from motifnet.models import build
    from motifnet.runs import save_weights
    from motifnet.training import fit

    test = old_data.subset(np.flatnonzero(old_data.annotations["split"] != "train"))
    save(test, tmp_path / "data" / "test")
    model = build("deepbind", old_data.n_targets, old_data.length, n_filters=2, filter_length=10)
    fit(model, test, None, out_dir=tmp_path / "run", quiet=True, seed=0, epochs=1)
    old_max = jaspar_module.fetch("MA0058.3").probabilities
    with torch.no_grad():
        model.conv.weight.zero_()
        model.conv.weight[0] = torch.from_numpy(np.log2((old_max + 0.01) / 0.26))
        model.conv.bias.zero_()
    save_weights({k: v.detach().contiguous() for k, v in model.state_dict().items()}, tmp_path / "run" / "model.safetensors")
    options = {"attributions": False, "n_logos": 0}
    headline = interpret_arm(tmp_path / "run", tmp_path / "data", options, tmp_path / "out")
    from motifnet.runs import read_json

    info = read_json(tmp_path / "out" / "interpret.json")
    assert [row["id"] for row in info["true_motifs"]] == OLD_VERSIONS
    assert info["recovered"]["MA0058.3 MAX"] == ["filter0"]
    assert headline["motif_recovery_fraction"] == pytest.approx(1 / 3)
    assert info["by_motif"]["MA0058.3 MAX"]["rank_in_closest_filter"] == 1
    assert set(info["sites_oracle"]) == {f"{i} {n}" for i, n in zip(OLD_VERSIONS, old_data.motif_names)}


def test_family_recovery_counts_a_paralog_that_the_exact_criterion_does_not():
    from motifnet.interpret.tomtom import load_database, recovery, tomtom
    from motifnet.interpret.truth import family_recovery

    database = load_database("JASPAR2024", "CORE", "vertebrates")
    queries = [database.probabilities[database.index("MA0837")], database.probabilities[database.index("MA0139")]]
    result = tomtom(queries, database, ["cebpe_like", "ctcf_like"], n_jobs=1)
    strict = recovery(result, ["MA0466.4 CEBPB"], criterion="best")
    assert strict.motif_recovery_fraction == 0.0  # its best match is CEBPE itself
    family = family_recovery(result, ["MA0466.4 CEBPB", "MA0509.3 RFX1"])
    assert family["recovered"]["MA0466.4 CEBPB"] == [("cebpe_like", f"{database.ids[result.best()[0]]} CEBPE")]
    assert family["recovered"]["MA0509.3 RFX1"] == [] and family["motif_recovery_fraction"] == 0.5
