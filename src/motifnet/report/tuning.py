"""The HTML report of a hyperparameter search: the best setting, the score by trial, the
parameter importances and every trial, from the numbers :func:`motifnet.training.tune.tune`
returns (or reads back from ``trials.tsv`` and ``best.json``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from motifnet.report.html import Report


def build_tuning_report(best: Mapping[str, Any], trials: Sequence[Mapping[str, Any]], path: str | Path,
                        title: str = "Hyperparameter search") -> Path:
    """Write the report to ``path`` (atomically).

    Args:
        best: what ``best.json`` holds: study, storage, trial, value, monitor, direction, params,
            fold_scores, settings, folds ``{k, by, sizes}``, trials (counts by state), importances.
        trials: the rows of ``trials.tsv`` (:func:`motifnet.training.tune.trials_table`).
    """
    from motifnet.report.plots import importance_bars, trial_scores

    monitor = best["monitor"]
    counts = best.get("trials", {})
    folds = best.get("folds", {})
    subtitle = (f"study {best['study']!r}: {len(trials)} trials ("
                + ", ".join(f"{n} {state}" for state, n in counts.items() if n) + f"); {folds.get('k')}-fold "
                f"cross-validation ({folds.get('by')}), {monitor} to {best['direction']}")
    report = Report(title, subtitle=subtitle, footer=f"storage: {best.get('storage')}")

    section = report.section("Best setting")
    section.text(f"Trial {best['trial']}: mean {monitor} over the folds {best['value']:.4f} (folds "
                 + ", ".join(f"{s:.4f}" for s in best.get("fold_scores", [])) + ").")
    section.table([{"setting": name, "value": value} for name, value in best["params"].items()],
                  formats={"value": "{:.4g}"})
    settings = best.get("settings", {})
    whole = {**settings.get("params", {}), **settings.get("training", {})}
    section.note("Whole setting (model " + str(settings.get("model")) + (f", preset {settings['preset']}" if
                 settings.get("preset") else "") + "): " + ", ".join(f"{k}={_short(v)}" for k, v in whole.items()))
    section.note("Early stopping watched the validation fold that was scored, as in DeepBind's calibration: "
                 "judge the retrained model on test data that took no part in the search.")

    section = report.section("Score by trial")
    section.figure(trial_scores([row["trial"] for row in trials], [row.get("value") for row in trials],
                                [row["state"] for row in trials], monitor, best["direction"] == "maximize",
                                [row.get("last_value") for row in trials]),
                   caption=f"mean validation {monitor} over the folds of each complete trial; the line is the "
                           "best so far; crosses: pruned trials at their last reported value")

    section = report.section("Parameter importances")
    importances = best.get("importances") or {}
    if importances:
        section.figure(importance_bars(importances),
                       caption="fANOVA importances of the sampled parameters for the complete trials' scores")
    else:
        section.note("Not computed: fewer than two complete trials, or a single value tried.")

    section = report.section("Trials")
    index = next((i for i, row in enumerate(trials) if row["trial"] == best["trial"]), None)
    scores = {key: "{:.4f}" for row in trials for key in row if key == "value" or key.startswith("fold")
              or key == "last_value"}
    section.table(trials, formats={**{name: "{:.4g}" for name in best["params"]}, **scores, "seconds": "{:.1f}"},
                  highlight=index)
    return report.write(path)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


__all__ = ["build_tuning_report"]
