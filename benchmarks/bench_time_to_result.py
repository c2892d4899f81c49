"""Time to result, through the ``motifnet`` command as a user runs it.

1. DeepBind on one ENCODE ChIP-seq experiment (GABPA_GM12878 from ../shared/data/deepbind_encode):
   ``motifnet train`` on the AC file (positives only; dinucleotide-shuffled negatives) then
   ``motifnet evaluate`` on the B file, to its test AUC. The published DeepBind* AUC of the same
   experiment is shown beside it.
2. The course's full classroom experiment as ``make demo`` runs it (``motifnet demo``), with the
   seconds of each of its steps (train, evaluate, interpret, report) as its profile.

A step whose command or file has not landed yet is recorded as "not available yet" (no error).
``python benchmarks/bench_time_to_result.py --profile DIR`` prints the step profile of a finished
experiment folder (e.g. ``runs/demo`` after ``make demo``).

Quick mode trains one epoch on a tiny synthetic ``.seq`` file (the same commands, called in-process
through ``motifnet.cli.main`` to skip two interpreter start-ups) and skips the classroom experiment.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import DATA_DIR, ROOT, row  # noqa: E402

EXPERIMENT = "GABPA_GM12878_GABP_HudsonAlpha"
ENCODE_DIR = DATA_DIR / "deepbind_encode"
TIMEOUT_S = 1200
"""Seconds allowed for each train / evaluate command (a longer one is recorded as timed out)."""
CLASSROOM_TIMEOUT_S = 1800
"""Seconds allowed for the classroom experiment (budgeted for < 10 minutes on 2 idle cores)."""


def motifnet(*args: str, timeout: float = TIMEOUT_S, in_process: bool = False) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``python -m motifnet ARGS`` (the ``motifnet`` command); return (wall seconds, process).

    ``in_process`` calls ``motifnet.cli.main(ARGS)`` in this interpreter instead (same argument
    parsing and code, without the interpreter start-up; used in quick mode to stay fast).
    """
    start = time.perf_counter()
    if in_process:
        import contextlib
        import io

        from motifnet.cli import main

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
        process = subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())
    else:
        try:
            process = subprocess.run([sys.executable, "-m", "motifnet", *args], cwd=ROOT, capture_output=True,
                                     text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            process = subprocess.CompletedProcess(args, -1, "", f"timed out after {timeout:.0f} s")
    return time.perf_counter() - start, process


def commands_available() -> set[str]:
    """The subcommands ``motifnet --help`` lists (empty if the command fails)."""
    _, process = motifnet("--help", timeout=120)
    if process.returncode != 0:
        return set()
    return {word.strip("{},") for line in process.stdout.splitlines() for word in line.split()}


def published_auc(experiment: str, column: str = "DeepBind*") -> float | None:
    """DeepBind's published test AUC for ``experiment`` (TF_CellLine_Antibody_Lab), or None."""
    path = ENCODE_DIR / "published_auc_encodeaucs.csv"
    if not path.exists():
        return None
    with open(path, newline="") as handle:
        header = None
        for record in csv.reader(handle):
            if header is None:
                if "TF_CellLine_Antibody_Lab" in record:
                    header = record
                continue
            if len(record) > 1 and record[header.index("TF_CellLine_Antibody_Lab")] == experiment:
                return float(record[header.index(column)])
    return None


def find_auroc(result) -> float | None:
    """The macro AUROC of a ``motifnet evaluate`` JSON (or the first 'auroc' found in it)."""
    if isinstance(result, dict):
        macro = result.get("macro")
        if isinstance(macro, dict) and isinstance(macro.get("auroc"), (int, float)):
            return float(macro["auroc"])
        for key, value in result.items():
            if key == "auroc" and isinstance(value, (int, float)):
                return float(value)
            found = find_auroc(value)
            if found is not None:
                return found
    return None


def write_tiny_seq(path: Path, n: int, with_negatives: bool, seed: int) -> None:
    """A DeepBind-format table of ``n`` random 101 bp sequences; positives carry 'GGAAGTGACGTCA'."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    lines = ["FoldID\tEventID\tseq\tBound"]
    for i in range(n):
        bound = int(i % 2 == 0) if with_negatives else 1
        sequence = letters[rng.integers(0, 4, 101)].tobytes().decode()
        if bound:
            start = int(rng.integers(0, 88))
            sequence = sequence[:start] + "GGAAGTGACGTCA" + sequence[start + 13:]
        lines.append(f"A\tpeak{i}\t{sequence}\t{bound}")
    path.write_text("\n".join(lines) + "\n")


def _failure(process: subprocess.CompletedProcess) -> str:
    text = (process.stderr or process.stdout or "").strip().splitlines()
    return f"exit {process.returncode}: {text[-1] if text else ''}"


def deepbind_encode(quick: bool, tmp: Path) -> dict:
    """Train + evaluate DeepBind through the CLI; one result row."""
    name = f"DeepBind (paper) on {EXPERIMENT}: train AC -> evaluate B"
    if quick:
        train_file, test_file = tmp / "tiny_AC.seq", tmp / "tiny_B.seq"
        write_tiny_seq(train_file, 200, with_negatives=False, seed=0)
        write_tiny_seq(test_file, 100, with_negatives=True, seed=1)
        name = "DeepBind (paper) on a tiny synthetic .seq (quick mode): train -> evaluate"
        extra = ["--epochs", "1"]
    else:
        train_file = ENCODE_DIR / f"{EXPERIMENT}_AC.seq.gz"
        test_file = ENCODE_DIR / f"{EXPERIMENT}_B.seq.gz"
        extra = []
        if not train_file.exists():
            return row(name, None, status=f"not available: {train_file} absent")
    run_dir, metrics_file = tmp / "run", tmp / "metrics.json"
    train_s, process = motifnet("train", "--data", str(train_file), "--model", "deepbind", "--preset", "paper",
                                "--negatives", "dinuc-shuffle", "--out", str(run_dir), "--quiet", "--seed", "0", *extra,
                                in_process=quick)
    if process.returncode != 0:
        return row(name, None, status="motifnet train failed: " + _failure(process), train_s=train_s)
    eval_s, process = motifnet("evaluate", "--run", str(run_dir), "--data", str(test_file), "--out",
                               str(metrics_file), "--quiet", in_process=quick)
    if process.returncode != 0:
        return row(name, None, status="motifnet evaluate failed: " + _failure(process), train_s=train_s)
    auc = find_auroc(json.loads(metrics_file.read_text()))
    epochs = None
    try:
        epochs = json.loads((run_dir / "metrics.json").read_text()).get("epochs_run")
    except (OSError, ValueError):
        pass
    return row(name, train_s + eval_s, None, unit="s", higher_is_better=False, status="ok", train_s=train_s,
               evaluate_s=eval_s, epochs=epochs, test_auroc=auc,
               published_deepbind_star_auroc=None if quick else published_auc(EXPERIMENT))


def classroom(quick: bool, tmp: Path, available: set[str]) -> list[dict]:
    """Run the classroom experiment as ``make demo`` does (``motifnet demo``: two steps side by side
    on 2 cores); one row for the whole run, then one per step (its profile)."""
    name = "classroom experiment: motifnet demo (make demo)"
    if quick:
        return [row(name, None, status="skipped in quick mode (minutes of training)")]
    if "demo" not in available:
        return [row(name, None, status="not available yet (the `motifnet demo` command absent)")]
    out = tmp / "classroom"
    seconds, process = motifnet("demo", "--out", str(out), "--quiet", timeout=CLASSROOM_TIMEOUT_S)
    load = round(os.getloadavg()[0], 1)
    if process.returncode != 0:
        return [row(name, None, status="motifnet demo failed: " + _failure(process), wall_s=seconds, load_avg_1min=load)]
    steps = step_profile(out)
    rows = [row(name, seconds, None, unit="s", higher_is_better=False, status="ok", load_avg_1min=load,
                step_seconds_sum=round(sum(r["value"] for r in steps), 1))]
    return rows + steps


def step_profile(out: Path) -> list[dict]:
    """One row per step of an experiment folder: its seconds (from its DONE.json marker), with
    epochs and seconds per epoch for a training step and the seconds of each stage for an
    interpretation step."""
    rows = []
    for marker_path in sorted(out.glob("**/DONE.json")):
        marker = json.loads(marker_path.read_text())
        extra: dict = {}
        train_file, interpret_file = marker_path.parent / "train.json", marker_path.parent / "interpret.json"
        if train_file.exists():
            trained = json.loads(train_file.read_text())
            extra = {"epochs": trained["epochs_run"],
                     "seconds_per_epoch": round(trained["train_seconds"] / max(trained["epochs_run"], 1), 2)}
        elif interpret_file.exists():
            extra = {f"{stage}_s": value for stage, value in json.loads(interpret_file.read_text()).get("seconds", {}).items()}
        rows.append(row(f"classroom step {marker['step']}", round(marker["seconds"], 1), None, unit="s",
                        higher_is_better=False, **extra))
    return rows


def run(quick: bool = False) -> dict:
    available = commands_available()
    rows = []
    with tempfile.TemporaryDirectory(prefix="motifnet-bench-ttr-") as tmp:
        if {"train", "evaluate"} <= available:
            rows.append(deepbind_encode(quick, Path(tmp)))
        else:
            rows.append(row("DeepBind on one ENCODE experiment", None,
                            status="not available yet (`motifnet train` / `motifnet evaluate` absent)"))
        rows += classroom(quick, Path(tmp), available)
    notes = (
        "Wall-clock seconds of the commands a user types (`python -m motifnet ...`, including interpreter and "
        "import start-up), run once each (minutes-long jobs are not repeated). DeepBind: `motifnet train --model "
        "deepbind --preset paper --negatives dinuc-shuffle --seed 0` with default training options (10 epochs, early "
        "stopping with patience 5 on a 10% validation split), then `motifnet evaluate` on the B file; test_auroc "
        "beside DeepBind's published DeepBind* AUROC for the same experiment. The classroom rows: `motifnet demo` "
        "(steps run two at a time, one thread each), then each step's own seconds (its process, side by side with "
        "another step), with epochs and seconds per epoch of each training and the seconds of each interpretation "
        "stage (logos included). No speed reference is run here."
    )
    return {"title": "Time to result (the motifnet command, end to end)", "rows": rows, "notes": notes}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--profile":  # the step profile of a finished run folder
        for entry in step_profile(Path(sys.argv[2])):
            print(entry["name"], entry["value"], {k: v for k, v in entry.items()
                                                  if k not in ("name", "value", "unit", "ref", "ratio")})
    else:
        print(json.dumps(run(), indent=2))
