"""Hyperparameter search (`motifnet tune`): the space, the folds, the Optuna study (storage,
resume, shared workers, refusals, pruning), fold ensembles and the command, on tiny data."""

from __future__ import annotations

import json

import numpy as np
import optuna
import pytest
import torch
from training_support import motif_data

from motifnet.cli import main
from motifnet.data import save
from motifnet.errors import MotifnetError
from motifnet.models.ensemble import Ensemble, mean_prediction_logits
from motifnet.predict import predict
from motifnet.runs import load_run
from motifnet.training.folds import kfold
from motifnet.training.space import parse_space, read_space
from motifnet.training.tune import storage_url, tune

SMALL = {"n_filters": 4, "filter_length": 8, "hidden": 0, "epochs": 1}
"""A DeepBind small enough for a trial of two folds to take a fraction of a second."""

optuna.logging.set_verbosity(optuna.logging.ERROR)


@pytest.fixture(scope="module")
def data():
    return motif_data(160, seed=0)


def _tune(data, out, space=None, **options):
    space = space or parse_space({"lr": {"low": 1e-3, "high": 3e-2, "log": True}, "n_filters": [4, 8]}, "deepbind")
    fixed = {k: v for k, v in SMALL.items() if k not in space.names}
    options = {"trials": 2, "folds": 2, "fixed": fixed, "out_dir": out, "retrain": False, **options}
    return tune(data, "deepbind", space, **options)


# ---------------------------------------------------------------------------------------------
# The space


def test_space_reads_ranges_logs_integers_steps_and_choices(tmp_path):
    (tmp_path / "space.yaml").write_text(
        "lr: {low: 1e-4, high: 1e-2, log: true}\n"      # YAML 1.1 reads 1e-4 as a string
        "dropout: {low: 0.0, high: 0.5}\n"
        "epochs: {low: 2, high: 6}\n"
        "hidden: {low: 0, high: 64, step: 16}\n"
        "model.n_filters: [8, 16]\n"
        "optimizer: [adam, sgd]\n")
    space = read_space(tmp_path / "space.yaml", "deepbind")
    kinds = {p.name: (p.kind, p.section) for p in space.params}
    assert kinds == {"lr": ("float", "training"), "dropout": ("float", "model"), "epochs": ("int", "training"),
                     "hidden": ("int", "model"), "model.n_filters": ("choice", "model"),
                     "optimizer": ("choice", "training")}
    assert space.to_dict()["lr"] == {"low": 1e-4, "high": 1e-2, "log": True}
    assert space.get("hidden").step == 16 and space.get("epochs").largest() == 6
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        values = space.suggest(study.ask())
        assert 1e-4 <= values["lr"] <= 1e-2 and values["hidden"] in (0, 16, 32, 48, 64)
        assert isinstance(values["epochs"], int) and values["optimizer"] in ("adam", "sgd")
    model, training = space.split(values)
    assert set(model) == {"dropout", "hidden", "n_filters"} and set(training) == {"lr", "epochs", "optimizer"}


@pytest.mark.parametrize("mapping, message", [
    ({"n_filter": [8, 16]}, "unknown parameter 'n_filter' in the space; expected a parameter of model 'deepbind'"),
    ({"lr": {"low": 0.01, "high": 0.001}}, "lr: empty range (low 0.01 >= high 0.001)"),
    ({"lr": {"low": 0.01, "high": 0.01}}, "empty range"),
    ({"lr": {"low": 0, "high": 0.1, "log": True}}, "a log range needs low > 0"),
    ({"n_filters": []}, "n_filters: empty list of choices"),
    ({"n_filters": [8, 8]}, "listed twice"),
    ({"lr": {"low": 1e-3}}, "a range needs low and high (missing high)"),
    ({"lr": {"low": 1e-3, "high": 1e-2, "scale": "log"}}, "unknown range key(s) ['scale']"),
    ({"lr": {"low": "small", "high": 1e-2}}, "lr: low must be a number"),
    ({"lr": 0.01}, "expected {low, high[, log, step]} or a list of choices"),
    ({"optimizer": ["adam", "lbfgs"]}, "training option optimizer='lbfgs': expected one of"),
    ({"seed": [0, 1]}, "'seed' cannot be tuned"),
    ({}, "a search space must be a non-empty mapping"),
    (["lr"], "a search space must be a non-empty mapping"),
])
def test_space_mistakes_are_one_line_errors(mapping, message):
    with pytest.raises(MotifnetError) as error:
        parse_space(mapping, "deepbind")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_an_unknown_parameter_names_the_allowed_ones():
    with pytest.raises(MotifnetError) as error:
        parse_space({"filters": [8]}, "deepbind")
    text = str(error.value)
    assert "n_filters" in text and "filter_length" in text and "lr" in text and "weight_decay" in text


# ---------------------------------------------------------------------------------------------
# Folds


def test_stratified_folds_keep_each_class_balanced_and_cover_every_row():
    data = motif_data(301, task="multiclass", seed=1)
    data = data.subset(np.flatnonzero((data.targets != 2) | (np.arange(len(data)) % 3 == 0)))  # imbalanced
    folds = kfold(data, 3, seed=5)
    assert folds.by == "stratified"
    rows = np.concatenate(folds.held_out)
    assert sorted(rows.tolist()) == list(range(len(data)))
    sizes = [len(h) for h in folds.held_out]
    assert max(sizes) - min(sizes) <= 1
    for c in range(3):
        per_fold = [int((data.targets[h] == c).sum()) for h in folds.held_out]
        assert max(per_fold) - min(per_fold) <= 1, per_fold
    for train, held in folds.splits():
        assert len(np.intersect1d(train, held)) == 0 and len(train) + len(held) == len(data)
    assert all((a == b).all() for a, b in zip(folds.held_out, kfold(data, 3, seed=5).held_out))
    assert not all(np.array_equal(a, b) for a, b in zip(folds.held_out, kfold(data, 3, seed=6).held_out))


def test_folds_by_chromosome_never_split_a_chromosome():
    data = motif_data(200, seed=2)
    chroms = np.array(["chr1"] * 70 + ["chr2"] * 50 + ["chr3"] * 40 + ["chr4"] * 25 + ["chr5"] * 15)
    data.annotations["chrom"] = chroms
    folds = kfold(data, 2)  # auto: the chrom column
    assert folds.by == "chrom"
    groups = [set(chroms[h]) for h in folds.held_out]
    assert groups[0].isdisjoint(groups[1]) and groups[0] | groups[1] == set(chroms)
    assert sorted(len(h) for h in folds.held_out) == [95, 105]  # largest first, each to the smaller fold
    assert [set(chroms[h]) for h in kfold(data, 5).held_out] == [{f"chr{i}"} for i in range(1, 6)]
    with pytest.raises(MotifnetError, match="has 5 distinct value"):
        kfold(data, 6, fold_by="chrom")


def test_a_fold_column_with_one_value_falls_back_to_stratified_folds():
    data = motif_data(90, seed=3)
    data.annotations["fold"] = np.array(["A"] * len(data))  # DeepBind's ENCODE files: FoldID A everywhere
    assert kfold(data, 3).by == "stratified"
    with pytest.raises(MotifnetError, match="fewer than the 3 folds"):
        kfold(data, 3, fold_by="fold")
    with pytest.raises(MotifnetError, match="no annotation column 'chrom'"):
        kfold(data, 3, fold_by="chrom")


# ---------------------------------------------------------------------------------------------
# The search


def test_a_search_records_every_trial_and_retrains_the_best_setting(data, tmp_path):
    result = _tune(data, tmp_path, trials=3, retrain=True, ensemble=True)
    rows = (tmp_path / "trials.tsv").read_text().splitlines()
    header = rows[0].split("\t")
    assert header[:5] == ["trial", "state", "value", "fold1", "fold2"] and {"lr", "n_filters"} <= set(header)
    assert len(rows) == 4 and result.new_trials == 3
    complete = [t for t in result.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert max(t.value for t in complete) == result.best_value
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["trial"] == result.best_trial and best["params"] == result.best_params
    assert best["value"] == pytest.approx(np.mean(best["fold_scores"]))
    assert best["folds"] == {"k": 2, "by": "stratified", "sizes": [80, 80]}
    run = load_run(tmp_path / "best")
    assert run.config["model"]["params"]["n_filters"] == result.best_params["n_filters"]
    assert run.config["training"]["lr"] == pytest.approx(result.best_params["lr"])
    assert run.config["tune"]["trial"] == result.best_trial
    assert (tmp_path / "best" / "metrics.json").exists()
    ensemble = load_run(tmp_path / "ensemble")
    assert isinstance(ensemble.model, Ensemble) and ensemble.members == ["fold1", "fold2"]
    assert ensemble.config["tune"]["trial"] == result.best_trial
    assert not (tmp_path / ".folds").exists()


def test_a_resumed_search_continues_its_trial_count_and_matches_an_uninterrupted_one(data, tmp_path):
    whole = _tune(data, tmp_path / "whole", trials=3)
    part = _tune(data, tmp_path / "part", trials=2)
    assert part.new_trials == 2
    resumed = _tune(data, tmp_path / "part", trials=3)
    assert resumed.new_trials == 1 and [t.number for t in resumed.study.trials] == [0, 1, 2]
    assert [t.params for t in resumed.study.trials] == [t.params for t in whole.study.trials]
    assert [t.value for t in resumed.study.trials] == [t.value for t in whole.study.trials]
    assert _tune(data, tmp_path / "part", trials=3).new_trials == 0  # done: nothing more to run

    # a killed worker leaves its trial running in the storage: it does not count as finished
    study = optuna.load_study(study_name="motifnet", storage=storage_url(tmp_path / "part"))
    study.ask()
    later = _tune(data, tmp_path / "part", trials=4)
    states = [t.state.name for t in later.study.trials]
    assert states == ["COMPLETE", "COMPLETE", "COMPLETE", "RUNNING", "COMPLETE"] and later.new_trials == 1


def test_two_workers_share_one_study_in_one_storage(data, tmp_path):
    url = storage_url(tmp_path / "shared")
    (tmp_path / "shared").mkdir()
    first = _tune(data, tmp_path / "worker1", trials=2, storage=url, study_name="shared")
    second = _tune(data, tmp_path / "worker2", trials=4, storage=url, study_name="shared")
    assert first.new_trials == 2 and second.new_trials == 2
    assert [t.number for t in second.study.trials] == [0, 1, 2, 3]
    params = [tuple(sorted(t.params.items())) for t in second.study.trials]
    assert len(set(params)) == 4  # the same seed, other trial numbers: other settings
    assert not (tmp_path / "worker2" / "study.db").exists()  # the storage given, not the default


def test_a_study_made_for_another_search_is_refused(data, tmp_path):
    _tune(data, tmp_path, trials=1)
    other = parse_space({"lr": {"low": 1e-3, "high": 1e-1, "log": True}, "n_filters": [4, 8]}, "deepbind")
    with pytest.raises(MotifnetError, match=r"was made with another space \(lr: .* there, .* here\)") as error:
        _tune(data, tmp_path, space=other, trials=1)
    assert "\n" not in str(error.value)
    with pytest.raises(MotifnetError, match=r"was made with other settings \(folds: 2 there, 3 here\)"):
        _tune(data, tmp_path, trials=1, folds=3)
    assert len(optuna.load_study(study_name="motifnet", storage=storage_url(tmp_path)).trials) == 1


def test_the_median_pruner_stops_a_hopeless_setting(data, tmp_path):
    space = parse_space({"lr": [0.03, 0.01, 1e-7]}, "deepbind")
    study = optuna.create_study(storage=storage_url(tmp_path), study_name="motifnet", direction="maximize")
    for lr in (0.03, 0.01, 1e-7):  # settings queued to try first, in this order
        study.enqueue_trial({"lr": lr})
    result = _tune(data, tmp_path, space=space, trials=3, prune_startup=2, prune_warmup=0,
                   fixed={**SMALL, "epochs": 3})
    states = {t.params["lr"]: t.state.name for t in result.study.trials}
    assert states == {0.03: "COMPLETE", 0.01: "COMPLETE", 1e-7: "PRUNED"}
    pruned = result.trials[2]
    assert pruned["note"].startswith("fold 1, epoch 1") and pruned["value"] is None
    assert pruned["last_value"] < min(result.trials[0]["fold1"], result.trials[1]["fold1"])
    assert result.best_params == {"lr": 0.03}


def test_a_diverging_setting_fails_its_trial_and_the_search_goes_on(data, tmp_path):
    space = parse_space({"lr": [1e12, 0.03]}, "deepbind")
    study = optuna.create_study(storage=storage_url(tmp_path), study_name="motifnet", direction="maximize")
    for lr in (1e12, 0.03):
        study.enqueue_trial({"lr": lr})
    result = _tune(data, tmp_path, space=space, trials=1, fixed={**SMALL, "optimizer": "sgd", "epochs": 2})
    assert [(t.params["lr"], t.state.name) for t in result.study.trials] == [(1e12, "FAIL"), (0.03, "COMPLETE")]
    assert "NaN or infinite" in result.trials[0]["note"] and result.best_params == {"lr": 0.03}
    with pytest.raises(MotifnetError, match=r"no trial of study 'motifnet' completed \(10 fail\)"):
        _tune(data, tmp_path / "only", space=parse_space({"lr": [1e12]}, "deepbind"), trials=1,
              fixed={**SMALL, "optimizer": "sgd", "epochs": 2})


# ---------------------------------------------------------------------------------------------
# Ensembles


@pytest.mark.parametrize("task, loss", [("binary", "mse"), ("multilabel", "mse"), ("multiclass", "mse"),
                                        ("regression", "mse"), ("regression", "poisson")])
def test_ensemble_logits_are_those_of_the_mean_prediction(task, loss):
    from motifnet.predict import activate

    logits = torch.randn(4, 6, 3) * 8  # 4 members, large logits: the log-space form must stay finite
    combined = mean_prediction_logits(logits, task, loss)
    expected = activate(task, logits, loss).mean(dim=0)
    assert torch.isfinite(combined).all()
    torch.testing.assert_close(activate(task, combined, loss), expected, rtol=1e-5, atol=1e-6)
    one = mean_prediction_logits(logits[:1], task, loss)  # one member: its own predictions
    torch.testing.assert_close(activate(task, one, loss), activate(task, logits[0], loss), rtol=1e-5, atol=1e-6)


def test_predict_on_an_ensemble_run_averages_its_members(data, tmp_path):
    from motifnet.models import build
    from motifnet.runs import write_ensemble
    from motifnet.training import fit

    folder = tmp_path / "ensemble"
    for k in (1, 2, 3):
        torch.manual_seed(k)
        model = build("deepbind", 1, data.length, **{key: v for key, v in SMALL.items() if key != "epochs"})
        fit(model, data, out_dir=folder / f"fold{k}", epochs=1, seed=k, augment="rc")
    write_ensemble(folder, ["fold1", "fold2", "fold3"])
    run = load_run(folder)
    members = [load_run(folder / f"fold{k}").model for k in (1, 2, 3)]
    for strands in ("forward", "both"):
        mean = np.mean([predict(m, data, strands=strands) for m in members], axis=0)
        np.testing.assert_allclose(predict(run.model, data, strands=strands), mean, rtol=1e-5, atol=1e-6)
    assert run.config["training"]["augment"] == ["rc"]  # so commands score both strands, as for a member
    from motifnet.interpret.deeplift import deep_lift_shap

    x = data.tokens[:4]
    each = [deep_lift_shap(m, x, n_shuffles=2) for m in members]
    torch.testing.assert_close(deep_lift_shap(run.model, x, n_shuffles=2), torch.stack(each).mean(dim=0))

    (folder / "fold2" / "config.json").write_text(
        (folder / "fold2" / "config.json").read_text().replace('"alphabet": "DNA"', '"alphabet": "RNA"'))
    with pytest.raises(MotifnetError, match="member's alphabet 'RNA' differs from the ensemble's 'DNA'"):
        load_run(folder)


# ---------------------------------------------------------------------------------------------
# The command


def test_tune_command_end_to_end_and_its_one_line_errors(tmp_path, capsys):
    save(motif_data(120, seed=4), tmp_path / "data")
    (tmp_path / "space.yaml").write_text("lr: {low: 1e-3, high: 3e-2, log: true}\nn_filters: [4, 8]\n")
    out = tmp_path / "search"
    common = ["tune", "--data", str(tmp_path / "data"), "--model", "deepbind", "--set", "filter_length=8",
              "--set", "hidden=0", "--epochs", "1", "--folds", "2", "--out", str(out)]
    assert main(common + ["--space", str(tmp_path / "space.yaml"), "--trials", "2", "--ensemble", "--quiet"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and printed[0].startswith(f"{out}: best trial ") and "auroc" in printed[0]
    assert {"study.db", "trials.tsv", "best.json", "report.html", "best", "ensemble"} <= {p.name for p in out.iterdir()}
    page = (out / "report.html").read_text()
    assert "Score by trial" in page and "Parameter importances" in page and page.count("<img") >= 1
    assert main(["evaluate", "--run", str(out / "ensemble"), "--data", str(tmp_path / "data"), "--out",
                 str(tmp_path / "eval.json"), "--quiet"]) == 0
    assert json.loads((tmp_path / "eval.json").read_text())["n"] == 120

    mistakes = [("n_filter: [4, 8]\n", "unknown parameter 'n_filter' in the space"),
                ("lr: {low: 0.1, high: 0.01}\n", "lr: empty range"),
                ("lr: {low: 1e-3, high: 1e-1, log: true}\nn_filters: [4, 8]\n", "was made with another space")]
    for text, message in mistakes:
        (tmp_path / "bad.yaml").write_text(text)
        assert main(common + ["--space", str(tmp_path / "bad.yaml"), "--trials", "2", "--quiet"]) == 2
        error = capsys.readouterr().err.strip()
        assert error.startswith("motifnet tune: error: ") and message in error and "\n" not in error


def test_workers_starting_together_on_a_new_storage_all_open_it(tmp_path):
    """Optuna workers racing to create a new SQLite study's tables: the losers retry, none fails."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'study.db'}"
    code = ("import sys; from motifnet.training.tune import open_storage; open_storage(sys.argv[1]); print('ok')")
    workers = [subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(4)]
    results = [worker.communicate(timeout=300) for worker in workers]
    assert [out.strip() for out, _ in results] == ["ok"] * 4, [err for _, err in results]


def test_opening_a_storage_retries_only_the_race_of_creating_its_tables(monkeypatch):
    from motifnet.training import tune as tuning

    class IntegrityError(Exception):
        pass

    calls = []

    def racing(url, **options):
        calls.append(url)
        if len(calls) == 1:
            raise IntegrityError("UNIQUE constraint failed: alembic_version.version_num")
        return "storage"

    monkeypatch.setattr(tuning.optuna.storages, "RDBStorage", racing)
    monkeypatch.setattr(tuning.time, "sleep", lambda seconds: None)
    assert tuning.open_storage("sqlite:///x.db") == "storage" and len(calls) == 2
    monkeypatch.setattr(tuning.optuna.storages, "RDBStorage", lambda url, **options: (_ for _ in ()).throw(
        ValueError("no such driver")))
    with pytest.raises(MotifnetError, match="no such driver"):
        tuning.open_storage("nosuch://x")

    class OperationalError(Exception):
        pass

    calls.clear()

    def unopenable(url, **options):
        calls.append(url)
        raise OperationalError("(sqlite3.OperationalError) unable to open database file")

    monkeypatch.setattr(tuning.optuna.storages, "RDBStorage", unopenable)
    with pytest.raises(MotifnetError, match="unable to open database file"):
        tuning.open_storage("sqlite:////nowhere/x.db")
    assert len(calls) == 1  # refused at once, not retried
