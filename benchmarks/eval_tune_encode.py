"""Does tuning pay? DeepBind's calibration (``motifnet tune``) against the shipped recipe on the 4
hardest visible ENCODE experiments (lowest test AUROC with the recipe: ARID3A, MYC, SP1, ZBTB7A).

Per experiment: ``motifnet tune`` on the AC file with ``eval_encode.py``'s recipe as the fixed
settings (encode preset, dinucleotide-shuffled negatives, rc augmentation, at most 40 epochs,
patience 5) and DeepBind's calibration ranges (benchmarks/spaces/deepbind_encode.yaml), N trials,
3 stratified folds, median pruning, two workers sharing one SQLite study (1 thread each); the
best setting retrained on all of AC, then ``motifnet evaluate`` on the B file (both strands, as the
recipe). The default's test AUROC is the recipe's (benchmarks/results/encode_patterns.json, the
same training without a time limit). A study already in its folder is resumed (one already evaluated is only
read again); the search time is its first trial's start to its last trial's end.

Writes benchmarks/results/tune_encode.json and .md.

    python benchmarks/eval_tune_encode.py --trials 10
    python benchmarks/eval_tune_encode.py --trials 30 --experiments ARID3A
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import DATA_DIR, ROOT, machine  # noqa: E402

ENCODE = DATA_DIR / "deepbind_encode"
RESULTS = ROOT / "benchmarks" / "results"
SPACE = ROOT / "benchmarks" / "spaces" / "deepbind_encode.yaml"
HARDEST = ["ARID3A_K562_ARID3A_(sc-8821)_Stanford", "MYC_H1-hESC_c-Myc_Stanford", "SP1_GM12878_SP1_HudsonAlpha",
           "ZBTB7A_HepG2_ZBTB7A_(SC-34508)_HudsonAlpha"]
FIXED = ["--preset", "encode", "--negatives", "dinuc-shuffle", "--set", "augment=rc", "--set", "epochs=40",
         "--set", "patience=5"]


def motifnet(*argv) -> list[str]:
    """The command line of ``motifnet`` in this interpreter."""
    return [sys.executable, "-m", "motifnet", *map(str, argv)]


def search_seconds(storage: str, study: str) -> float:
    """Wall seconds of a study's search: its first trial's start to its last trial's end (so a
    resumed study counts its trials, not the gap)."""
    import optuna

    trials = [t for t in optuna.load_study(study_name=study, storage=storage).trials if t.datetime_complete]
    return (max(t.datetime_complete for t in trials) - min(t.datetime_start for t in trials)).total_seconds()


def tune_one(prefix: str, trials: int, out: Path) -> dict:
    """Two tune workers on one study (resumed if it is in ``out``), then the test AUROC of the
    retrained best; a result row."""
    storage = f"sqlite:///{out / 'study.db'}"
    study = prefix.split("_")[0]
    out.mkdir(parents=True, exist_ok=True)
    test = out / "test.json"
    if not (test.exists() and finished_trials(storage, study) >= trials):
        search(prefix, trials, out, storage, study)
    best = json.loads((out / "worker1" / "best.json").read_text())
    retrain = json.loads((out / "worker1" / "best" / "metrics.json").read_text())["train_seconds"]
    return {
        "experiment": prefix,
        "trials": study_counts(storage, study),
        "best_params": best["params"],
        "cv_auroc": best["value"],
        "tuned_test_auroc": json.loads(test.read_text())["macro"]["auroc"],
        "search_seconds": search_seconds(storage, study),
        "retrain_seconds": retrain,
    }


def finished_trials(storage: str, study: str) -> int:
    """Trials of the study that ended (complete, pruned or failed); 0 when it does not exist yet."""
    import optuna

    try:
        trials = optuna.load_study(study_name=study, storage=storage).trials
    except KeyError:
        return 0
    return sum(t.state.is_finished() for t in trials)


def study_counts(storage: str, study: str) -> dict[str, int]:
    """``{'complete', 'pruned', 'fail'}`` trial counts of the study once its workers have ended."""
    import optuna

    trials = optuna.load_study(study_name=study, storage=storage).trials
    return {state: sum(t.state.name.lower() == state for t in trials) for state in ("complete", "pruned", "fail")}


def two_workers(tune_argv: list, out: Path, storage: str, study: str) -> None:
    """``motifnet tune ARGV`` as two workers sharing ``study`` (1 thread each; folders
    ``out/worker1``, which retrains the best setting, and ``out/worker2``)."""
    workers = []
    for worker in (1, 2):
        argv = motifnet("tune", *tune_argv, "--storage", storage, "--study", study, "--out", out / f"worker{worker}",
                        "--threads", 1, "--quiet")
        workers.append(subprocess.Popen(argv + ([] if worker == 1 else ["--no-retrain"])))
    codes = [worker.wait() for worker in workers]
    if any(codes):
        raise SystemExit(f"{study}: tune exited with {codes}")


def search(prefix: str, trials: int, out: Path, storage: str, study: str) -> None:
    """The two workers, the retraining (by the first) and the evaluation on the B file."""
    two_workers(["--data", ENCODE / f"{prefix}_AC.seq.gz", "--model", "deepbind", *FIXED, "--space", SPACE,
                 "--trials", trials, "--folds", 3], out, storage, study)
    subprocess.run(motifnet("evaluate", "--run", out / "worker1" / "best", "--data", ENCODE / f"{prefix}_B.seq.gz",
                            "--strands", "both", "--threads", 1, "--quiet", "--out", out / "test.json"), check=True)


def default_auroc() -> dict[str, float]:
    """The recipe's test AUROC per experiment (eval_patterns_encode.py's training)."""
    rows = json.loads((RESULTS / "encode_patterns.json").read_text())["rows"]
    return {row["experiment"]: row["test_auc"] for row in rows}


def markdown(rows: list[dict]) -> str:
    lines = ["| experiment | tuned test AUROC | default test AUROC | cross-validated AUROC (best trial) | "
             "best setting | trials (complete/pruned/failed) | search (2 workers) | retraining |",
             "|---|---:|---:|---:|---|---|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['experiment'].split('_')[0]} | {r['tuned_test_auroc']:.3f} | {r['default_test_auroc']:.3f} | "
                     f"{r['cv_auroc']:.4f} | {setting_text(r['best_params'])} | {trial_counts(r['trials'])} | "
                     f"{r['search_seconds'] / 60:.1f} min | {r['retrain_seconds']:.0f} s |")
    return "\n".join(lines) + "\n"


def setting_text(params: dict) -> str:
    """A best setting as ``lr 0.0044, dropout 0.25``."""
    return ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in params.items())


def trial_counts(counts: dict | None) -> str:
    """``complete/pruned/failed`` from :func:`study_counts`."""
    return "/".join(str((counts or {}).get(k, 0)) for k in ("complete", "pruned", "fail"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10, help="finished trials per study (default 10)")
    parser.add_argument("--experiments", nargs="+", help="factor names or prefixes (default: the 4 hardest)")
    parser.add_argument("--out", default=str(ROOT / "runs" / "tune_encode"), help="where the studies and runs go")
    args = parser.parse_args(argv)
    chosen = [p for p in HARDEST if not args.experiments or any(p.startswith(e) for e in args.experiments)]
    defaults = default_auroc()
    for prefix in chosen:
        row = tune_one(prefix, args.trials, Path(args.out) / prefix.split("_")[0])
        row["default_test_auroc"] = defaults[prefix]
        rows = write_row(row, args.trials)
        print(f"{prefix}: tuned {row['tuned_test_auroc']:.4f} vs default {row['default_test_auroc']:.4f}, "
              f"search {row['search_seconds']:.0f} s", flush=True)
    print(markdown(rows))
    return 0


def write_row(row: dict, trials: int) -> list[dict]:
    """Add (or replace) ``row`` in the results files, each experiment's row written as it ends."""
    path = RESULTS / "tune_encode.json"
    previous = json.loads(path.read_text())["rows"] if path.exists() else []
    rows = [r for r in previous if r["experiment"] != row["experiment"]] + [row]
    rows.sort(key=lambda r: HARDEST.index(r["experiment"]))
    payload = {"title": "DeepBind tuned by motifnet tune vs the shipped recipe (ENCODE, test on B)", "rows": rows,
               "trials": trials, "machine": machine()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    (RESULTS / "tune_encode.md").write_text(markdown(rows))
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
