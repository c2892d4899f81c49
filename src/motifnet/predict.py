"""Batched inference, written once: every part of motifnet that runs a model over many inputs
(prediction, validation, genome scans, attributions, filter activations) calls
:func:`forward_batches`.

- :func:`forward_batches`: ``func(model, x, *args)`` (default ``model(x)``) over batches of the
  input, in eval mode (the training flag restored after), under ``torch.inference_mode`` or,
  with ``gradients=True``, with gradients enabled (cuDNN off, so recurrent layers can be
  differentiated in eval mode); the per-batch outputs concatenated on the CPU;
- :func:`predict_logits` / :func:`predict`: logits and probabilities of token sequences,
  optionally on both strands (see :mod:`motifnet.strands`: ``"both"`` averages the two
  strands' probabilities);
- :func:`activate` / :func:`probabilities`: logits -> probabilities by task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from motifnet.devices import DEFAULT_BATCH_SIZE
from motifnet.errors import MotifnetError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from motifnet.data import SeqData

STRANDS = ("forward", "both")


def _batch(X, begin: int, end: int, device):
    """Rows ``begin:end`` of ``X`` on ``device``: uint8 tokens ``[N, L]`` (NumPy or torch) are
    one-hot encoded there ``[B, 4, L]`` float32; floating tensors/arrays become float32; other
    dtypes (e.g. int64 indices) are moved as they are."""
    import torch

    from motifnet.sequence import one_hot

    rows = X[begin:end]
    if isinstance(rows, np.ndarray):
        rows = np.ascontiguousarray(rows)
        if rows.dtype == np.uint8 and rows.ndim == 2:
            return one_hot(rows, device=device)
        rows = torch.from_numpy(rows)
    if rows.dtype == torch.uint8 and rows.ndim == 2:
        return one_hot(rows, device=device)
    if rows.is_floating_point():
        return rows.to(device=device, dtype=torch.float32)
    return rows.to(device)


def forward_batches(
    model: nn.Module,
    X,
    func: Callable[..., Any] | None = None,
    args: Sequence = (),
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str | None = None,
    gradients: bool = False,
    amp_dtype: torch.dtype | None = None,
    keep_device: bool = False,
    quiet: bool = True,
    desc: str = "predict",
) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """Run ``func(model, x, *args_batch)`` over batches of ``X`` and concatenate the outputs.

    Args:
        model: an ``nn.Module``; put in eval mode for the call and restored afterwards.
        X: uint8 tokens ``[N, L]`` (one-hot encoded per batch on ``device``), one-hot
            ``[N, 4, L]`` (float), or any array ``[N, ...]`` that ``func`` reads.
        func: default ``model(x)``; it may return a tensor ``[B, ...]`` or a tuple of them.
        args: arrays/tensors ``[N, ...]``, sliced like ``X`` and moved to ``device`` (e.g.
            the output index of each sequence).
        batch_size: rows per call (default :data:`DEFAULT_BATCH_SIZE`, 256); results do not depend on it.
        device: where batches go (None: the model's device; see :mod:`motifnet.devices`).
            The model is not moved.
        gradients: run with gradients enabled (for attributions: ``func`` takes them with
            ``torch.autograd.grad`` and returns them detached); else ``torch.inference_mode``.
        amp_dtype: autocast dtype (None: full precision).
        keep_device: leave the outputs on ``device`` (default: moved to the CPU).
        quiet: hide the progress bar (default True). desc: its label.

    Returns:
        The per-batch outputs concatenated along dim 0 (a tensor, or a tuple of tensors when
        ``func`` returns tuples); an empty float32 tensor ``[0]`` when ``X`` has no rows.

    Raises:
        MotifnetError: ``batch_size`` < 1.
    """
    import contextlib

    import torch
    from tqdm.auto import tqdm

    from motifnet.devices import eval_mode, input_device

    if batch_size < 1:
        raise MotifnetError(f"batch_size must be >= 1, got {batch_size}")
    device = input_device(model, device)
    func = func or (lambda m, x: m(x))
    n = len(X)
    outputs: list = []
    grad_mode = torch.enable_grad() if gradients else torch.inference_mode()
    cudnn = torch.backends.cudnn.flags(enabled=False) if gradients else contextlib.nullcontext()
    autocast = torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None)
    with eval_mode(model), grad_mode, cudnn, autocast:
        for begin in tqdm(range(0, n, batch_size), disable=quiet, desc=desc, leave=False):
            end = min(begin + batch_size, n)
            x = _batch(X, begin, end, device)
            extra = [_batch(a, begin, end, device) for a in args]
            out = func(model, x, *extra)
            parts = out if isinstance(out, tuple) else (out,)
            parts = tuple(p.detach() if keep_device else p.detach().cpu() for p in parts)
            outputs.append(parts if isinstance(out, tuple) else parts[0])
    if not outputs:
        return torch.zeros(0)
    if isinstance(outputs[0], tuple):
        return tuple(torch.cat(column) for column in zip(*outputs))
    return torch.cat(outputs)


def activate(task: str, logits, regression_loss: str = "mse"):
    """Logits ``[B, T]`` (a tensor) -> predictions: sigmoid (binary, multilabel), softmax over
    classes (multiclass), identity (regression with MSE) or exp (Poisson rates)."""
    import torch

    if task in ("binary", "multilabel"):
        return torch.sigmoid(logits)
    if task == "multiclass":
        return torch.softmax(logits, dim=-1)
    return torch.exp(logits) if regression_loss == "poisson" else logits


def probabilities(logits: np.ndarray, task: str, regression_loss: str = "mse") -> np.ndarray:
    """:func:`activate` on a NumPy array, in NumPy (no torch): float32 ``[n, T]``, computed in
    float64 and rounded once (torch's float32 kernels agree to a relative 2e-6)."""
    logits = np.asarray(logits, dtype=np.float32).astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # as torch: sigmoid 0, a rate inf, softmax of inf NaN
        if task in ("binary", "multilabel"):
            out = 1 / (1 + np.exp(-logits))
        elif task == "multiclass":
            shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
            out = shifted / shifted.sum(axis=-1, keepdims=True)
        else:
            out = np.exp(logits) if regression_loss == "poisson" else logits
        return out.astype(np.float32)


def predict_logits(model: nn.Module, tokens, batch_size: int = DEFAULT_BATCH_SIZE,
                   strands: str = "forward", amp_dtype: torch.dtype | None = None, quiet: bool = True) -> torch.Tensor:
    """Logits ``[N, T]`` (float32 tensor on the model's device) for uint8 tokens ``[N, L]``
    (or :meth:`motifnet.data.SeqData.inputs`, with structure channels).

    With ``strands="both"`` each sequence is scored on both strands and the logits returned
    as ``(forward, reverse)`` stacked in a tensor ``[2, N, T]``.

    Raises:
        MotifnetError: an unknown ``strands``, or no sequences.
    """
    import torch

    if strands not in STRANDS:
        raise MotifnetError(f"strands must be one of {STRANDS}, got {strands!r}")
    if len(tokens) == 0:
        raise MotifnetError("nothing to predict: the data has no sequences")
    options = dict(batch_size=batch_size, amp_dtype=amp_dtype, keep_device=True, quiet=quiet)
    forward = forward_batches(model, tokens, lambda m, x: m(x).float(), **options)
    if strands == "forward":
        return forward
    reverse = forward_batches(model, tokens, lambda m, x: m(x.flip((1, 2))).float(), **options)
    return torch.stack([forward, reverse])


def predict(
    model: nn.Module,
    data: "SeqData | np.ndarray",
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str | None = None,
    strands: str = "forward",
    task: str | None = None,
    regression_loss: str = "mse",
    amp: bool | str = False,
    quiet: bool = True,
) -> np.ndarray:
    """Predictions of ``model`` on ``data``: float32 ``[N, T]``.

    Probabilities by task: sigmoid (binary, multilabel), softmax over classes (multiclass);
    regression values as they are (exp of the log-rate for a Poisson model).

    Args:
        model: an ``nn.Module`` taking one-hot ``[B, 4, L]`` and returning logits ``[B, T]``.
        data: a SeqData (its structure channels too, if any), or uint8 tokens ``[N, L]``.
        batch_size: sequences per forward pass (default 256); results do not depend on it.
        device: where to run ("auto", "cpu", "cuda"); default (None): where the model already is.
            A device given moves the model there.
        strands: "forward", or "both" to average the predictions (probabilities) of each
            sequence and its reverse complement (:mod:`motifnet.strands`).
        task: default ``data.task`` (a SeqData) or "binary" (tokens).
        amp: autocast (bfloat16/float16) for speed.
        quiet: hide the progress bar (default True).

    Raises:
        MotifnetError: empty data, an unknown ``strands``, or both strands asked for on RNA.
    """
    from motifnet.data import SeqData
    from motifnet.devices import autocast_dtype, model_device, resolve_device

    tokens = data.tokens if isinstance(data, SeqData) else np.asarray(data)
    task = task or (data.task if isinstance(data, SeqData) else "binary")
    if isinstance(data, SeqData) and strands == "both" and data.alphabet != "DNA":
        raise MotifnetError("strands='both' (reverse complement) only applies to DNA")
    if tokens.ndim != 2 or tokens.dtype != np.uint8:
        raise MotifnetError(f"expected uint8 tokens [N, L], got {tokens.dtype} {tokens.shape}")
    inputs = data.inputs() if isinstance(data, SeqData) else tokens
    if device is not None:
        model.to(resolve_device(device))
    amp_dtype = autocast_dtype(model_device(model), amp)
    logits = predict_logits(model, inputs, batch_size, strands, amp_dtype, quiet)
    scores = activate(task, logits, regression_loss)
    if strands == "both":
        scores = scores.mean(dim=0)
    return scores.cpu().numpy().astype(np.float32)


__all__ = ["DEFAULT_BATCH_SIZE", "activate", "forward_batches", "predict", "predict_logits", "probabilities"]
