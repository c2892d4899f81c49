"""Does tuning pay for the classroom DanQ? ``motifnet tune`` around the DanQ of the classroom
experiment (examples/classroom.yaml) against that experiment's own DanQ.

The data are the demo's: the classroom set (``simulate("classroom", n_per_class=3000, seed=0)``),
its train and valid rows for the search (3-fold stratified cross-validation of 29,700 sequences)
and its 3,300 test rows for the test accuracy. Fixed settings are the demo's DanQ settings
(classroom preset, 30 epochs, batch 128, patience 10 on the validation loss, learning rate halved
on plateaus, reverse-complement augmentation); the space is benchmarks/spaces/danq_classroom.yaml
(learning rate, weight decay, both dropout rates). Two workers share one SQLite study (1 thread
each), median pruning; the best setting is retrained on all 29,700 and evaluated on the test rows.
The default's test accuracy is read from a finished ``motifnet demo`` folder (``--demo``).

Writes benchmarks/results/tune_classroom.json and .md.

    python benchmarks/eval_tune_classroom.py --trials 10 --demo runs/demo
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, machine  # noqa: E402
from eval_tune_encode import (finished_trials, motifnet, search_seconds, setting_text, study_counts,  # noqa: E402
                              trial_counts, two_workers)

RESULTS = ROOT / "benchmarks" / "results"
SPACE = ROOT / "benchmarks" / "spaces" / "danq_classroom.yaml"
FIXED = ["--preset", "classroom", "--set", "epochs=30", "--set", "batch_size=128", "--set", "patience=10",
         "--set", "monitor=loss", "--set", "schedule=plateau", "--set", "augment=rc"]


def prepare(out: Path, n_per_class: int) -> tuple[Path, Path]:
    """The classroom set as two stores: its train + valid rows, and its test rows."""
    import numpy as np

    from motifnet.data import is_store, save
    from motifnet.simulate import simulate

    search_data, test_data = out / f"train_valid_{n_per_class}", out / f"test_{n_per_class}"
    if not (is_store(search_data) and is_store(test_data)):
        data = simulate("classroom", n_per_class=n_per_class, seed=0)
        split = np.asarray(data.annotations["split"]).astype(str)
        save(data.subset(np.flatnonzero(split != "test")), search_data, overwrite=True)
        save(data.subset(np.flatnonzero(split == "test")), test_data, overwrite=True)
    return search_data, test_data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10, help="finished trials of the study (default 10)")
    parser.add_argument("--demo", required=True, help="a finished `motifnet demo` folder (the default DanQ)")
    parser.add_argument("--n-per-class", type=int, default=3000, help="classroom sequences per class (default 3000)")
    parser.add_argument("--out", default=str(ROOT / "runs" / "tune_classroom"), help="where the study and runs go")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    search_data, test_data = prepare(out, args.n_per_class)
    storage, study, test = f"sqlite:///{out / 'study.db'}", "DanQ", out / "test.json"
    if not (test.exists() and finished_trials(storage, study) >= args.trials):
        two_workers(["--data", search_data, "--model", "danq", *FIXED, "--space", SPACE, "--trials", args.trials,
                     "--folds", 3], out, storage, study)
        subprocess.run(motifnet("evaluate", "--run", out / "worker1" / "best", "--data", test_data, "--threads", 1,
                                "--quiet", "--out", test), check=True)
    best = json.loads((out / "worker1" / "best.json").read_text())
    default = json.loads((Path(args.demo) / "evaluate" / "DanQ" / "DONE.json").read_text())["summary"]
    row = {"model": "DanQ (classroom preset)", "trials": study_counts(storage, study), "best_params": best["params"],
           "cv_valid_loss": best["value"], "tuned_test_accuracy": json.loads(test.read_text())["accuracy"],
           "default_test_accuracy": default["accuracy"], "search_seconds": search_seconds(storage, study),
           "retrain_seconds": json.loads((out / "worker1" / "best" / "metrics.json").read_text())["train_seconds"]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tune_classroom.json").write_text(json.dumps(
        {"title": "The classroom DanQ tuned by motifnet tune vs the demo's DanQ (test accuracy)", "rows": [row],
         "trials": args.trials, "machine": machine()}, indent=2) + "\n")
    text = ("| model | tuned test accuracy | default test accuracy | cross-validated loss (best trial) | best setting | "
            "trials (complete/pruned/failed) | search (2 workers) | retraining |\n|---|---:|---:|---:|---|---|---:|---:|\n"
            f"| {row['model']} | {row['tuned_test_accuracy']:.3f} | {row['default_test_accuracy']:.3f} | "
            f"{row['cv_valid_loss']:.4f} | {setting_text(row['best_params'])} | {trial_counts(row['trials'])} | "
            f"{row['search_seconds'] / 60:.1f} min | {row['retrain_seconds']:.0f} s |\n")
    (RESULTS / "tune_classroom.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
