"""Figures of the report, each a matplotlib ``Figure`` built from plain numbers.

Figures are made with ``matplotlib.figure.Figure`` (no pyplot state, no display needed) and
embedded by :mod:`motifnet.report.html`. Every function takes already computed numbers, so
they can be reused outside experiments.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def colors(labels: Sequence[str]) -> dict[str, str]:
    """A fixed colour per label (in order), so every figure uses the same colour for a model."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def training_curves(histories: Mapping[str, Mapping[str, Sequence[float]]], metric: str | None = None) -> Figure:
    """Loss per epoch (train solid, validation dashed) and, if given, a validation metric.

    Args:
        histories: label -> columns (``epoch``, ``train_loss``, ``valid_loss``, metric columns).
        metric: the validation column to plot in a second panel (e.g. ``valid_accuracy``).
    """
    panels = 2 if metric else 1
    fig = Figure(figsize=(5.2 * panels, 3.6), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    palette = colors(list(histories))
    for label, history in histories.items():
        epochs = _epochs(history)
        for column, style in (("train_loss", "-"), ("valid_loss", "--")):
            if column in history and len(history[column]):
                axes[0].plot(epochs[: len(history[column])], history[column], style, color=palette[label],
                             label=f"{label} ({column.split('_')[0]})")
        if metric and metric in history and len(history[metric]):
            axes[1].plot(epochs[: len(history[metric])], history[metric], "-o", ms=3, color=palette[label], label=label)
    axes[0].set(xlabel="epoch", ylabel="loss", title="Loss (solid: train, dashed: validation)")
    axes[0].legend(fontsize=7, ncol=2)
    if metric:
        axes[1].set(xlabel="epoch", ylabel=metric.replace("_", " "), title=metric.replace("_", " "))
        axes[1].legend(fontsize=7)
    return fig


def _epochs(history: Mapping[str, Sequence[float]]) -> np.ndarray:
    if "epoch" in history and len(history["epoch"]):
        return np.asarray(history["epoch"], dtype=float)
    length = max((len(v) for v in history.values()), default=0)
    return np.arange(1, length + 1, dtype=float)


def roc_pr_curves(curves: Mapping[str, Mapping[str, np.ndarray]]) -> Figure:
    """ROC and precision-recall curves, one line per model.

    Args:
        curves: label -> ``{"fpr", "tpr", "auroc", "recall", "precision", "auprc"}`` (arrays and
            the areas shown in the legend).
    """
    fig = Figure(figsize=(10.4, 4.0), layout="constrained")
    roc, pr = fig.subplots(1, 2)
    palette = colors(list(curves))
    for label, c in curves.items():
        roc.plot(c["fpr"], c["tpr"], color=palette[label], label=f"{label} (AUROC {c['auroc']:.3f})")
        pr.plot(c["recall"], c["precision"], color=palette[label], label=f"{label} (AUPRC {c['auprc']:.3f})")
    roc.plot([0, 1], [0, 1], ":", color="grey", lw=1)
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC", xlim=(0, 1), ylim=(0, 1.01))
    pr.set(xlabel="recall", ylabel="precision", title="Precision-recall", xlim=(0, 1), ylim=(0, 1.01))
    roc.legend(fontsize=7, loc="lower right")
    pr.legend(fontsize=7, loc="lower left")
    return fig


def confusion_matrices(matrices: Mapping[str, np.ndarray], class_names: Sequence[str], columns: int = 3) -> Figure:
    """Row-normalised confusion matrices (true class in rows), one panel per model.

    Args:
        matrices: label -> int ``[C, C]`` counts, rows true, columns predicted.
        class_names: the C class names.
    """
    n = len(matrices)
    columns = max(1, min(columns, n))
    rows = (n + columns - 1) // columns
    size = 1.6 + 0.32 * len(class_names)
    fig = Figure(figsize=(size * columns, size * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, (label, matrix) in zip(axes, matrices.items()):
        matrix = np.asarray(matrix, dtype=float)
        norm = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        accuracy = np.trace(matrix) / max(matrix.sum(), 1)
        ax.set_title(f"{label} (accuracy {accuracy:.3f})", fontsize=9)
        ticks = np.arange(len(class_names))
        ax.set_xticks(ticks, class_names, rotation=90, fontsize=6)
        ax.set_yticks(ticks, class_names, fontsize=6)
        ax.set_xlabel("predicted", fontsize=7)
        ax.set_ylabel("true", fontsize=7)
        for i in range(len(class_names)):
            for j in range(len(class_names)):
                if matrix[i, j] and (i != j or norm[i, j] < 0.995):
                    ax.text(j, i, f"{int(matrix[i, j])}", ha="center", va="center", fontsize=5,
                            color="white" if norm[i, j] > 0.6 else "black")
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig


def per_target_heatmap(values: Mapping[str, Sequence[float]], target_names: Sequence[str], metric: str = "AUROC",
                       diverging: bool = False) -> Figure:
    """A rows x targets heatmap of a per-target metric, values written in the cells.

    Args:
        values: label -> T values (NaN allowed).
        target_names: the T target names.
        diverging: a change around 0 (blue-white-red, symmetric range) instead of a score up to 1.
    """
    labels = list(values)
    grid = np.array([np.asarray(values[label], dtype=float) for label in labels])
    fig = Figure(figsize=(1.6 + 0.62 * len(target_names), 0.9 + 0.42 * len(labels)), layout="constrained")
    ax = fig.subplots()
    finite = grid[np.isfinite(grid)]
    if diverging:
        high = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
        low, cmap = -high, "RdBu_r"
    else:
        low, high, cmap = (float(min(0.5, finite.min())) if finite.size else 0.5), 1.0, "viridis"
    image = ax.imshow(grid, cmap=cmap, vmin=low, vmax=high, aspect="auto")
    ax.set_xticks(np.arange(len(target_names)), target_names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(np.arange(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(target_names)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=6,
                        color=_text_color(grid[i, j], low, high, diverging))
    ax.set_title(f"{metric} per target", fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def _text_color(value: float, low: float, high: float, diverging: bool) -> str:
    """Black on light cells, white on dark ones."""
    if diverging:
        return "white" if abs(value) > 0.6 * high else "black"
    return "black" if value > low + 0.6 * (high - low) else "white"


def metric_bars(values: Mapping[str, float], metric: str, reference: Mapping[str, Mapping[str, float]] | None = None) -> Figure:
    """Bars of one metric per model, optionally beside reference values (e.g. published numbers).

    Args:
        values: label -> value.
        reference: reference name -> (label -> value), drawn as extra bars per label.
    """
    labels = list(values)
    series = {"ours": values, **(reference or {})}
    width = 0.8 / len(series)
    fig = Figure(figsize=(max(4.5, 0.55 * len(labels) * len(series) + 1.5), 3.6), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(labels))
    for k, (name, numbers) in enumerate(series.items()):
        heights = [np.nan if numbers.get(label) is None else numbers[label] for label in labels]
        ax.bar(x + (k - (len(series) - 1) / 2) * width, heights, width, label=name, color=PALETTE[k % len(PALETTE)])
    finite = [v for s in series.values() for v in s.values() if v is not None and np.isfinite(v)]
    if finite:
        ax.set_ylim(max(0.0, min(finite) - 0.05), min(1.0, max(finite) + 0.02) if max(finite) <= 1 else None)
    ax.set_xticks(x, labels, rotation=30 if len(labels) > 5 else 0, ha="right" if len(labels) > 5 else "center", fontsize=8)
    ax.set_ylabel(metric)
    if len(series) > 1:
        ax.legend(fontsize=7)
    return fig


def sweep_lines(
    x_values: Sequence,
    series: Mapping[str, Sequence[float]],
    metrics_by_panel: Sequence[tuple[str, Mapping[str, Sequence[float]]]] | None = None,
    x_label: str = "",
    log_x: bool = False,
    log_y: Sequence[bool] = (),
    spreads: Sequence[Mapping[str, Sequence[float]]] = (),
) -> Figure:
    """Trade-off plot: one panel per metric, one line per model over the sweep values.

    Args:
        x_values: the sweep values (numbers are placed on a numeric axis, anything else evenly).
        series: unused when ``metrics_by_panel`` is given; else ``{label: values}`` for one panel.
        metrics_by_panel: ``[(metric name, {label: values aligned with x_values})]``.
        x_label: axis label.
        log_x: logarithmic x axis (numeric values only).
        log_y: per panel, whether its y axis is logarithmic.
        spreads: per panel, ``{label: standard deviations}`` drawn as error bars (replicates).
    """
    panels = list(metrics_by_panel) if metrics_by_panel else [("", series)]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x_values)
    xs = np.asarray(x_values, dtype=float) if numeric else np.arange(len(x_values))
    fig = Figure(figsize=(4.6 * len(panels), 3.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    all_labels = list(dict.fromkeys(label for _, s in panels for label in s))
    palette = colors(all_labels)
    for k, (ax, (metric, lines)) in enumerate(zip(axes, panels)):
        spread = spreads[k] if k < len(spreads) else {}
        for label, values in lines.items():
            ys = np.asarray([np.nan if v is None else v for v in values], dtype=float)
            ax.plot(xs, ys, "-o", ms=4, color=palette[label], label=label)
            if label in spread:
                errors = np.asarray([np.nan if v is None else v for v in spread[label]], dtype=float)
                ax.errorbar(xs, ys, yerr=errors, fmt="none", ecolor=palette[label], capsize=3, lw=1)
        if numeric and log_x:
            ax.set_xscale("log")
        if k < len(log_y) and log_y[k]:
            ax.set_yscale("log")
        if numeric:
            ax.set_xticks(xs, [str(v) for v in x_values])
            ax.minorticks_off()
        else:
            ax.set_xticks(xs, [str(v) for v in x_values], rotation=30)
        ax.set(xlabel=x_label, ylabel=metric, title=metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return fig


def trial_scores(numbers: Sequence[int], values: Sequence[float | None], states: Sequence[str], metric: str,
                 higher_is_better: bool = True, pruned_values: Sequence[float | None] = ()) -> Figure:
    """A search's score by trial: complete trials as dots, the best so far as a step line, pruned
    trials as crosses at their last reported validation value (when ``pruned_values`` gives it).

    Args:
        numbers, values, states: per trial, its number, value (None unless complete) and state
            ("complete", "pruned", "fail", "running").
    """
    fig = Figure(figsize=(6.2, 3.6), layout="constrained")
    ax = fig.subplots()
    done = [(n, v) for n, v, s in zip(numbers, values, states) if s == "complete" and v is not None]
    if done:
        xs, ys = zip(*done)
        ax.plot(xs, ys, "o", ms=5, color=PALETTE[0], label="complete")
        best = np.maximum.accumulate(ys) if higher_is_better else np.minimum.accumulate(ys)
        ax.step(xs, best, where="post", color=PALETTE[2], lw=1.5, label="best so far")
    pruned = [(n, v) for n, v, s in zip(numbers, pruned_values, states) if s == "pruned" and v is not None]
    if pruned:
        xs, ys = zip(*pruned)
        ax.plot(xs, ys, "x", ms=6, color=PALETTE[1], label="pruned (last value)")
    ax.set(xlabel="trial", ylabel=metric, title=f"{metric} by trial (mean over folds)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig


def importance_bars(importances: Mapping[str, float]) -> Figure:
    """Horizontal bars of parameter importances (most important on top)."""
    names = sorted(importances, key=lambda name: importances[name])
    fig = Figure(figsize=(5.6, max(1.8, 0.45 * len(names) + 1.0)), layout="constrained")
    ax = fig.subplots()
    ax.barh(np.arange(len(names)), [importances[name] for name in names], color=PALETTE[0])
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.set(xlabel="importance (fANOVA, sums to 1)", xlim=(0, 1), title="Parameter importances")
    return fig


def mark_sites(fig: Figure, sites: Sequence[tuple[int, int]], ax_index: int = 0, label: str = "true site") -> Figure:
    """Shade true motif sites ``[(start, end), ...]`` (0-based, half-open) on one axes of ``fig``."""
    axes = fig.get_axes()
    if not axes:
        return fig
    ax = axes[min(ax_index, len(axes) - 1)]
    for k, (start, end) in enumerate(sites):
        ax.axvspan(start - 0.5, end - 0.5, color="#ffd54f", alpha=0.35, zorder=0, label=label if k == 0 else None)
    if sites:
        ax.legend(fontsize=7, loc="upper right")
    return fig
