"""The benchmark harness: benchmarks run in quick mode and write their JSON (two in the unit suite,
all of them under the ``bench`` marker: ``pytest -m bench``); failures are recorded without
stopping the others; the Markdown table says where motifnet is slower."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
RUN = BENCH_DIR / "run.py"
sys.path.insert(0, str(BENCH_DIR))

import _harness  # noqa: E402
import run as bench_run  # noqa: E402


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUN), *args], capture_output=True, text=True, timeout=timeout)


def _check_quick_results(results_dir: Path, names: list[str]) -> None:
    """Each benchmark wrote its JSON with rows, a quick flag and the machine, and a section of the
    Markdown table (which says it is a quick run)."""
    markdown = (results_dir / "BENCHMARKS.md").read_text()
    for name in names:
        result = json.loads((results_dir / f"{name}.json").read_text())
        assert "error" not in result, (name, result.get("error"))
        assert result["quick"] is True and result["name"] == name
        assert result["rows"] and all(isinstance(r, dict) and r.get("name") for r in result["rows"]), name
        assert result["machine"]["cores"] >= 1 and result["machine"]["torch_threads"] == 1
        assert f"## {result['title']}" in markdown
    # the real table is not touched by a quick run written elsewhere
    assert "quick mode" in markdown


def test_two_benchmarks_run_in_quick_mode(tmp_path):
    """The unit-suite smoke test: two quick benchmarks (seconds) through the real harness."""
    names = ["io", "onehot"]
    process = _run("--quick", "--results-dir", str(tmp_path), "--threads", "1", *(f"--only={n}" for n in names))
    assert process.returncode == 0, process.stdout + process.stderr
    _check_quick_results(tmp_path, names)
    assert sorted(path.stem for path in tmp_path.glob("*.json")) == names


@pytest.mark.bench
def test_every_benchmark_runs_in_quick_mode(tmp_path):
    """The full smoke test (about a minute; `pytest -m bench`): `run.py --quick` runs every
    bench_*.py and each writes rows."""
    names = sorted(bench_run.discover())
    assert {"onehot", "memory", "time_to_result"} <= set(names)
    process = _run("--quick", "--results-dir", str(tmp_path), "--threads", "1", "--jobs", "2")
    assert process.returncode == 0, process.stdout + process.stderr
    _check_quick_results(tmp_path, names)


def test_failure_is_recorded_and_others_still_run(tmp_path):
    benches = tmp_path / "benches"
    benches.mkdir()
    (benches / "bench_broken.py").write_text("def run(quick=False):\n    raise ValueError('deliberately broken')\n")
    (benches / "bench_good.py").write_text(
        "from _harness import row\n"
        "def run(quick=False):\n"
        "    return {'title': 'Good', 'rows': [row('fast', 2.0, 1.0), row('slow', 1.0, 4.0, unit='x/s')], 'notes': 'n'}\n"
    )
    (benches / "bench_wrong.py").write_text("def run(quick=False):\n    return [1, 2]\n")
    out = tmp_path / "results"
    process = _run("--quick", "--bench-dir", str(benches), "--results-dir", str(out), "--timeout", "60")
    assert process.returncode == 1
    broken = json.loads((out / "broken.json").read_text())
    assert "deliberately broken" in broken["error"] and broken["rows"] == []
    assert "rows" in json.loads((out / "wrong.json").read_text())["error"]
    good = json.loads((out / "good.json").read_text())
    assert [r["ratio"] for r in good["rows"]] == [2.0, 0.25] and "error" not in good
    markdown = (out / "BENCHMARKS.md").read_text()
    assert "## Failed benchmarks" in markdown and "`broken`" in markdown
    slower = markdown.split("## Where motifnet is slower than its reference")[1].split("##")[0]
    assert "slow" in slower and "4.00x better" in slower and "fast" not in slower


def test_a_skipped_benchmark_keeps_its_earlier_result(tmp_path):
    """A benchmark whose skip_reason names a reason (bench_gpu without CUDA) measures nothing and
    leaves the JSON of its last run, and its table, in place; without a reason it runs."""
    benches, out = tmp_path / "benches", tmp_path / "results"
    benches.mkdir()
    (benches / "bench_device.py").write_text(
        "from _harness import row\n"
        "def skip_reason(quick):\n    return None if quick else 'no such device'\n"
        "def run(quick=False):\n    return {'title': 'Device', 'rows': [row('fresh', 1.0)], 'notes': ''}\n")
    out.mkdir()
    earlier = {"title": "Device", "rows": [{"name": "measured there", "value": 3.0}], "notes": "", "name": "device"}
    (out / "device.json").write_text(json.dumps(earlier))
    process = _run("--bench-dir", str(benches), "--results-dir", str(out), "--timeout", "60")
    assert process.returncode == 0 and "device: skipped (no such device)" in process.stdout
    assert json.loads((out / "device.json").read_text()) == earlier
    assert "measured there" in (out / "BENCHMARKS.md").read_text()
    assert _run("--quick", "--bench-dir", str(benches), "--results-dir", str(out), "--timeout", "60").returncode == 0
    assert json.loads((out / "device.json").read_text())["rows"][0]["name"] == "fresh"


def test_markdown_includes_any_results_json_with_rows(tmp_path):
    (tmp_path / "eval_encode.json").write_text(json.dumps(
        {"title": "DeepBind on 10 ENCODE experiments", "rows": [{"name": "CTCFL", "auroc": 0.981}], "notes": "x",
         "summary": {"mean_auc": 0.9634}}))
    (tmp_path / "stray.json").write_text(json.dumps({"not": "a result"}))
    text = bench_run.markdown(bench_run.load_results(tmp_path))
    assert "## DeepBind on 10 ENCODE experiments" in text and "| CTCFL | 0.981 |" in text
    assert "- mean_auc: 0.963" in text
    assert "stray" not in text


def test_each_section_names_the_cpu_that_measured_it(tmp_path):
    for name, cpu, gflops in (("a", "Intel Xeon", 185.5), ("b", "AMD EPYC", 94.1)):
        (tmp_path / f"{name}.json").write_text(json.dumps(
            {"title": name, "rows": [{"name": "x", "value": 1}], "date": f"2026-12-0{len(cpu) % 9}",
             "machine": {"cpu": cpu, "matmul_gflops_f32": gflops, "load_avg_1min": 0.1}}))
    text = bench_run.markdown(bench_run.load_results(tmp_path))
    assert "Intel Xeon, matmul 185.5 GFLOP/s" in text.split("## a")[1].split("## b")[0]
    assert "AMD EPYC, matmul 94.10 GFLOP/s" in text.split("## b")[1]
    assert "cpus of the sections: Intel Xeon (matmul 185.5 GFLOP/s); AMD EPYC (matmul 94.10 GFLOP/s)" in text


def test_unknown_benchmark_name_is_refused():
    with pytest.raises(SystemExit, match="no benchmark named"):
        bench_run.discover(["no_such_benchmark"])


def test_harness_timing_and_ratios():
    calls = []
    median, low, high = _harness.median_seconds(lambda: calls.append(1), repeat=5, warmup=2)
    assert len(calls) == 7 and 0 <= low <= median <= high
    timed = _harness.interleaved_seconds({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeat=3)
    assert set(timed) == {"a", "b"} and calls[7:] == ["a", "b"] * 4
    assert _harness.row("t", 2.0, 4.0, higher_is_better=False)["ratio"] == 2.0
    assert _harness.row("t", 2.0, 4.0)["ratio"] == 0.5 and _harness.row("t", 2.0)["ratio"] is None
    assert bench_run.fmt(1234567.0) == "1,234,567" and bench_run.fmt(None) == "–" and bench_run.fmt(0.01234) == "0.0123"


def _allocate(megabytes: int) -> int:
    import numpy as np

    block = np.ones(megabytes * 1024 * 1024, dtype=np.uint8)
    return int(block.sum())


def test_in_subprocess_measures_the_child_alone():
    import numpy as np

    hog = np.ones(200 * 1024 * 1024, dtype=np.uint8)  # held by the parent only
    result, peak = _harness.in_subprocess(_allocate, 64)
    assert result == 64 * 1024 * 1024
    assert 64 < peak < 64 + 120  # the child's own 64 MB + Python, not the parent's 200 MB as well
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        _harness.in_subprocess(divmod, 1, 0)


@pytest.mark.parametrize("name, preset", [("deepbind", None), ("resnet", "classroom"), ("danq", "classroom")])
def test_channels_last_candidate_computes_the_same_step(name, preset):
    """The channels-last candidate of bench_step_candidates changes the kernels, not the numbers:
    the same outputs and weight gradients (odd, even and 'same' paddings among these models)."""
    import torch

    from bench_step_candidates import channels_last_convolutions
    from motifnet.models import build

    torch.manual_seed(0)
    eager = build(name, 3, 60, preset=preset).eval()
    candidate = build(name, 3, 60, preset=preset).eval()
    candidate.load_state_dict(eager.state_dict())
    channels_last_convolutions(candidate)
    x = torch.nn.functional.one_hot(torch.randint(4, (5, 60)), 4).transpose(1, 2).float()
    outputs = [model(x) for model in (eager, candidate)]
    assert torch.allclose(outputs[0], outputs[1], atol=1e-5)
    for model, out in zip((eager, candidate), outputs):
        out.sum().backward()
    pairs = [(a.grad, b.grad) for a, b in zip(eager.parameters(), candidate.parameters()) if a.grad is not None]
    assert pairs and all(torch.allclose(a, b, atol=1e-4) for a, b in pairs)
    assert any(type(m).__name__ == "Conv1d" and "_conv_forward" in vars(m) for m in candidate.modules())
