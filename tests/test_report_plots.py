"""Report figures beyond tests/test_report.py: what each one draws (lines, bars, colour ranges,
hidden panels, legends) for bar charts, trial scores, importances, site shading, categorical
sweeps with error bars, diverging heatmaps and histories without an epoch column."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure

from motifnet.report import plots


def _renders(fig: Figure) -> bool:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    return buffer.getvalue().startswith(b"\x89PNG")


def _lines(ax) -> dict:
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines()}


def test_training_curves_without_an_epoch_column_count_epochs_from_one():
    fig = plots.training_curves({"A": {"train_loss": [1.0, 0.5, 0.2], "valid_loss": [1.1, 0.6]}})
    assert len(fig.axes) == 1  # no metric: the loss panel only
    lines = _lines(fig.axes[0])
    assert lines["A (train)"][0] == [1, 2, 3] and lines["A (valid)"] == ([1, 2], [1.1, 0.6])


def test_confusion_matrices_hide_the_unused_panels_and_show_accuracy():
    matrices = {name: np.array([[5, 0], [1, 4]]) for name in "ABCD"}
    fig = plots.confusion_matrices(matrices, ["x", "y"], columns=3)
    assert [ax.get_visible() for ax in fig.axes] == [True] * 4 + [False] * 2
    assert fig.axes[0].get_title() == "A (accuracy 0.900)"


def test_diverging_heatmap_is_symmetric_around_zero_with_readable_text():
    fig = plots.per_target_heatmap({"A": [0.5, -2.0], "B": [np.nan, 1.0]}, ["t1", "t2"], "logit change",
                                   diverging=True)
    ax = fig.axes[0]
    image = ax.get_images()[0]
    assert image.get_clim() == (-2.0, 2.0) and image.get_cmap().name == "RdBu_r"
    cells = {text.get_text(): text.get_color() for text in ax.texts}
    assert cells == {"0.50": "black", "-2.00": "white", "1.00": "black"}  # no text in the NaN cell
    assert ax.get_title() == "logit change per target"
    empty = plots.per_target_heatmap({"A": [np.nan, 0.0]}, ["t1", "t2"], diverging=True)
    assert empty.axes[0].get_images()[0].get_clim() == (-1.0, 1.0)  # nothing but zero: a unit range


def test_metric_bars_beside_reference_values():
    fig = plots.metric_bars({"A": 0.8, "B": 0.9}, "AUROC", reference={"paper": {"A": 0.85}})
    ax = fig.axes[0]
    heights = [patch.get_height() for patch in ax.patches]
    assert heights[:3] == [0.8, 0.9, 0.85] and np.isnan(heights[3])  # the paper has no B: an empty slot
    assert ax.get_legend_handles_labels()[1] == ["ours", "paper"]
    assert ax.get_ylim() == pytest.approx((0.75, 0.92)) and ax.get_ylabel() == "AUROC"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B"]
    assert _renders(fig)


def test_metric_bars_leave_an_unmeasured_value_empty():
    fig = plots.metric_bars({"A": 0.8, "B": None}, "AUROC")
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    assert heights[0] == 0.8 and np.isnan(heights[1])
    assert _renders(fig)


def test_metric_bars_alone_have_no_legend_and_an_open_top_above_one():
    fig = plots.metric_bars({f"m{i}": 1.0 + i for i in range(6)}, "loss")
    ax = fig.axes[0]
    assert ax.get_legend() is None and ax.get_ylim()[1] > 6.0  # values above 1: not capped
    assert all(label.get_rotation() == 30 for label in ax.get_xticklabels())  # many labels: slanted


def test_sweep_lines_over_names_with_error_bars():
    fig = plots.sweep_lines(["small", "large", "huge"], {"A": [1.0, None, 3.0]}, spreads=[{"A": [0.1, 0.2, None]}])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["small", "large", "huge"]
    assert list(ax.get_xticks()) == [0, 1, 2]  # placed evenly
    xs, ys = _lines(ax)["A"]
    assert xs == [0, 1, 2] and ys[0] == 1.0 and np.isnan(ys[1])  # None: a gap
    assert len(ax.containers) == 1  # the error bars
    assert _renders(fig)


def test_trial_scores_show_complete_trials_the_best_so_far_and_pruned_ones():
    fig = plots.trial_scores([0, 1, 2, 3, 4], [0.5, None, 0.7, 0.6, None], ["complete", "pruned", "complete", "complete",
                             "fail"], "auroc", pruned_values=[None, 0.3, None, None, None])
    ax = fig.axes[0]
    lines = _lines(ax)
    assert lines["complete"] == ([0, 2, 3], [0.5, 0.7, 0.6])
    assert lines["best so far"][1] == [0.5, 0.7, 0.7]
    assert lines["pruned (last value)"] == ([1], [0.3])
    assert ax.get_title() == "auroc by trial (mean over folds)"
    assert _renders(fig)


def test_trial_scores_best_so_far_follows_the_direction():
    fig = plots.trial_scores([0, 1, 2], [0.5, 0.7, 0.3], ["complete"] * 3, "loss", higher_is_better=False)
    assert _lines(fig.axes[0])["best so far"][1] == [0.5, 0.5, 0.3]


def test_importance_bars_put_the_most_important_on_top():
    fig = plots.importance_bars({"lr": 0.7, "n_filters": 0.2, "dropout": 0.1})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dropout", "n_filters", "lr"]  # bottom to top
    assert [patch.get_width() for patch in ax.patches] == [0.1, 0.2, 0.7]
    assert ax.get_xlim() == (0, 1)


def test_mark_sites_shades_each_site_with_one_legend_entry():
    fig = plots.training_curves({"A": {"train_loss": [1.0, 0.5]}})
    assert plots.mark_sites(fig, [(2, 4), (6, 8)], ax_index=5) is fig  # an index past the end: the last axes
    ax = fig.axes[0]
    spans = [patch.get_x() for patch in ax.patches]
    assert spans == [1.5, 5.5]  # half-open sites, centred on positions
    assert ax.get_legend_handles_labels()[1].count("true site") == 1
    empty = Figure()
    assert plots.mark_sites(empty, [(0, 1)]) is empty and not empty.axes
