"""Evaluation metrics by task (scikit-learn underneath): AUROC, AUPRC, accuracy, confusion matrix.

Undefined values (AUROC of a target whose labels are all one class) are NaN in Python and
``null`` in JSON.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from motifnet.errors import MotifnetError


def _binary_scores(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """(AUROC, AUPRC) of one target; NaN when the labels hold a single class."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    labels = labels > 0.5
    if labels.all() or not labels.any():
        return float("nan"), float("nan")
    return float(roc_auc_score(labels, scores)), float(average_precision_score(labels, scores))


def auroc(targets: np.ndarray, scores: np.ndarray) -> float:
    """Macro AUROC over the columns of ``[N, T]`` 0/1 targets and scores (NaN columns skipped)."""
    targets = np.asarray(targets).reshape(len(targets), -1)
    scores = np.asarray(scores).reshape(len(scores), -1)
    values = [_binary_scores(targets[:, t], scores[:, t])[0] for t in range(targets.shape[1])]
    return float(np.nanmean(values)) if not np.isnan(values).all() else float("nan")


def _per_target(labels: np.ndarray, scores: np.ndarray, names: Sequence[str]) -> dict:
    per_target = {}
    for t, name in enumerate(names):
        roc, prc = _binary_scores(labels[:, t], scores[:, t])
        per_target[name] = {"auroc": roc, "auprc": prc, "positives": int((labels[:, t] > 0.5).sum())}
    rocs = [v["auroc"] for v in per_target.values()]
    prcs = [v["auprc"] for v in per_target.values()]
    micro_roc, micro_prc = _binary_scores(labels.ravel(), scores.ravel())
    return {
        "per_target": per_target,
        "macro": {
            "auroc": float(np.nanmean(rocs)) if not np.isnan(rocs).all() else float("nan"),
            "auprc": float(np.nanmean(prcs)) if not np.isnan(prcs).all() else float("nan"),
        },
        "micro": {"auroc": micro_roc, "auprc": micro_prc},
    }


def evaluate(task: str, targets: np.ndarray, scores: np.ndarray, target_names: Sequence[str]) -> dict:
    """Metrics of predictions against targets.

    Args:
        task: binary, multilabel, multiclass or regression.
        targets: as in SeqData: float ``[N, T]`` (binary/multilabel/regression) or int ``[N]``
            class indices (multiclass).
        scores: predictions ``[N, T]``: probabilities (or any scores) per target / class.
        target_names: T names.

    Returns:
        binary/multilabel: ``per_target`` {name: auroc, auprc, positives}, ``macro`` and ``micro``
        {auroc, auprc}; multiclass: the same one-vs-rest, plus ``accuracy`` and
        ``confusion_matrix`` (rows = true class, columns = predicted, in ``target_names`` order);
        regression: ``per_target`` {mse, pearson, spearman} and their means. Always ``n``.

    Raises:
        MotifnetError: shapes that do not match, empty inputs or an unknown task.
    """
    targets = np.asarray(targets)
    scores = np.asarray(scores, dtype=np.float64)
    names = list(target_names)
    if len(targets) == 0:
        raise MotifnetError("no records to evaluate")
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.shape != (len(targets), len(names)):
        raise MotifnetError(f"scores have shape {scores.shape}, expected ({len(targets)}, {len(names)}) for {names[:5]}")
    if not np.isfinite(scores).all():
        raise MotifnetError("scores contain NaN or infinite values")
    result: dict = {"task": task, "n": int(len(targets))}
    if task in ("binary", "multilabel"):
        labels = targets.reshape(len(targets), -1)
        result.update(_per_target(labels, scores, names))
    elif task == "multiclass":
        from sklearn.metrics import confusion_matrix

        classes = targets.astype(np.int64).ravel()
        if classes.min() < 0 or classes.max() >= len(names):
            raise MotifnetError(f"class indices must lie in 0..{len(names) - 1}")
        one_hot = np.eye(len(names), dtype=np.float64)[classes]
        result.update(_per_target(one_hot, scores, names))
        predicted = scores.argmax(axis=1)
        result["accuracy"] = float((predicted == classes).mean())
        result["confusion_matrix"] = confusion_matrix(classes, predicted, labels=range(len(names))).tolist()
    elif task == "regression":
        from scipy.stats import pearsonr, spearmanr

        values = targets.reshape(len(targets), -1).astype(np.float64)
        per_target = {}
        for t, name in enumerate(names):
            constant = np.ptp(values[:, t]) == 0 or np.ptp(scores[:, t]) == 0
            per_target[name] = {
                "mse": float(np.mean((values[:, t] - scores[:, t]) ** 2)),
                "pearson": float("nan") if constant else float(pearsonr(values[:, t], scores[:, t])[0]),
                "spearman": float("nan") if constant else float(spearmanr(values[:, t], scores[:, t])[0]),
            }
        result["per_target"] = per_target
        result["macro"] = {
            key: float(np.nanmean([v[key] for v in per_target.values()]))
            if not np.isnan([v[key] for v in per_target.values()]).all()
            else float("nan")
            for key in ("mse", "pearson", "spearman")
        }
    else:
        raise MotifnetError(f"unknown task {task!r}")
    return result


def headline(result: dict) -> dict:
    """The few numbers worth printing: macro AUROC/AUPRC, accuracy, or regression means."""
    keys = {"auroc": ("macro", "auroc"), "auprc": ("macro", "auprc"), "pearson": ("macro", "pearson"), "mse": ("macro", "mse")}
    out = {name: result[a][b] for name, (a, b) in keys.items() if a in result and b in result[a]}
    if "accuracy" in result:
        out["accuracy"] = result["accuracy"]
    return out
