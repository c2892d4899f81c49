"""metrics.evaluate against values computed by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from motifnet.errors import MotifnetError
from motifnet.metrics import auroc, evaluate, headline
from motifnet.runs import write_json


def test_binary_auroc_and_auprc_by_hand():
    targets = np.array([[0], [0], [1], [1]], dtype=np.float32)
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    result = evaluate("binary", targets, scores, ["bound"])
    # pairs (pos, neg): (0.35>0.1) (0.35<0.4) (0.8>0.1) (0.8>0.4) -> 3/4
    assert result["per_target"]["bound"]["auroc"] == pytest.approx(0.75)
    # ranking: 0.8 (pos) precision 1, 0.4 (neg), 0.35 (pos) precision 2/3 -> AP = (1 + 2/3) / 2
    assert result["per_target"]["bound"]["auprc"] == pytest.approx(5 / 6)
    assert result["macro"]["auroc"] == result["micro"]["auroc"] == pytest.approx(0.75)
    assert evaluate("binary", targets, -scores, ["bound"])["macro"]["auroc"] == pytest.approx(0.25)
    assert auroc(targets, scores) == pytest.approx(0.75)


def test_multilabel_macro_micro_and_undefined_targets(tmp_path):
    targets = np.array([[1, 0, 1], [0, 0, 1], [1, 0, 1], [0, 0, 1]], dtype=np.float32)
    scores = np.array([[0.9, 0.1, 0.5], [0.2, 0.2, 0.5], [0.6, 0.3, 0.5], [0.7, 0.4, 0.5]])
    result = evaluate("multilabel", targets, scores, ["a", "b", "c"])
    assert result["per_target"]["a"]["auroc"] == pytest.approx(0.75)
    assert math.isnan(result["per_target"]["b"]["auroc"])  # no positives
    assert math.isnan(result["per_target"]["c"]["auroc"])  # no negatives
    assert result["macro"]["auroc"] == pytest.approx(0.75)  # undefined targets are left out
    micro = evaluate("binary", targets.reshape(-1, 1), scores.reshape(-1, 1), ["x"])["macro"]["auroc"]
    assert result["micro"]["auroc"] == pytest.approx(micro)
    write_json(tmp_path / "m.json", result)
    assert json.loads((tmp_path / "m.json").read_text())["per_target"]["b"]["auroc"] is None


def test_multiclass_accuracy_and_confusion_matrix():
    targets = np.array([0, 1, 2, 2, 1])
    scores = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.5, 0.4, 0.1], [0.1, 0.1, 0.8]])
    result = evaluate("multiclass", targets, scores, ["x", "y", "z"])
    assert result["accuracy"] == pytest.approx(3 / 5)
    assert result["confusion_matrix"] == [[1, 0, 0], [0, 1, 1], [1, 0, 1]]
    assert result["per_target"]["x"]["positives"] == 1
    assert headline(result)["accuracy"] == pytest.approx(0.6)


def test_regression_metrics():
    targets = np.array([[1.0], [2.0], [3.0], [4.0]])
    scores = np.array([[1.5], [2.0], [2.5], [5.0]])
    result = evaluate("regression", targets, scores, ["signal"])
    assert result["per_target"]["signal"]["mse"] == pytest.approx((0.25 + 0 + 0.25 + 1) / 4)
    assert result["per_target"]["signal"]["spearman"] == pytest.approx(1.0)
    assert result["per_target"]["signal"]["pearson"] == pytest.approx(np.corrcoef(targets[:, 0], scores[:, 0])[0, 1])


def test_bad_shapes_and_values_are_refused():
    with pytest.raises(MotifnetError, match="shape"):
        evaluate("binary", np.zeros((3, 1)), np.zeros((3, 2)), ["a"])
    with pytest.raises(MotifnetError, match="no records"):
        evaluate("binary", np.zeros((0, 1)), np.zeros((0, 1)), ["a"])
    with pytest.raises(MotifnetError, match="NaN"):
        evaluate("binary", np.zeros((2, 1)), np.array([[np.nan], [0.1]]), ["a"])
    with pytest.raises(MotifnetError, match="class indices"):
        evaluate("multiclass", np.array([0, 3]), np.full((2, 2), 0.5), ["a", "b"])
