"""Batched inference: probabilities from a model, optionally averaged over both DNA strands."""

from __future__ import annotations

import numpy as np

from motifnet.data import SeqData, batch_indices
from motifnet.errors import MotifnetError
from motifnet.sequence import one_hot

STRANDS = ("forward", "both")


def _model_device(model):
    import torch

    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


def predict_logits(model, tokens: np.ndarray, batch_size: int = 512, strands: str = "forward", amp_dtype=None, quiet: bool = True):
    """Logits ``[N, T]`` (float32 tensor on the model's device) for uint8 tokens ``[N, L]``.

    With ``strands="both"`` each sequence is scored on both strands and the logits returned
    as ``(forward, reverse)`` stacked in a tensor ``[2, N, T]``.
    """
    import torch
    from tqdm.auto import tqdm

    if strands not in STRANDS:
        raise MotifnetError(f"strands must be one of {STRANDS}, got {strands!r}")
    device = _model_device(model)
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with torch.inference_mode(), torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
            steps = batch_indices(len(tokens), batch_size)
            for rows in tqdm(steps, total=-(-len(tokens) // batch_size), disable=quiet, desc="predict", leave=False):
                x = one_hot(torch.from_numpy(np.array(tokens[rows[0] : rows[-1] + 1])), device=device)
                if strands == "both":
                    outputs.append(torch.stack([model(x).float(), model(x.flip((1, 2))).float()]))
                else:
                    outputs.append(model(x).float())
    finally:
        model.train(was_training)
    if not outputs:
        raise MotifnetError("nothing to predict: the data has no sequences")
    return torch.cat(outputs, dim=-2)


def predict(
    model,
    data: SeqData | np.ndarray,
    batch_size: int = 512,
    device=None,
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
        data: a SeqData, or uint8 tokens ``[N, L]``.
        batch_size: sequences per forward pass (default 512).
        device: where to run ("auto", "cpu", "cuda"); default: where the model already is.
        strands: "forward", or "both" to average the predictions of each sequence and its reverse
            complement (DNA models trained with reverse-complement augmentation).
        task: default ``data.task`` (a SeqData) or "binary" (tokens).
        amp: autocast (bfloat16/float16) for speed.
        quiet: hide the progress bar (default True).

    Raises:
        MotifnetError: empty data, an unknown ``strands``, or both strands asked for on RNA.
    """
    from motifnet.training.devices import autocast_dtype, resolve_device
    from motifnet.training.losses import activate

    tokens = data.tokens if isinstance(data, SeqData) else np.asarray(data)
    task = task or (data.task if isinstance(data, SeqData) else "binary")
    if isinstance(data, SeqData) and strands == "both" and data.alphabet != "DNA":
        raise MotifnetError("strands='both' (reverse complement) only applies to DNA")
    if tokens.ndim != 2 or tokens.dtype != np.uint8:
        raise MotifnetError(f"expected uint8 tokens [N, L], got {tokens.dtype} {tokens.shape}")
    if device is not None:
        model.to(resolve_device(device))
    amp_dtype = autocast_dtype(_model_device(model), amp)
    logits = predict_logits(model, tokens, batch_size, strands, amp_dtype, quiet)
    probabilities = activate(task, logits, regression_loss)
    if strands == "both":
        probabilities = probabilities.mean(dim=0)
    return probabilities.cpu().numpy().astype(np.float32)
