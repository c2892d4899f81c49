"""The strand policy: which strands a model is run on, and what ``strands="both"`` means.

``strands`` is ``"forward"`` (the sequence as given), ``"reverse"`` (its reverse complement;
genome scans only) or ``"both"``. ``"both"`` always means one thing: the model is run on the
sequence and on its reverse complement, and the two strands' outputs are combined by
``combine``:

- ``"mean"`` (the default of :func:`motifnet.predict.predict`, ``motifnet predict``,
  ``motifnet evaluate`` and validation during training): the mean of the two strands'
  *probabilities* (the task's activation applied first, :func:`motifnet.predict.activate`);
- ``"max"`` (the default of genome scans and variant effects, DeepBind's scanning rule): the
  larger of the two strands' logits, and the strand that gave it, so that a peak keeps its
  strand. For binary and multilabel tasks it is also the larger probability.

A model that reads both strands itself (:func:`reads_both_strands`) is scored as it is: its own
rule combines them.

Defaults (:func:`default_strands`): RNA is single-stranded and is never reverse-complemented;
a genome (scan, variants) has no preferred strand, so DNA is scanned on both; sequences in the
orientation of the training data (predict, evaluate, validation) are scored on both strands
when the model was trained with reverse-complement augmentation, else forward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from motifnet.errors import MotifnetError

if TYPE_CHECKING:
    from torch import nn

STRANDS = ("forward", "reverse", "both")
COMBINE = ("mean", "max")


def check_strands(strands: str, allowed: Iterable[str] = STRANDS, alphabet: str = "DNA") -> str:
    """``strands`` if it is one of ``allowed`` and fits the alphabet.

    Raises:
        MotifnetError: an unknown value, or a reverse complement asked for on RNA.
    """
    allowed = tuple(allowed)
    if strands not in allowed:
        raise MotifnetError(f"strands must be one of {list(allowed)}, got {strands!r}")
    if alphabet.upper() == "RNA" and strands == "both":
        raise MotifnetError(
            "the model was trained on RNA, which has one strand: scoring the reverse complement as well "
            "is not meaningful; use strands 'forward' (the sequence as a transcript)"
            + (" or 'reverse' (transcripts of the minus strand)" if "reverse" in allowed else "")
        )
    return strands


def check_combine(combine: str) -> str:
    """``combine`` if it is ``"mean"`` or ``"max"``.

    Raises:
        MotifnetError: another value.
    """
    if combine not in COMBINE:
        raise MotifnetError(f"combine must be one of {list(COMBINE)}, got {combine!r}")
    return combine


def default_strands(alphabet: str = "DNA", augment: Iterable[str] | None = (), genome: bool = False) -> str:
    """The default ``strands`` (see the module doc).

    Args:
        alphabet: "DNA" or "RNA".
        augment: the training augmentations (``"rc"``: reverse-complement augmentation).
        genome: True for genome scans and variant effects (any orientation), False for
            sequences given in the orientation of the training data.

    Returns:
        ``"forward"`` for RNA; for DNA ``"both"`` on a genome or after ``"rc"`` augmentation,
        else ``"forward"``.
    """
    if alphabet.upper() == "RNA":
        return "forward"
    return "both" if genome or "rc" in (augment or ()) else "forward"


def run_strands(config: Mapping[str, Any], genome: bool = False) -> str:
    """:func:`default_strands` of a run folder's config (its ``alphabet`` and ``training.augment``)."""
    augment = (config.get("training") or {}).get("augment") or ()
    return default_strands(config.get("alphabet", "DNA"), augment, genome)


def reads_both_strands(model: "nn.Module") -> bool:
    """Whether the model combines both strands itself: a ``ReverseComplement`` wrapper, or a model
    with ``strands == "both"`` (DeepBind's reverse-complement mode)."""
    return getattr(model, "strands", None) == "both" or type(model).__name__ == "ReverseComplement"


def model_strands(model: "nn.Module") -> str:
    """``"both"`` for a model that reads both DNA strands (:func:`reads_both_strands`), else
    ``"forward"``: the strands its first-layer filters see."""
    return "both" if reads_both_strands(model) else "forward"


def combine_strands(
    forward: np.ndarray, reverse: np.ndarray, combine: str = "max", task: str = "binary", regression_loss: str = "mse"
) -> tuple[np.ndarray, np.ndarray]:
    """Combine the logits of the two strands, float ``[n, T]`` each.

    Args:
        combine: ``"max"`` (the larger logit) or ``"mean"`` (the logits whose activation is the
            mean of the two strands' probabilities, for ``task`` and ``regression_loss``).

    Returns:
        ``(logits float32 [n, T], strand int8 [n, T])``: +1 / -1, the strand that gave the
        maximum, or 0 for a mean.

    Raises:
        MotifnetError: an unknown ``combine``.
    """
    check_combine(combine)
    forward = np.asarray(forward, dtype=np.float32)
    reverse = np.asarray(reverse, dtype=np.float32)
    if combine == "max":
        return np.maximum(forward, reverse), np.where(forward >= reverse, 1, -1).astype(np.int8)
    return mean_probability_logits(forward, reverse, task, regression_loss), np.zeros(forward.shape, np.int8)


def mean_probability_logits(a: np.ndarray, b: np.ndarray, task: str = "binary", regression_loss: str = "mse") -> np.ndarray:
    """Logits ``[n, T]`` whose activation is the mean of the activations of ``a`` and ``b``:
    sigmoid (binary, multilabel), softmax over the last axis (multiclass; log-probabilities are
    returned), identity (regression, MSE) or exp (Poisson). Computed in log space (stable)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    half = np.log(2.0)
    if task in ("binary", "multilabel"):
        log_p = np.logaddexp(-np.logaddexp(0.0, -a), -np.logaddexp(0.0, -b))
        log_q = np.logaddexp(-np.logaddexp(0.0, a), -np.logaddexp(0.0, b))
        out = log_p - log_q
    elif task == "multiclass":
        def log_softmax(z):
            return z - np.logaddexp.reduce(z, axis=-1, keepdims=True)

        out = np.logaddexp(log_softmax(a), log_softmax(b)) - half
    elif regression_loss == "poisson":
        out = np.logaddexp(a, b) - half
    else:
        out = (a + b) / 2
    return out.astype(np.float32)


__all__ = [
    "COMBINE",
    "STRANDS",
    "check_combine",
    "check_strands",
    "combine_strands",
    "default_strands",
    "mean_probability_logits",
    "model_strands",
    "reads_both_strands",
    "run_strands",
]
