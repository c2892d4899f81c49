"""StepRunner: steps side by side in their own processes, leftovers of killed runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import numpy as np
import pytest

from motifnet.experiments.steps import MARKER, Step, StepRunner


def test_run_all_does_not_fork_the_calling_process(tmp_path):
    sys.modules["_only_in_the_parent"] = types.ModuleType("_only_in_the_parent")  # a fork would inherit it
    try:
        step = Step("a", "", 1, lambda folder, inputs: {"forked": "_only_in_the_parent" in sys.modules})
        runner = StepRunner(tmp_path)
        runner.run_all([step], jobs=2)
    finally:
        del sys.modules["_only_in_the_parent"]
    assert runner.summary(step) == {"forked": False}


def test_a_summary_comes_back_as_json_whatever_the_jobs(tmp_path):
    class Tally:
        def __str__(self) -> str:
            return "tally"

    def work(folder, inputs):
        return {"tally": Tally(), "scores": np.array([0.5, np.nan]), "n": np.int64(3)}

    summaries = []
    for jobs in (1, 2):
        step = Step("a", "", 1, work)
        runner = StepRunner(tmp_path / str(jobs))
        runner.run_all([step], jobs=jobs)
        summaries.append(runner.summary(step))
        summaries.append(StepRunner(tmp_path / str(jobs)).marker(step)["summary"])
    assert summaries == [{"tally": "tally", "scores": [0.5, None], "n": 3}] * 4


def test_run_all_does_not_visit_steps_already_run_again(tmp_path):
    first = Step("a", "one", 1, lambda folder, inputs: None)
    second = Step("b", "", 2, lambda folder, inputs: None, [first])
    runner = StepRunner(tmp_path)
    runner.run(first)
    runner.run_all([second], jobs=2)
    assert runner.events[0][:2] == ("a/one", "ran") and [e[:2] for e in runner.events[1:]] == [("b", "ran")]


def test_a_step_removes_the_leftovers_of_a_killed_run_of_its_own_folder_only(tmp_path):
    kind = tmp_path / "a"
    leftovers = [kind / ".one.old-0123abcd", kind / ".one.k3_x9zq0.tmp"]
    others = [kind / ".one.b.k3_x9zq0.tmp", kind / ".one.b.old-0123abcd", kind / ".one-old"]
    for folder in leftovers + others:
        folder.mkdir(parents=True)
        (folder / "f.txt").write_text("x")
    StepRunner(tmp_path).run(Step("a", "one", 1, lambda folder, inputs: None))
    assert (kind / "one" / MARKER).exists()
    assert not any(folder.exists() for folder in leftovers) and all(folder.exists() for folder in others)


CHILDREN = """
import os, sys, time
from pathlib import Path
from motifnet.experiments.steps import Step, StepRunner


def wait(folder, inputs):
    (Path(sys.argv[1]) / f"pid-{os.getpid()}").write_text("")
    time.sleep(600)


if __name__ == "__main__":
    StepRunner(Path(sys.argv[1]) / "run").run_all([Step("a", "one", 1, wait), Step("a", "two", 2, wait)], jobs=2)
"""


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _poll(condition, seconds: float = 120.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_the_steps_processes_die_with_the_parent(tmp_path, signum):
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(CHILDREN))
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stderr=subprocess.DEVNULL)
    children: list[int] = []
    try:
        assert _poll(lambda: len(list(tmp_path.glob("pid-*"))) == 2 or parent.poll() is not None)
        children = [int(path.name.split("-")[1]) for path in tmp_path.glob("pid-*")]
        assert len(children) == 2 and parent.poll() is None
        parent.send_signal(signum)
        parent.wait(timeout=120)
        assert _poll(lambda: not any(_alive(pid) for pid in children))
    finally:
        parent.kill()
        parent.wait()
        for pid in filter(_alive, children):
            os.kill(pid, signal.SIGKILL)
