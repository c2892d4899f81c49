"""The HTML report: self-contained page, figures, conclusions computed from the numbers, browser check."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from motifnet.report import conclusions as concl
from motifnet.report import plots
from motifnet.report.html import Report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _sample_report() -> Report:
    rng = np.random.default_rng(0)
    report = Report("motifnet · <test> & co", subtitle="two models")
    section = report.section("Model comparison")
    section.text("Scores <b>not</b> markup & escaped.")
    section.table([{"model": "A", "auroc": 0.91234, "n": 1200}, {"model": "B", "auroc": float("nan"), "n": None}],
                  formats={"n": "{:,}"}, highlight=0)
    history = {"epoch": [1, 2, 3], "train_loss": [1.0, 0.7, 0.5], "valid_loss": [1.1, 0.8, 0.7], "valid_auroc": [0.6, 0.7, 0.8]}
    section.figure(plots.training_curves({"A": history, "B": history}, "valid_auroc"), caption="curves")
    fpr = np.linspace(0, 1, 20)
    curve = {"fpr": fpr, "tpr": np.sqrt(fpr), "auroc": 0.66, "recall": fpr[::-1], "precision": 1 - fpr / 2, "auprc": 0.75}
    section.grid([(plots.roc_pr_curves({"A": curve}), "roc"),
                  (plots.confusion_matrices({"A": rng.integers(0, 9, (3, 3))}, ["x", "y", "z"]), "confusion")])
    section.figure(plots.sweep_lines([1, 10, 100], {}, [("auroc", {"A": [0.9, 0.8, np.nan]}), ("grad", {"A": [1e-3, 1e-1, 1.0]})],
                                     x_label="k", log_x=True, log_y=[False, True]), caption="sweep", fmt="svg")
    section.figure(plots.per_target_heatmap({"A": [0.9, 0.5], "B": [np.nan, 0.7]}, ["t1", "t2"]))
    return report


def test_report_is_self_contained_and_escaped(tmp_path):
    path = _sample_report().write(tmp_path / "r.html")
    page = path.read_text()
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", page), "every resource must be embedded"
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "&lt;test&gt; &amp; co" in page and "<b>not</b>" not in page
    images = re.findall(r'src="data:(image/[a-z+]+);base64,([^"]+)"', page)
    assert len(images) == 5
    kinds = {mime for mime, _ in images}
    assert kinds == {"image/png", "image/svg+xml"}
    for mime, data in images:
        raw = base64.b64decode(data)
        assert raw.startswith(PNG_SIGNATURE) if mime == "image/png" else b"<svg" in raw[:2000]
    assert "0.912" in page and "1,200" in page and "–" in page
    assert page.count('class="best"') == 1


def test_conclusions_follow_the_numbers():
    rows = [{"label": "LSTM", "sweep_value": None, "accuracy": 0.97}, {"label": "RNN", "sweep_value": None, "accuracy": 0.61},
            {"label": "DanQ", "sweep_value": None, "accuracy": 0.99}]
    text = " ".join(concl.ranking(rows, "accuracy"))
    assert text.startswith("DanQ had the best test accuracy (0.990), ahead of LSTM (0.970) by 0.020")
    assert "RNN 0.610" in text
    flipped = [dict(r, accuracy=1 - r["accuracy"]) for r in rows]
    assert concl.ranking(flipped, "accuracy")[0].startswith("RNN had the best")
    goals = concl.targets(rows, {"LSTM": {"accuracy": 0.95}, "RNN": {"accuracy": 0.95}})
    assert goals == ["LSTM met its target test accuracy >= 0.95: measured 0.970.",
                     "RNN missed its target test accuracy >= 0.95: measured 0.610."]
    # a sweep: who wins where, by how much, and the trend
    values = [50, 100, 200, 500]
    sweep = [{"label": "LSTM", "sweep_value": v, "auroc": a} for v, a in zip(values, [0.99, 0.99, 0.98, 0.97])]
    sweep += [{"label": "RNN", "sweep_value": v, "auroc": a} for v, a in zip(values, [0.99, 0.95, 0.80, 0.55])]
    said = concl.comparisons(sweep, [["LSTM", "RNN"]], "auroc", values, "length")
    assert said[0] == ("LSTM beat RNN on test AUROC at 3 of 4 length values; the largest gap was at length 500, "
                       "where LSTM beat RNN by 0.420 (0.970 vs 0.550).")
    trend = concl.trends(sweep, ["RNN"], "auroc", values, "length")[0]
    assert "from 0.990 at length 50 to 0.550 at length 500 (-0.440)" in trend and "Spearman correlation with length -1.00" in trend
    names = ["SP1_GM12878", "ARID3A_K562", "REST_GM12878"]  # a sweep over names has no order: range and mean
    named = [{"label": "DeepBind", "sweep_value": v, "auroc": a} for v, a in zip(names, [0.90, 0.80, 0.99])]
    said = concl.trends(named, ["DeepBind"], "auroc", names, "experiment")
    assert said == ["DeepBind: test AUROC ranged from 0.800 (experiment ARID3A_K562) to 0.990 "
                    "(experiment REST_GM12878) over 3 experiment values; mean 0.897."]
    best = concl.best_per_value(sweep, ["LSTM", "RNN"], "auroc", values, "length")[0]
    assert "length 500: LSTM (0.970)" in best
    reversed_sweep = [dict(r, auroc=1.5 - r["auroc"]) for r in sweep]
    assert concl.comparisons(reversed_sweep, [["LSTM", "RNN"]], "auroc", values, "length")[0].startswith(
        "LSTM beat RNN on test AUROC at 0 of 4")


def test_compare_on_states_comparisons_on_more_metrics():
    from motifnet.report.experiment import compute_conclusions

    values = [2, 50]
    rows = [{"label": "CNN-exp", "sweep_value": v, "auroc": 0.98, "koo_eddy_true_fraction": f} for v, f in zip(values, [0.6, 0.9])]
    rows += [{"label": "CNN", "sweep_value": v, "auroc": 0.99, "koo_eddy_true_fraction": f} for v, f in zip(values, [0.0, 0.9])]
    options = {"metrics": ["koo_eddy_true_fraction"], "compare": [["CNN-exp", "CNN"]]}
    plain = compute_conclusions(rows, options, "auroc", ["CNN-exp", "CNN"], values, "pool", {})
    wider = compute_conclusions(rows, {**options, "compare_on": ["koo_eddy_true_fraction"]}, "auroc", ["CNN-exp", "CNN"],
                                values, "pool", {})
    added = [s for s in wider if s not in plain]
    assert any(s.startswith("CNN-exp beat CNN on fraction of all filters with any match to a true motif") for s in added)
    assert not any("CNN-exp beat CNN on fraction" in s for s in plain)


def test_spearman_handles_ties_and_constants():
    assert concl.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert concl.spearman([1, 2, 3, 4], [1, 1, 2, 2]) == pytest.approx(0.894427, rel=1e-5)
    assert np.isnan(concl.spearman([1, 2, 3], [5, 5, 5]))


def test_report_renders_in_headless_chromium(tmp_path):
    from motifnet.report.browser import check_page, find_chromium, screenshot

    if find_chromium() is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    path = _sample_report().write(tmp_path / "r.html")
    check = check_page(path)
    assert check.ok, (check.errors, check.console, check.broken_images)
    assert len(check.images) == 5 and all(image["naturalWidth"] > 100 for image in check.images)
    assert check.title == "motifnet · <test> & co" and check.height > 1000
    shot = screenshot(path, tmp_path / "shot.png", height=900)
    raw = shot.read_bytes()
    assert raw.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")
    assert (width, height) == (1280, 900)
    # the check can fail: a broken image and a script error are caught
    bad = tmp_path / "bad.html"
    bad.write_text('<html><head><title>b</title></head><body><img src="data:image/png;base64,AAAA" alt="x">'
                   "<script>missingFunction()</script></body></html>")
    failed = check_page(bad)
    assert not failed.ok and len(failed.broken_images) == 1
    assert any("missingFunction" in error for error in failed.errors)
