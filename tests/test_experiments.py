"""YAML experiments: the pipeline end to end on a tiny experiment, resumability, config errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from motifnet.errors import MotifnetError
from motifnet.experiments import example_path, experiment_from_dict, load_experiment, run_experiment
from motifnet.experiments.steps import MARKER, Step, StepRunner

TINY = {
    "name": "tiny",
    "title": "Tiny classroom",
    "seed": 3,
    "data": {"simulate": "classroom", "params": {"n_per_class": 12, "length": 60,
                                                 "motifs": ["MA0139", "MA0035", "MA0080"]}},
    "train": {"epochs": 1, "batch_size": 32},
    "models": [
        {"label": "DeepBind", "name": "deepbind", "params": {"n_filters": 4, "filter_length": 12, "hidden": 8},
         "interpret": {"filters": True, "n_examples": 1}},
        {"label": "LSTM", "name": "lstm", "params": {"hidden": 4}},
    ],
    "interpret": {"n_sequences": 40, "n_localize": 8, "n_examples": 0, "n_logos": 2, "filters": False},
    "report": {"compare": [["DeepBind", "LSTM"]], "targets": {"DeepBind": {"accuracy": 0.99}}},
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "run"
    result = run_experiment(experiment_from_dict(TINY), out, quiet=True, log=None)
    return out, result


def test_pipeline_writes_every_step_and_a_report(tiny_run):
    from motifnet.data import load

    out, result = tiny_run
    expected = {"data/main", "train/DeepBind", "train/LSTM", "evaluate/DeepBind", "evaluate/LSTM",
                "interpret/DeepBind", "interpret/LSTM", "report"}
    assert set(result.ran) == expected
    for step in expected:
        marker = json.loads((out / step / MARKER).read_text())
        assert marker["step"] == step and len(marker["fingerprint"]) == 16
    assert result.report == out / "report" / "report.html" and result.report.stat().st_size > 10_000
    results = json.loads((out / "report" / "results.json").read_text())
    rows = {row["label"]: row for row in results["rows"]}
    assert set(rows) == {"DeepBind", "LSTM"}
    test = load(out / "data" / "main" / "test")
    assert test.n_targets == 4  # 3 motifs + none
    for label, row in rows.items():
        scores = np.load(out / "evaluate" / label / "scores.npy")
        assert scores.shape == (len(test), 4)
        # the reported accuracy is the accuracy of the saved predictions
        assert row["accuracy"] == pytest.approx(float((scores.argmax(1) == test.targets).mean()))
        assert row["grad_norm_init"] > 0
    interpret = json.loads((out / "interpret" / "LSTM" / "interpret.json").read_text())
    assert "localization_accuracy" in interpret and interpret["figures"] == []
    filters = json.loads((out / "interpret" / "DeepBind" / "interpret.json").read_text())
    assert filters["n_filters"] == 4 and "filter_match_fraction" in filters
    assert [f["kind"] for f in filters["figures"]].count("attribution") == 1
    # conclusions are computed from these numbers: the target sentence quotes the measured value
    target_line = next(s for s in results["conclusions"] if "target" in s)
    assert f"{rows['DeepBind']['accuracy']:.3f}" in target_line
    assert ("met" if rows["DeepBind"]["accuracy"] >= 0.99 else "missed") in target_line


def test_second_run_redoes_nothing(tiny_run):
    out, first = tiny_run
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = run_experiment(experiment_from_dict(TINY), out, quiet=True, log=None)
    assert again.ran == []
    assert {step for step, what, _ in again.events} == {step for step, _, _ in first.events}
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != "experiment.json"}
    assert all(before[p] == t for p, t in after.items())


def test_deleting_a_marker_redoes_that_step_and_its_dependents(tiny_run):
    out, _ = tiny_run
    old = json.loads((out / "train" / "LSTM" / MARKER).read_text())
    (out / "train" / "LSTM" / MARKER).unlink()
    again = run_experiment(experiment_from_dict(TINY), out, quiet=True, log=None)
    assert set(again.ran) == {"train/LSTM", "evaluate/LSTM", "interpret/LSTM", "report"}
    assert json.loads((out / "train" / "LSTM" / MARKER).read_text())["id"] != old["id"]
    # an override changes only the steps it touches
    changed = experiment_from_dict(TINY, ["models.LSTM.interpret.n_localize=4"])
    again = run_experiment(changed, out, quiet=True, log=None)
    assert set(again.ran) == {"interpret/LSTM", "report"}
    interpret = json.loads((out / "interpret" / "LSTM" / "interpret.json").read_text())
    assert interpret["localization"]["n_sites"] <= 4


def test_report_renders_in_chromium(tiny_run):
    from motifnet.report.browser import check_page, find_chromium

    if find_chromium() is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    out, _ = tiny_run
    check = check_page(out / "report" / "report.html")
    assert check.errors == [] and check.console == []
    assert len(check.images) >= 5 and check.broken_images == []


def test_interrupted_step_leaves_no_marker_and_reruns(tmp_path):
    calls = []

    def good(folder: Path, inputs) -> dict:
        calls.append("good")
        (folder / "a.txt").write_text("a")
        return {"n": 1}

    def failing(folder: Path, inputs) -> None:
        calls.append("bad")
        (folder / "partial.txt").write_text("half")
        raise RuntimeError("killed")

    first = Step("data", "d", {"x": 1}, good)
    second = Step("train", "t", {"y": 2}, failing, [first])
    runner = StepRunner(tmp_path)
    with pytest.raises(RuntimeError):
        runner.run(second)
    assert (tmp_path / "data" / "d" / MARKER).exists()
    assert not (tmp_path / "train" / "t").exists()
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "train").iterdir())
    second.work = good
    runner = StepRunner(tmp_path)
    runner.run(second)
    assert calls == ["good", "bad", "good"] and runner.events[0][1] == "skipped"
    assert (tmp_path / "train" / "t" / "a.txt").read_text() == "a"
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "train" / "t").stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's private 0700


def test_config_errors_are_one_line_motifnet_errors(tmp_path, capsys):
    from motifnet.cli import main

    with pytest.raises(MotifnetError, match="unknown key"):
        experiment_from_dict({**TINY, "modelz": []})
    with pytest.raises(MotifnetError, match="key=value"):
        experiment_from_dict(TINY, ["train.epochs"])
    with pytest.raises(MotifnetError, match="no item 'GRU'"):
        experiment_from_dict(TINY, ["models.GRU.params.hidden=3"])
    with pytest.raises(MotifnetError, match="unique"):
        experiment_from_dict({**TINY, "models": [TINY["models"][0], TINY["models"][0]]})
    with pytest.raises(MotifnetError, match=r"\$\{nowhere\} is not defined"):
        experiment_from_dict({**TINY, "data": {"simulate": "${nowhere}"}}).arms()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndata: [1, 2\n")
    assert main(["run", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("motifnet run: error:") and "bad.yaml:" in err and "\n" not in err
    assert main(["run", str(tmp_path / "missing.yaml")]) == 2
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["run", str(bad), "--jobs", "0"])
    assert "--jobs: expected a number >= 1 or auto, got '0'" in capsys.readouterr().err


def test_templates_sweeps_and_overrides():
    raw = {
        "params": {"n": 50},
        "sweep": {"name": "length", "values": [40, 80]},
        "data": {"simulate": "binary", "params": {"length": "${length}", "n_per_class": "${n}"}},
        "train": {"epochs": 1},
        "models": [{"label": "RNN", "name": "rnn"}, {"label": "GRU", "name": "gru", "sweep_values": [80],
                                                     "params": {"hidden": "${sweep}"}}],
    }
    experiment = experiment_from_dict(raw, ["params.n=7", "models.RNN.train.lr=0.01"])
    arms = experiment.arms()
    assert [a.name for a in arms] == ["RNN@40", "RNN@80", "GRU@80"]
    assert arms[0].data["params"] == {"length": 40, "n_per_class": 7} and isinstance(arms[0].data["params"]["length"], int)
    assert arms[2].model["params"] == {"hidden": 80}
    assert arms[0].train["lr"] == 0.01 and "lr" not in arms[2].train and arms[2].train["seed"] == 0


def test_shipped_experiments_load_and_expand():
    names = ["classroom", "rnn_vs_lstm", "pooling_tradeoff", "residual_depth", "deepbind_encode"]
    for name in names:
        experiment = load_experiment(example_path(name))
        arms = experiment.arms()
        assert arms and all(arm.model["name"] for arm in arms), name
    assert example_path("classroom").parent.name == "examples" and example_path("classroom").parent.parent.name == "motifnet"
    with pytest.raises(MotifnetError, match="shipped: classroom, deepbind_encode"):
        example_path("no_such_experiment")
    classroom = load_experiment(example_path("classroom"))
    assert {a.label for a in classroom.arms()} == {"DeepBind", "DanQ", "ResNet", "RNN", "LSTM"}
    assert classroom.data_config()["simulate"] == "classroom"


def test_replicate_seeds_expand_every_arm_and_reseed_data_and_training():
    raw = {**TINY, "seeds": [5, 7], "sweep": {"name": "length", "values": [40, 60]}}
    raw["data"] = {**TINY["data"], "params": {**TINY["data"]["params"], "length": "${length}"}}
    arms = experiment_from_dict(raw).arms()
    assert [a.name for a in arms][:4] == ["DeepBind@40#seed5", "DeepBind@40#seed7", "DeepBind@60#seed5", "DeepBind@60#seed7"]
    assert [a.data["seed"] for a in arms[:2]] == [5, 7] and [a.train["seed"] for a in arms[:2]] == [5, 7]
    assert arms[0].data["params"]["length"] == 40 and arms[0].replicate == 5
    for bad in ([], [1, 1], [-1], ["a"], 3):
        with pytest.raises(MotifnetError, match="seeds"):
            experiment_from_dict({**TINY, "seeds": bad})


def test_replicates_are_reported_as_mean_and_sd(tmp_path):
    from motifnet.report.experiment import cell, replicate_means

    raw = {**TINY, "seeds": [0, 1], "models": TINY["models"][:1], "interpret": False}
    run_experiment(experiment_from_dict(raw), tmp_path / "run", quiet=True, log=None)
    assert sorted(p.name for p in (tmp_path / "run" / "data").iterdir()) == ["seed0", "seed1"]
    results = json.loads((tmp_path / "run" / "report" / "results.json").read_text())
    runs, (row,) = results["runs"], results["rows"]
    assert [r["seed"] for r in runs] == [0, 1] and row["seeds"] == [0, 1]
    accuracies = [r["accuracy"] for r in runs]
    assert row["accuracy"] == pytest.approx(np.mean(accuracies))
    assert row["accuracy_sd"] == pytest.approx(np.std(accuracies, ddof=1))
    assert cell(row, "accuracy") == f"{np.mean(accuracies):.3f} ± {np.std(accuracies, ddof=1):.2g}"
    assert "±" in (tmp_path / "run" / "report" / "results.md").read_text()
    assert "Replicates" in (tmp_path / "run" / "report" / "report.html").read_text()
    # one replicate alone is named by its seed too, so it reuses the folders of a run with more seeds
    run_experiment(experiment_from_dict({**raw, "seeds": [1]}), tmp_path / "run", quiet=True, log=None)
    assert sorted(p.name for p in (tmp_path / "run" / "data").iterdir()) == ["seed0", "seed1"]
    plain = [{"label": "A", "sweep_value": None, "accuracy": 0.5}]
    assert replicate_means(plain) == plain and cell(plain[0], "accuracy") == "0.500"


def test_a_model_can_override_the_data_section():
    raw = {**TINY, "models": [{**TINY["models"][0], "data": {"params": {"n_per_class": 7}}}, TINY["models"][1]]}
    first, second = experiment_from_dict(raw).arms()
    assert first.data["params"]["n_per_class"] == 7 and first.data["params"]["length"] == 60
    assert second.data["params"]["n_per_class"] == 12
    with pytest.raises(MotifnetError, match="'data' must be a mapping"):
        experiment_from_dict({**TINY, "models": [{**TINY["models"][0], "data": 3}]})


def test_same_seed_gives_identical_metrics_and_no_shipped_experiment_has_a_time_budget(tmp_path):
    raw = {**TINY, "models": TINY["models"][:1], "interpret": False}
    for name in ("a", "b"):
        run_experiment(experiment_from_dict(raw), tmp_path / name, quiet=True, log=None)
    first, second = (json.loads((tmp_path / n / "evaluate" / "DeepBind" / "metrics.json").read_text()) for n in "ab")
    first.pop("predict_seconds"), second.pop("predict_seconds")
    assert first == second
    for path in example_path("classroom").parent.glob("*.yaml"):
        assert "max_seconds" not in path.read_text(), path.name


def test_steps_side_by_side_give_the_same_outputs_as_one_at_a_time(tiny_run, tmp_path):
    out, _ = tiny_run
    parallel = run_experiment(experiment_from_dict(TINY), tmp_path / "parallel", quiet=True, log=None, jobs=2)
    assert set(parallel.ran) == {"data/main", "train/DeepBind", "train/LSTM", "evaluate/DeepBind", "evaluate/LSTM",
                                 "interpret/DeepBind", "interpret/LSTM", "report"}
    for label in ("DeepBind", "LSTM"):
        np.testing.assert_array_equal(np.load(out / "evaluate" / label / "scores.npy"),
                                      np.load(tmp_path / "parallel" / "evaluate" / label / "scores.npy"))
    again = run_experiment(experiment_from_dict(TINY), tmp_path / "parallel", quiet=True, log=None, jobs=2)
    assert again.ran == []  # markers written by the child processes are reused


def test_run_all_starts_a_step_after_its_dependencies_and_reports_a_failure(tmp_path):
    def writer(text):
        def work(folder, inputs):
            (folder / "out.txt").write_text(text + "".join((p / "out.txt").read_text() for p in inputs.values()))
            return {"wrote": text}
        return work

    first, second = Step("a", "one", 1, writer("1")), Step("a", "two", 2, writer("2"))
    joined = Step("b", "", 3, writer("3"), [first, second])
    runner = StepRunner(tmp_path)
    runner.run_all([joined], jobs=2)
    assert (tmp_path / "b" / "out.txt").read_text() == "312"
    assert runner.summary(joined) == {"wrote": "3"} and [e[1] for e in runner.events] == ["ran"] * 3

    def broken(folder, inputs):
        raise MotifnetError("disk full")

    with pytest.raises(MotifnetError, match="step c failed: MotifnetError: disk full"):
        StepRunner(tmp_path).run_all([Step("c", "", 4, broken, [first])], jobs=2)
    assert not (tmp_path / "c").exists() and not list(tmp_path.glob(".c.*"))


def test_every_step_runs_on_the_experiments_threads_whatever_a_library_did():
    import torch

    from motifnet.devices import set_cpu_threads
    from motifnet.experiments.pipeline import _keep_threads
    from motifnet.interpret.tomtom import load_database, tomtom

    before = torch.get_num_threads()
    try:
        set_cpu_threads(1)
        database = load_database("JASPAR2024", "CORE", "vertebrates")
        tomtom([database.probabilities[0]], database, n_jobs=1)  # memelite resets numba's threads afterwards
        assert torch.get_num_threads() == 1  # numba's OpenMP threads are torch's: both follow set_cpu_threads
        keep = _keep_threads()
        torch.set_num_threads(2)  # as a library might
        keep()
        assert torch.get_num_threads() == 1
    finally:
        set_cpu_threads(before)


def test_run_command_prints_the_report_and_conclusions_then_reuses_every_step(tmp_path, capsys):
    import yaml

    from motifnet.cli import main

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY, "models": TINY["models"][:1]}))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--jobs", "1"]) == 0
    printed = capsys.readouterr().out
    report = out / "report" / "report.html"
    assert f"report: {report}  (5 step(s) run, 0 reused" in printed  # data, train, evaluate, interpret, report
    conclusions = json.loads((out / "report" / "results.json").read_text())["conclusions"]
    assert conclusions and f"  - {conclusions[0]}" in printed
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
    assert "(0 step(s) run, 5 reused" in capsys.readouterr().out

