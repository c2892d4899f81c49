"""Conclusions computed from the numbers of one run: rankings, pairwise comparisons, trends.

Every sentence is built from the values it is given; nothing here is fixed text about what the
result should be. Rows are flat dicts with ``label``, ``sweep_value`` and metric columns.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

HIGHER_IS_WORSE = {"train_seconds", "predict_seconds", "n_parameters", "loss", "valid_loss"}
NEUTRAL = {"grad_norm_init", "grad_norm_final", "n_parameters", "epochs_run"}
"""Metrics where neither direction is "better": compared as ratios, never as wins."""

NAMES = {
    "accuracy": "test accuracy",
    "auroc": "test AUROC",
    "auprc": "test AUPRC",
    "filter_match_fraction": "fraction of filters matching a true motif",
    "koo_eddy_true_fraction": "fraction of all filters with any match to a true motif (Koo & Eddy's rule)",
    "koo_eddy_jaspar_fraction": "fraction of all filters with any JASPAR match (Koo & Eddy's rule)",
    "motif_recovery_fraction": "fraction of true motifs recovered",
    "pattern_recovery_fraction": "fraction of true motifs recovered as TF-MoDISco patterns",
    "seqlet_precision": "fraction of seqlets on a true site",
    "localization_accuracy": "localization accuracy",
    "grad_norm_init": "gradient norm reaching the first layer at initialization",
    "grad_norm_final": "gradient norm reaching the first layer after training",
    "train_seconds": "training time (s)",
}


def metric_name(metric: str) -> str:
    """A readable name of a metric column."""
    return NAMES.get(metric, metric.replace("_", " "))


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: float) -> str:
    if not _finite(value):
        return "n/a"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4):
        return f"{value:.2e}"
    return f"{value:.3f}"


def ranking(rows: Sequence[Mapping[str, Any]], metric: str) -> list[str]:
    """Sentences ranking the models on ``metric`` (rows without a sweep)."""
    scored = [(row["label"], row.get(metric)) for row in rows if _finite(row.get(metric))]
    if len(scored) < 1:
        return []
    reverse = metric not in HIGHER_IS_WORSE
    scored.sort(key=lambda item: item[1], reverse=reverse)
    name = metric_name(metric)
    best_label, best = scored[0]
    if len(scored) == 1:
        return [f"{best_label} reached a {name} of {_fmt(best)}."]
    second_label, second = scored[1]
    worst_label, worst = scored[-1]
    sentences = [
        f"{best_label} had the best {name} ({_fmt(best)}), "
        f"{'ahead of' if best != second else 'tied with'} {second_label} ({_fmt(second)})"
        + (f" by {_fmt(abs(best - second))}." if best != second else ".")
    ]
    if len(scored) > 2:
        sentences.append(
            f"Order on {name}: " + ", ".join(f"{label} {_fmt(value)}" for label, value in scored)
            + f"; the spread from best to worst ({worst_label}) is {_fmt(abs(best - worst))}."
        )
    return sentences


def targets(rows: Sequence[Mapping[str, Any]], goals: Mapping[str, Mapping[str, float]]) -> list[str]:
    """Whether each model met its target, e.g. ``{"DanQ": {"accuracy": 0.98}}`` (at least)."""
    sentences = []
    by_label = {row["label"]: row for row in rows if row.get("sweep_value") is None}
    for label, wanted in goals.items():
        row = by_label.get(label)
        if row is None:
            continue
        for metric, threshold in wanted.items():
            value = row.get(metric)
            if not _finite(value):
                sentences.append(f"{label}: no {metric_name(metric)} was measured (target >= {threshold}).")
                continue
            verdict = "met" if value >= threshold else "missed"
            sentences.append(f"{label} {verdict} its target {metric_name(metric)} >= {threshold}: measured {_fmt(value)}.")
    return sentences


def _series(rows: Sequence[Mapping[str, Any]], label: str, metric: str, values: Sequence) -> list[float]:
    table = {row["sweep_value"]: row.get(metric) for row in rows if row["label"] == label}
    return [table.get(v) if _finite(table.get(v)) else float("nan") for v in values]


def comparisons(
    rows: Sequence[Mapping[str, Any]], pairs: Sequence[Sequence[str]], metric: str, values: Sequence, sweep: str
) -> list[str]:
    """For each ``[A, B]`` pair: who won at each sweep value and where the gap was largest."""
    sentences = []
    name = metric_name(metric)
    for pair in pairs:
        a, b = pair[0], pair[1]
        first, second = _series(rows, a, metric, values), _series(rows, b, metric, values)
        gaps = [(v, x, y, x - y) for v, x, y in zip(values, first, second) if _finite(x) and _finite(y)]
        if not gaps:
            continue
        if metric in NEUTRAL:
            parts = [("" if v is None else f"{sweep} {v}: ") + f"{_fmt(x)} vs {_fmt(y)}"
                     + (f" ({x / y:.3g}x)" if y else "") for v, x, y, _ in gaps]
            sentences.append(f"{metric_name(metric).capitalize()}, {a} vs {b}: " + "; ".join(parts) + ".")
            continue
        if len(values) == 1 and values[0] is None:
            v, x, y, gap = gaps[0]
            winner, loser = (a, b) if gap >= 0 else (b, a)
            sentences.append(f"{winner} beat {loser} on {name} by {_fmt(abs(gap))} ({_fmt(max(x, y))} vs {_fmt(min(x, y))}).")
            continue
        wins = sum(1 for *_, gap in gaps if gap > 0)
        v, x, y, gap = max(gaps, key=lambda item: abs(item[3]))
        winner, loser = (a, b) if gap >= 0 else (b, a)
        sentences.append(
            f"{a} beat {b} on {name} at {wins} of {len(gaps)} {sweep} values; the largest gap was at {sweep} {v}, "
            f"where {winner} beat {loser} by {_fmt(abs(gap))} ({_fmt(max(x, y))} vs {_fmt(min(x, y))})."
        )
        last_v, last_x, last_y, last_gap = gaps[-1]
        if last_v != v:
            lead = a if last_gap >= 0 else b
            trail = b if last_gap >= 0 else a
            sentences.append(
                f"At {sweep} {last_v}, {lead} beat {trail} by {_fmt(abs(last_gap))} "
                f"({_fmt(max(last_x, last_y))} vs {_fmt(min(last_x, last_y))})."
            )
    return sentences


def trends(rows: Sequence[Mapping[str, Any]], labels: Sequence[str], metric: str, values: Sequence, sweep: str) -> list[str]:
    """For each model: the metric at the first and last sweep value, the best value, and the rank
    correlation with the sweep value (numeric sweeps). A sweep over names (not numbers, e.g.
    experiments) has no order, so there only the range and the mean are stated."""
    sentences = []
    name = metric_name(metric)
    numeric = all(_finite(v) for v in values)
    for label in labels:
        series = _series(rows, label, metric, values)
        points = [(v, s) for v, s in zip(values, series) if _finite(s)]
        if len(points) < 2:
            continue
        if not numeric:
            (v_lo, lo), (v_hi, hi) = min(points, key=lambda p: p[1]), max(points, key=lambda p: p[1])
            mean = sum(s for _, s in points) / len(points)
            sentences.append(
                f"{label}: {name} ranged from {_fmt(lo)} ({sweep} {v_lo}) to {_fmt(hi)} ({sweep} {v_hi}) "
                f"over {len(points)} {sweep} values; mean {_fmt(mean)}."
            )
            continue
        (v0, s0), (v1, s1) = points[0], points[-1]
        higher = metric not in HIGHER_IS_WORSE
        best_v, best_s = (max if higher else min)(points, key=lambda item: item[1])
        change = s1 - s0
        sentence = (
            f"{label}: {name} went from {_fmt(s0)} at {sweep} {v0} to {_fmt(s1)} at {sweep} {v1} "
            f"({'+' if change >= 0 else '-'}{_fmt(abs(change))}"
        )
        if metric in NEUTRAL:
            sentence += f", {s1 / s0:.3g}x)" if s0 else ")"
        else:
            sentence += f"); best {_fmt(best_s)} at {sweep} {best_v}"
        if numeric and len(points) >= 3:
            rho = spearman([float(v) for v, _ in points], [s for _, s in points])
            if _finite(rho):
                sentence += f"; Spearman correlation with {sweep} {rho:+.2f}"
        sentences.append(sentence + ".")
    return sentences


def best_per_value(rows: Sequence[Mapping[str, Any]], labels: Sequence[str], metric: str, values: Sequence, sweep: str) -> list[str]:
    """Which model was best at each sweep value."""
    if len(labels) < 2 or metric in NEUTRAL:
        return []
    parts = []
    higher = metric not in HIGHER_IS_WORSE
    for v in values:
        scored = [(label, s) for label in labels for s in _series(rows, label, metric, [v]) if _finite(s)]
        if len(scored) >= 2:
            label, s = (max if higher else min)(scored, key=lambda item: item[1])
            parts.append(f"{sweep} {v}: {label} ({_fmt(s)})")
    return [f"Best {metric_name(metric)} per {sweep}: " + "; ".join(parts) + "."] if parts else []


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation (NaN if a series is constant or shorter than 2)."""
    import numpy as np

    if len(x) < 2:
        return float("nan")
    rx = _ranks(np.asarray(x, dtype=float))
    ry = _ranks(np.asarray(y, dtype=float))
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def _ranks(values):
    import numpy as np

    order = values.argsort(kind="stable")
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values):  # average ranks of ties
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks
