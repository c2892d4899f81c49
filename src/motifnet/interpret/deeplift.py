"""DeepLIFT/DeepSHAP contributions (Shrikumar et al. 2017; Lundberg & Lee 2017) with
dinucleotide-shuffled references, computed by tangermeme's ``deep_lift_shap``.

For each sequence ``x`` and reference ``r`` (a dinucleotide shuffle of ``x``), DeepLIFT's
rescale rule replaces each non-linearity's gradient by the ratio of its output change to its
input change, so that the contributions sum to ``f(x) - f(r)``; DeepSHAP averages over the
references. tangermeme supplies the rules for PyTorch's activations and max pooling; this module
adds the rules of motifnet's own layers (the exponential activation, global max / max+mean
pooling, and the maximum over two strands) and runs a model that reads both strands as two
passes, so that each layer sees sequences and their references paired.

Which models: every convolutional and residual model of the zoo (DeepBind, DeepSEA, CNN-k,
ResNet, also with both strands). Recurrent layers (LSTM, GRU, simple RNN: DanQ and the recurrent
family) have no DeepLIFT rule in tangermeme; they raise an error naming the layer, and
:func:`motifnet.interpret.attribution.integrated_gradients` with the same shuffled references is
the method for them (its completeness holds as the number of steps grows).

An :class:`~motifnet.models.ensemble.Ensemble` (fold models) is explained by the mean of its
members' contributions, each of its own logit (and the mean of their deltas): the ensemble's
own output, the logit of the members' mean probability, is not a layer DeepLIFT has a rule for.

Convergence: ``delta[i] = sum(contributions_i) - (f(x_i) - mean_k f(r_ik))`` is computed for
every sequence; a warning names the worst one when it exceeds ``tolerance``.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from motifnet.devices import DEFAULT_BATCH_SIZE, input_device
from motifnet.errors import MotifnetError
from motifnet.models import ReverseComplement
from motifnet.models.deepbind import DeepBind
from motifnet.models.ensemble import Ensemble
from motifnet.models.layers import Exponential, GlobalPool, MaxPool1d, PadInput, RandomSubsamplePool1d
from motifnet.sequence import dinucleotide_shuffle, one_hot, reverse_complement_one_hot

TOLERANCE = 1e-3
BLOCK = 512  # sequences per call of tangermeme (bounds the memory of their references)


def _max_multipliers(values, grad, ordinary):
    """DeepLIFT's max rule over the last axis (tangermeme's max-pooling rule with one window):
    the output change of each (observed, reference) pair routed to the positions of the two
    maxima and divided by the input change there. ``values [2B, C, L]`` (observed then
    references), ``grad [2B, C]`` the upstream gradient, ``ordinary [2B, C, L]`` the plain
    gradient (used where the input does not change)."""
    observed, reference = values.chunk(2)
    top_observed, index_observed = observed.max(dim=-1, keepdim=True)
    top_reference, index_reference = reference.max(dim=-1, keepdim=True)
    top = torch.maximum(top_observed, top_reference)
    grad_observed, grad_reference = grad.unsqueeze(-1).chunk(2)
    routed = torch.zeros_like(observed)
    routed.scatter_add_(-1, index_observed, grad_observed * (top - top_reference))
    routed.scatter_add_(-1, index_reference, grad_reference * (top_observed - top))
    delta = observed - reference
    unchanged = delta == 0
    half = torch.where(unchanged, ordinary.chunk(2)[0], routed / delta.masked_fill(unchanged, 1.0))
    return torch.cat([half, half])


def _global_pool_rule(module, grad_input, grad_output):
    """The rule of :class:`motifnet.models.layers.GlobalPool`: mean is linear; max (and the max
    half of maxavg) by :func:`_max_multipliers`."""
    if module.kind == "mean":
        return grad_input
    values, grad = module.input, grad_output[0]
    channels, length = values.shape[1], values.shape[-1]
    ordinary = grad_input[0]
    mean_part = None
    if module.kind == "maxavg":
        mean_part = (grad[:, channels:] / length).unsqueeze(-1).expand_as(values)
        ordinary = ordinary - mean_part
    multipliers = _max_multipliers(values, grad[:, :channels], ordinary)
    return (multipliers if mean_part is None else multipliers + mean_part,)


def rules() -> dict:
    """tangermeme's rule table with motifnet's layers added (type -> rule)."""
    from tangermeme._deep_lift_utils import _build_nonlinear_ops, _maxpool, _nonlinear

    return _build_nonlinear_ops({Exponential: _nonlinear, GlobalPool: _global_pool_rule, MaxPool1d: _maxpool})


def _linear_types() -> tuple:
    """Leaf layers that are affine in eval mode (no rule needed)."""
    return (nn.Conv1d, nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d, nn.Dropout, nn.Identity,
            nn.Flatten, nn.ConstantPad1d, nn.AvgPool1d, PadInput, RandomSubsamplePool1d)


def check_supported(model: nn.Module) -> None:
    """Raise unless every leaf layer of ``model`` is affine or has a DeepLIFT rule.

    Raises:
        MotifnetError: naming the first layer without a rule (e.g. ``lstm (LSTM)``).
    """
    ruled = tuple(rules())
    linear = _linear_types()
    for name, module in model.named_modules():
        if list(module.children()) or isinstance(module, ruled + linear):
            continue
        raise MotifnetError(
            f"deep_lift_shap: {type(model).__name__} has a layer without a DeepLIFT rule: "
            f"{name or 'model'} ({type(module).__name__}); use 'integrated_gradients' (the same "
            "dinucleotide-shuffled references) for recurrent models")


class Explained(nn.Module):
    """What DeepLIFT differentiates: the model's logit for each sequence's target ``[B, 1]``.
    A model that reads both strands is run as two passes (sequence, reverse complement), combined
    by its own rule (the mean, or the maximum as a pooling layer with a rule), so that every
    layer sees each sequence beside its reference."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.core, self.combine = model, None
        if isinstance(model, ReverseComplement):
            self.core, self.combine = model.model, model.mode
        elif isinstance(model, DeepBind) and model.strands == "both":
            self.combine = "max"
        self.strand_max = GlobalPool("max")

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.core._logits(x) if isinstance(self.core, DeepBind) else self.core(x)

    def forward(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        logits = self._logits(x)
        if self.combine is not None:
            reverse = self._logits(reverse_complement_one_hot(x))
            if self.combine == "mean":
                logits = (logits + reverse) / 2
            else:
                logits = self.strand_max(torch.stack([logits, reverse], dim=-1))
        return logits.gather(1, target.long().view(-1, 1))


def _reference_one_hot(references, n: int, length: int) -> torch.Tensor:
    """References as one-hot ``[N, K, 4, L]`` float32 from tokens ``[N, K, L]`` or one-hot.

    Raises:
        MotifnetError: a shape that does not fit ``n`` sequences of ``length``.
    """
    if isinstance(references, np.ndarray) and references.dtype == np.uint8 and references.ndim == 3:
        if references.shape[0] == n and references.shape[2] == length:
            k = references.shape[1]
            return one_hot(references.reshape(-1, length)).view(n, k, 4, length)
    else:
        references = torch.as_tensor(references, dtype=torch.float32)
        if references.ndim == 4 and references.shape[0] == n and references.shape[2:] == (4, length):
            return references
    raise MotifnetError(f"references must be tokens [N, K, L] or one-hot [N, K, 4, L] for N = {n} sequences of "
                        f"L = {length}, got shape {tuple(references.shape)}")


def deep_lift_shap(
    model: nn.Module,
    x,
    target=None,
    n_shuffles: int = 20,
    hypothetical: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str | None = None,
    seed: int = 0,
    tolerance: float = TOLERANCE,
    return_delta: bool = False,
    quiet: bool = True,
    references=None,
):
    """DeepSHAP contributions ``[N, 4, L]`` (float32, CPU) of the logit ``target`` of each sequence,
    averaged over ``n_shuffles`` dinucleotide shuffles of it (reference ``k`` of the sequences is
    ``dinucleotide_shuffle(tokens, seed=seed + k)``, so results do not depend on ``batch_size``).

    Args:
        model: logits ``[B, T]`` from one-hot ``[B, 4, L]``; every layer affine or with a rule.
        x: one-hot ``[N, 4, L]`` or uint8 tokens ``[N, L]`` (N positions are all-zero columns).
        target: output explained, an int or an int array ``[N]`` (default 0).
        hypothetical: return hypothetical contributions (each base's contribution had it been
            there, what TF-MoDISco reads) instead of the observed base's only.
        batch_size: sequence-reference pairs per forward pass.
        device: where to run (None: the model's device).
        tolerance: warn when a sequence's ``|delta|`` exceeds it.
        return_delta: also return the convergence deltas ``[N]``.
        references: your own references instead of the shuffles, tokens ``[N, K, L]`` (uint8)
            or one-hot ``[N, K, 4, L]``; ``n_shuffles`` is then ``K``.

    Raises:
        MotifnetError: a layer without a DeepLIFT rule, input or references of the wrong shape.
    """
    from tangermeme.deep_lift_shap import deep_lift_shap as tangermeme_deep_lift_shap

    from motifnet.interpret.attribution import _as_one_hot, _targets, predict_outputs

    if n_shuffles < 1:
        raise MotifnetError(f"n_shuffles must be >= 1, got {n_shuffles}")
    if isinstance(model, Ensemble):
        each = [deep_lift_shap(member, x, target, n_shuffles, hypothetical, batch_size, device, seed, tolerance,
                               True, quiet, references) for member in model.members]
        result = torch.stack([values for values, _ in each]).mean(dim=0)
        delta = torch.stack([d for _, d in each]).mean(dim=0)
        return (result, delta) if return_delta else result
    check_supported(model)
    x = _as_one_hot(x)
    n, _, length = x.shape
    targets = torch.from_numpy(_targets(target, n))
    if n == 0:
        return (torch.zeros_like(x), torch.zeros(0)) if return_delta else torch.zeros_like(x)
    if references is None:
        tokens = torch.where(x.sum(1) > 0, x.argmax(1), torch.full((n, length), 4)).to(torch.uint8).numpy()
        references = np.stack([dinucleotide_shuffle(tokens, seed=seed + k) for k in range(n_shuffles)], axis=1)
    references = _reference_one_hot(references, n, length)
    n_shuffles = references.shape[1]
    explained = Explained(model)
    run_device = input_device(model, device)
    contributions, hypotheticals = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tangermeme's per-batch warnings; the deltas are reported below
        for begin in range(0, n, BLOCK):
            block = slice(begin, min(begin + BLOCK, n))
            refs = references[block]
            values = tangermeme_deep_lift_shap(
                explained, x[block], args=(targets[block].float(),), target=0, batch_size=batch_size,
                references=refs, hypothetical=True, additional_nonlinear_ops=rules(), only_warn=True,
                device=run_device, verbose=not quiet)
            hypotheticals.append(values.float())
    hypothetical_scores = torch.cat(hypotheticals)
    observed = hypothetical_scores * x
    outputs = predict_outputs(model, x, targets.numpy(), batch_size=batch_size, device=device)
    reference_outputs = predict_outputs(model, references.reshape(-1, 4, length),
                                        np.repeat(targets.numpy(), n_shuffles), batch_size=batch_size, device=device)
    delta = observed.sum(dim=(1, 2)) - (outputs - reference_outputs.view(n, n_shuffles).mean(dim=1))
    worst = int(delta.abs().argmax())
    if abs(float(delta[worst])) > tolerance:
        warnings.warn(f"deep_lift_shap: convergence delta {float(delta[worst]):.3g} at sequence {worst} exceeds "
                      f"{tolerance:g} (|f(x) - mean f(reference)| = "
                      f"{abs(float(outputs[worst] - reference_outputs.view(n, n_shuffles)[worst].mean())):.3g})",
                      RuntimeWarning, stacklevel=2)
    result = hypothetical_scores if hypothetical else observed
    return (result, delta) if return_delta else result
