"""An ensemble of models of one task that predicts the mean of its members' predictions.

``Ensemble(members, task)(x)`` returns logits ``[B, T]`` whose activation (sigmoid, softmax,
identity or exp, :func:`motifnet.predict.activate`) is the mean of the members' activations:
for binary and multilabel tasks ``logit(mean_k sigmoid(z_k))``, for multiclass
``log(mean_k softmax(z_k))``, for a Poisson regression ``log(mean_k exp(z_k))`` and for an MSE
regression the mean, all computed in log space. So every function that runs a model
(prediction, evaluation, genome scans, attributions) averages the members' predictions without
knowing it holds an ensemble; a run folder of fold models (:func:`motifnet.runs.load_run`)
loads as one.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from motifnet.errors import MotifnetError
from motifnet.strands import reads_both_strands

TASKS = ("binary", "multiclass", "multilabel", "regression")


def mean_prediction_logits(logits: torch.Tensor, task: str, regression_loss: str = "mse") -> torch.Tensor:
    """Logits ``[B, T]`` whose activation is the mean over the first axis of the activations of
    ``logits`` ``[K, B, T]`` (see the module doc)."""
    k = logits.shape[0]
    if task in ("binary", "multilabel"):
        log_p = torch.logsumexp(nn.functional.logsigmoid(logits), dim=0)
        log_q = torch.logsumexp(nn.functional.logsigmoid(-logits), dim=0)
        return log_p - log_q
    if task == "multiclass":
        return torch.logsumexp(torch.log_softmax(logits, dim=-1), dim=0) - math.log(k)
    if regression_loss == "poisson":
        return torch.logsumexp(logits, dim=0) - math.log(k)
    return logits.mean(dim=0)


class Ensemble(nn.Module):
    """Members run on the same input; their predictions averaged (see the module doc).

    Attributes:
        members: the models (``nn.ModuleList``), each one-hot ``[B, 4, L]`` -> logits ``[B, T]``.
        task, regression_loss: how logits become predictions.
        strands: ``"both"`` when every member reads both strands itself.

    Raises:
        MotifnetError: no members, or an unknown task.
    """

    def __init__(self, members: Sequence[nn.Module], task: str, regression_loss: str = "mse") -> None:
        super().__init__()
        if not members:
            raise MotifnetError("an ensemble needs at least one member")
        if task not in TASKS:
            raise MotifnetError(f"unknown task {task!r}; expected one of {TASKS}")
        self.members = nn.ModuleList(members)
        self.task = task
        self.regression_loss = regression_loss
        if all(reads_both_strands(member) for member in members):
            self.strands = "both"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 4, L]`` -> ``[B, T]``."""
        return mean_prediction_logits(torch.stack([member(x) for member in self.members]), self.task,
                                      self.regression_loss)

    def extra_repr(self) -> str:
        return f"task={self.task!r}, members={len(self.members)}"


__all__ = ["Ensemble", "mean_prediction_logits"]
