"""Losses chosen by the task (the output activations: :func:`motifnet.predict.activate`)."""

from __future__ import annotations

from typing import Sequence

from motifnet.errors import MotifnetError
from motifnet.predict import activate  # noqa: F401  (re-exported)

REGRESSION_LOSSES = ("mse", "poisson")


def make_loss(task: str, n_targets: int, class_weights: Sequence[float] | None = None, regression_loss: str = "mse", device=None):
    """The training loss for ``task``, taking logits ``[B, T]`` and targets as in SeqData.

    - binary / multilabel: BCE with logits; ``class_weights`` = one positive weight per target
      (``pos_weight``: > 1 counts positives more);
    - multiclass: cross-entropy over logits ``[B, C]`` and int64 targets ``[B]``; ``class_weights``
      = one weight per class;
    - regression: MSE, or Poisson negative log-likelihood with the logits as log-rates.

    Raises:
        MotifnetError: unknown task or regression loss, or a wrong number of class weights.
    """
    import torch
    from torch import nn

    weights = None
    if class_weights is not None:
        if task == "regression":
            raise MotifnetError("class_weights do not apply to regression")
        weights = torch.as_tensor(list(class_weights), dtype=torch.float32, device=device)
        if weights.shape != (n_targets,) or not bool((weights > 0).all()):
            raise MotifnetError(f"class_weights needs {n_targets} positive value(s), got {list(class_weights)}")
    if task in ("binary", "multilabel"):
        return nn.BCEWithLogitsLoss(pos_weight=weights)
    if task == "multiclass":
        return nn.CrossEntropyLoss(weight=weights)
    if task == "regression":
        if regression_loss == "mse":
            return nn.MSELoss()
        if regression_loss == "poisson":
            return nn.PoissonNLLLoss(log_input=True)
        raise MotifnetError(f"unknown regression loss {regression_loss!r}; expected one of {REGRESSION_LOSSES}")
    raise MotifnetError(f"unknown task {task!r}")
