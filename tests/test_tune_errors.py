"""Hyperparameter search beyond tests/test_tune.py: argument refusals, fixed settings that clash
with the space, foreign studies, hidden passwords, in-memory random searches, leftover fold
folders, and ensembles / retrained runs made (or kept) by a later call. Tiny data, 1 epoch."""

from __future__ import annotations

import json

import optuna
import pytest
from optuna.distributions import FloatDistribution
from training_support import motif_data

from motifnet.cli import main
from motifnet.data import save
from motifnet.errors import MotifnetError
from motifnet.runs import load_run
from motifnet.training.space import parse_space
from motifnet.training.tune import open_study, param_importances, shown_url, storage_url, tune

optuna.logging.set_verbosity(optuna.logging.ERROR)

FIXED = {"n_filters": 4, "filter_length": 8, "hidden": 0, "epochs": 1}


@pytest.fixture(scope="module")
def data():
    return motif_data(48, seed=0)


@pytest.fixture(scope="module")
def space():
    return parse_space({"lr": {"low": 1e-3, "high": 3e-2, "log": True}}, "deepbind")


def _tune(data, space, out=None, **options):
    options = {"trials": 1, "folds": 2, "fixed": FIXED, "out_dir": out, "retrain": False, **options}
    return tune(data, "deepbind", space, **options)


@pytest.mark.parametrize("options, message", [
    ({"trials": 0}, "trials must be an integer >= 1, got 0"),
    ({"trials": 1.5}, "trials must be an integer >= 1, got 1.5"),
    ({"pruner": "mean"}, "unknown pruner 'mean'; expected one of ('median', 'none')"),
    ({"ensemble": True}, "ensemble needs out_dir"),
    ({"sampler": "grid"}, "unknown sampler 'grid'; expected one of ('tpe', 'random')"),
    ({"fixed": {**FIXED, "lr": 0.01}}, "'lr' is both fixed (--set/--config) and in the space; give it once"),
    ({"fixed": {**FIXED, "seed": 3}}, "give the seed as tune(seed=...) (--seed), not as a fixed setting"),
])
def test_bad_arguments_are_refused_before_any_trial(data, space, options, message):
    with pytest.raises(MotifnetError) as error:
        _tune(data, space, **options)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_fixed_model_parameter_in_the_space_is_refused(data):
    space = parse_space({"n_filters": [4, 8]}, "deepbind")
    with pytest.raises(MotifnetError, match="'n_filters' is both fixed"):
        _tune(data, space)


def test_an_unwritable_search_folder_is_refused(data, space, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(MotifnetError, match="cannot write the search folder") as error:
        _tune(data, space, tmp_path / "file" / "search")
    assert error.value.path == str(tmp_path / "file" / "search")


def test_a_study_that_motifnet_did_not_make_is_refused(data, space, tmp_path):
    study = optuna.create_study(storage=storage_url(tmp_path), study_name="motifnet", direction="maximize")
    study.add_trial(optuna.trial.create_trial(params={"lr": 0.01}, distributions={"lr": FloatDistribution(1e-3, 1)},
                                              value=0.5))
    with pytest.raises(MotifnetError) as error:
        _tune(data, space, tmp_path)
    assert "study 'motifnet' in sqlite:///" in str(error.value)
    assert str(error.value).endswith("holds trials that motifnet tune did not make; choose another --study name")
    assert len(optuna.load_study(study_name="motifnet", storage=storage_url(tmp_path)).trials) == 1  # untouched


def test_a_storage_that_cannot_be_opened_hides_its_password(tmp_path, capsys):
    save(motif_data(24, seed=1), tmp_path / "data")
    (tmp_path / "space.yaml").write_text("lr: {low: 1e-3, high: 3e-2, log: true}\n")
    code = main(["tune", "--data", str(tmp_path / "data"), "--model", "deepbind", "--space", str(tmp_path / "space.yaml"),
                 "--epochs", "1", "--folds", "2", "--out", str(tmp_path / "out"), "--quiet",
                 "--storage", "nosuchdb://user:secret@db.example/motifs"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("motifnet tune: error: cannot open the study storage nosuchdb://user:***@db.example/motifs")
    assert "secret" not in err


def test_shown_url_hides_passwords_and_keeps_other_text():
    assert shown_url("postgresql://u:pw@host:5432/db") == "postgresql://u:***@host:5432/db"
    assert shown_url("not a url") == "not a url"


def test_open_study_reports_storage_errors_in_one_line():
    with pytest.raises(MotifnetError) as error:
        open_study(optuna.storages.InMemoryStorage(), "s", {"space": {}}, "sideways", None, None)
    assert str(error.value).startswith("cannot open study 's' in memory: ") and "\n" not in str(error.value)


def test_without_out_dir_a_random_search_runs_in_memory_and_repeats(data, space, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = _tune(data, space, sampler="random", trials=2, seed=4)
    again = _tune(data, space, sampler="random", trials=2, seed=4)
    assert first.new_trials == 2 and first.best_run is None and first.ensemble is None
    assert [t.params for t in first.study.trials] == [t.params for t in again.study.trials]
    assert [t.value for t in first.study.trials] == [t.value for t in again.study.trials]
    assert len({t.params["lr"] for t in first.study.trials}) == 2
    assert not list(tmp_path.iterdir())  # nothing written anywhere


def test_fold_folders_left_by_killed_trials_are_removed(data, space, tmp_path):
    leftover = tmp_path / ".folds" / "trial7" / "fold1"
    leftover.mkdir(parents=True)
    (leftover / "weights.safetensors").write_text("half written")
    _tune(data, space, tmp_path, ensemble=True)
    assert not (tmp_path / ".folds").exists() and (tmp_path / "ensemble").is_dir()
    (tmp_path / ".folds" / "trial9").mkdir(parents=True)
    (tmp_path / ".folds" / "notes.txt").write_text("not a trial's")
    _tune(data, space, tmp_path, ensemble=True)  # done already: cleans up only
    assert [p.name for p in (tmp_path / ".folds").iterdir()] == ["notes.txt"]


def test_a_later_call_makes_the_missing_ensemble_and_keeps_a_retrained_run(data, space, tmp_path, capsys):
    searched = _tune(data, space, tmp_path)
    assert not (tmp_path / "ensemble").exists()
    later = _tune(data, space, tmp_path, ensemble=True, retrain=True, quiet=False)
    assert later.new_trials == 0 and later.ensemble == tmp_path / "ensemble"
    ensemble = load_run(tmp_path / "ensemble")
    assert ensemble.members == ["fold1", "fold2"] and ensemble.config["tune"]["trial"] == searched.best_trial
    out = capsys.readouterr().out
    assert f"ensemble: training the 2 fold models of trial {searched.best_trial}" in out
    metrics = (tmp_path / "best" / "metrics.json").read_text()
    again = _tune(data, space, tmp_path, ensemble=True, retrain=True, quiet=False)
    out = capsys.readouterr().out
    assert f"already holds trial {searched.best_trial}'s setting retrained" in out
    assert "ensemble: training" not in out and "retraining" not in out  # both kept, nothing trained
    assert again.best_run == tmp_path / "best" and (tmp_path / "best" / "metrics.json").read_text() == metrics
    assert json.loads((tmp_path / "best.json").read_text())["trial"] == searched.best_trial


def test_importances_are_empty_when_the_values_do_not_vary():
    study = optuna.create_study(direction="maximize")
    for value in (0.5, 0.5):
        study.add_trial(optuna.trial.create_trial(params={"lr": 0.1}, distributions={"lr": FloatDistribution(0.01, 1)},
                                                  value=value))
    assert param_importances(study) == {}
