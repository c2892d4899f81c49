"""Saved scan plans: a scan leaves the fast path's tables beside the weights; the next scan reads
them without torch and writes the same bytes; a stale, corrupt or unusable plan is never used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from motifnet.cli import main
from motifnet.errors import MotifnetError
from motifnet.models import build, build_from_config
from motifnet.runs import (BEST_WEIGHTS, CONFIG_FILE, LAST_WEIGHTS, load_run, read_json, save_weights, write_ensemble,
                           write_json)
from motifnet.scan import scan_tokens
from motifnet.scan.saved_plan import PLAN_CODE, load_saved_run, plan_digest, plan_path, save_plan
from motifnet.scan.windows import ScanPlan
from motifnet.sequence import decode

sys.path.insert(0, str(Path(__file__).parent))
from scan_support import make_run, write_fasta  # noqa: E402


def _run_of(folder: Path, model_config: dict, seed: int = 0) -> Path:
    """A run folder holding a random model built from ``model_config`` (input length 30)."""
    torch.manual_seed(seed)
    model = build_from_config({"n_targets": 1, "input_length": 30, **model_config})
    make_run(folder)
    config = read_json(folder / CONFIG_FILE)
    write_json(folder / CONFIG_FILE, {**config, "model": {**model.config, **model_config}})
    save_weights(model.state_dict(), folder / BEST_WEIGHTS)
    return folder


def _fasta(folder: Path, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    return write_fasta(folder / "genome.fa", {"chrA": decode(rng.integers(0, 5, 700)), "chrB": decode(rng.integers(0, 4, 90))})


def _scan(run: Path, fasta: Path, out: Path, *extra: str) -> bytes:
    assert main(["scan", "--run", str(run), "--fasta", str(fasta), "--out", str(out), "--quiet", *extra]) == 0
    return out.read_bytes()


def _logits(model, tokens, **options):
    return np.concatenate([logits for _, logits, _ in scan_tokens(model, tokens, 30, **options)])


@pytest.mark.parametrize("config", [{}, {"params": {"hidden": 5, "pool": "maxavg"}}, {"params": {"strands": "both"}},
                                    {"reverse_complement": "mean"}, {"reverse_complement": "max"},
                                    {"reverse_complement": "mean", "params": {"strands": "both"}},
                                    {"params": {"pad_input": False}}])
def test_a_saved_plan_scores_exactly_as_the_model(tmp_path, config):
    params = {"n_filters": 8, "filter_length": 7, "hidden": 0, **config.get("params", {})}
    run = _run_of(tmp_path / "run", {"name": "deepbind", **config, "params": params})
    digest = plan_digest(run)
    trained = load_run(run)
    assert save_plan(trained, "best", 30, digest) == plan_path(run)
    saved = load_saved_run(run)
    assert isinstance(saved.model, ScanPlan) and saved.config == trained.config
    tokens = np.random.default_rng(1).integers(0, 5, 500).astype(np.uint8)
    for options in ({"strands": "both"}, {"strands": "both", "combine": "mean"}, {"strands": "reverse", "stride": 3}):
        np.testing.assert_array_equal(_logits(saved.model, tokens, **options), _logits(trained.model, tokens, **options))


def test_the_second_scan_reads_the_plan_without_torch_and_writes_the_same_bytes(tmp_path):
    run, fasta = make_run(tmp_path / "run", hidden=4), _fasta(tmp_path)
    first = _scan(run, fasta, tmp_path / "first.bedgraph", "--stride", "2")
    assert plan_path(run).is_file()
    code = ("import sys; from motifnet.cli import main; "
            f"code = main(['scan', '--run', {str(run)!r}, '--fasta', {str(fasta)!r}, '--out', "
            f"{str(tmp_path / 'second.bedgraph')!r}, '--stride', '2', '--quiet']); "
            "print('torch' in sys.modules, code)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split()[-2:] == ["False", "0"] and "fast path (the run's saved plan)" in result.stdout
    assert (tmp_path / "second.bedgraph").read_bytes() == first
    window_path = _scan(run, fasta, tmp_path / "window.bedgraph", "--stride", "2", "--method", "window")
    assert window_path.splitlines()[1:] == first.splitlines()[1:]


def test_new_weights_make_the_plan_stale_and_the_next_scan_replaces_it(tmp_path):
    run, fasta = make_run(tmp_path / "run"), _fasta(tmp_path)
    _scan(run, fasta, tmp_path / "old.bedgraph")
    before = plan_path(run).read_bytes()
    make_run(tmp_path / "other", seed=5)
    (run / BEST_WEIGHTS).write_bytes((tmp_path / "other" / BEST_WEIGHTS).read_bytes())
    assert load_saved_run(run) is None
    new = _scan(run, fasta, tmp_path / "new.bedgraph")
    assert plan_path(run).read_bytes() != before and load_saved_run(run) is not None
    assert new.splitlines()[1:] == _scan(tmp_path / "other", fasta, tmp_path / "other.bedgraph").splitlines()[1:]


def test_the_last_weights_have_their_own_plan(tmp_path):
    run, fasta = make_run(tmp_path / "run"), _fasta(tmp_path)
    torch.manual_seed(7)
    save_weights(build("deepbind", 1, 30, n_filters=8, filter_length=7, hidden=0).state_dict(), run / LAST_WEIGHTS)
    best, last = _scan(run, fasta, tmp_path / "best.bedgraph"), _scan(run, fasta, tmp_path / "last.bedgraph", "--weights", "last")
    assert best != last and plan_path(run, "last").is_file() and plan_path(run, "best").is_file()
    assert _scan(run, fasta, tmp_path / "last2.bedgraph", "--weights", "last") == last


def test_a_corrupt_or_foreign_plan_file_is_ignored_and_rewritten(tmp_path):
    run, fasta = make_run(tmp_path / "run"), _fasta(tmp_path)
    expected = _scan(run, fasta, tmp_path / "a.bedgraph")
    for junk in (b"", b"not a zip", plan_path(run).read_bytes()[:100]):
        plan_path(run).write_bytes(junk)
        assert load_saved_run(run) is None
        assert _scan(run, fasta, tmp_path / "b.bedgraph") == expected
        assert load_saved_run(run) is not None
    np.savez(plan_path(run), digest=np.array("0" * 64))
    assert load_saved_run(run) is None


def test_no_plan_for_ensembles_other_heads_windows_or_an_unwritable_folder(tmp_path):
    fasta = _fasta(tmp_path)
    members = [make_run(tmp_path / "ensemble" / f"fold{i}", seed=i) for i in (1, 2)]
    write_ensemble(tmp_path / "ensemble", [m.name for m in members])
    _scan(tmp_path / "ensemble", fasta, tmp_path / "e.bedgraph")
    assert not plan_path(tmp_path / "ensemble").exists() and load_saved_run(tmp_path / "ensemble") is None
    cnn = _run_of(tmp_path / "cnn", {"name": "cnn", "params": {"conv_layers": [{"filters": 4, "kernel_size": 5}],
                                                               "dense": [3]}})
    _scan(cnn, fasta, tmp_path / "cnn.bedgraph")  # the window path
    assert not plan_path(cnn).exists()
    run = make_run(tmp_path / "run")
    _scan(run, fasta, tmp_path / "window.bedgraph", "--method", "window")
    assert not plan_path(run).exists()
    _scan(run, fasta, tmp_path / "fast.bedgraph")
    assert load_saved_run(run, window=6) is None and load_saved_run(run, window=7) is not None  # filters of 7
    blocked = make_run(tmp_path / "blocked")
    (blocked / "model.scan.npz" / "in the way").mkdir(parents=True)  # the plan cannot be written there
    scores = _scan(blocked, fasta, tmp_path / "blocked.bedgraph").splitlines()[1:]
    assert scores == (tmp_path / "fast.bedgraph").read_bytes().splitlines()[1:]
    assert sorted(p.name for p in blocked.iterdir()) == ["config.json", BEST_WEIGHTS, "model.scan.npz"]
    assert load_saved_run(blocked) is None


def test_a_saved_plan_refuses_the_window_path(tmp_path):
    run = make_run(tmp_path / "run")
    save_plan(load_run(run), "best", 30, plan_digest(run))
    tokens = np.zeros(100, np.uint8)
    with pytest.raises(MotifnetError, match="fast path only"):
        _logits(load_saved_run(run).model, tokens, method="window")


def test_weights_replaced_while_a_scan_runs_never_get_the_old_plan(tmp_path):
    """The digest is taken before the model is loaded: a plan saved after new weights landed is
    filed under the old weights' digest, which the new weights never match."""
    run = make_run(tmp_path / "run")
    make_run(tmp_path / "other", seed=5)
    digest = plan_digest(run)
    trained = load_run(run)
    (run / BEST_WEIGHTS).write_bytes((tmp_path / "other" / BEST_WEIGHTS).read_bytes())  # a new best lands
    save_plan(trained, "best", 30, digest)
    assert load_saved_run(run) is None


def test_the_digest_covers_the_run_and_the_code_the_plan_freezes(tmp_path):
    run = make_run(tmp_path / "run")
    package = Path(__import__("motifnet").__file__).parent
    covered = {path.relative_to(package).as_posix() for pattern in PLAN_CODE for path in package.glob(pattern)}
    assert {"scan/fast.py", "scan/head.py", "scan/lanes.py", "scan/saved_plan.py", "models/deepbind.py",
            "models/layers.py", "models/__init__.py", "strands.py"} <= covered
    before = plan_digest(run)
    (run / "config.json").write_text((run / "config.json").read_text().replace('"seed": 0', '"seed": 1'))
    assert plan_digest(run) != before
    assert plan_digest(run, "last") is None  # no last weights
    with pytest.raises(MotifnetError, match="weights must be"):
        load_saved_run(run, "other")
