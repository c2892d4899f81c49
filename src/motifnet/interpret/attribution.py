"""Attributions per sequence: in-silico saturation mutagenesis, gradients, integrated gradients.

Every method takes a model returning logits ``[B, T]`` and one-hot input ``x`` ``[N, 4, L]``
and explains one output per sequence: ``target`` is an int (the same output for all) or an int
array ``[N]``. They work for convolutional and recurrent models alike (gradients are taken with
cuDNN disabled, because cuDNN's RNN backward refuses eval mode). The model is put in eval mode
for the call and restored afterwards. Every batched forward pass goes through
:func:`motifnet.predict.forward_batches` (``gradients=True`` for the gradient methods), so
results do not depend on ``batch_size`` (tested).

DeepLIFT/DeepSHAP (``'deep_lift_shap'``, :mod:`motifnet.interpret.deeplift`, by tangermeme)
explains convolutional and residual models against dinucleotide-shuffled references; recurrent
models, which have no DeepLIFT rule, are explained by integrated gradients from the same
references. Both report convergence deltas and give hypothetical contributions, the input of
TF-MoDISco (:mod:`motifnet.interpret.patterns`). Integrated gradients of a model with an
``affine_stem`` (every model of the zoo: its padding and first convolution) are taken from the
stem's output.

Shapes: attributions are float32 ``[N, 4, L]`` on the CPU.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.devices import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    from collections.abc import Callable

    import torch
    from torch import nn

METHODS = ("ism", "saliency", "grad_x_input", "integrated_gradients", "deep_lift_shap")


def _targets(target, n: int) -> np.ndarray:
    """Per-sequence output index ``[N]`` from an int or an array."""
    if target is None:
        target = 0
    array = np.broadcast_to(np.asarray(target, dtype=np.int64), (n,))
    return np.array(array)  # a writable copy


def _as_one_hot(x):
    """A float32 one-hot tensor ``[N, 4, L]`` from a tensor/array of that shape or tokens ``[N, L]``."""
    import torch

    from motifnet.sequence import one_hot

    if not isinstance(x, torch.Tensor):
        x = np.asarray(x)
        x = one_hot(x) if x.ndim == 2 and x.dtype == np.uint8 else torch.as_tensor(x)
    elif x.ndim == 2:
        x = one_hot(x)
    if x.ndim != 3 or x.shape[1] != 4:
        raise MotifnetError(f"expected one-hot input [N, 4, L] or tokens [N, L], got shape {tuple(x.shape)}")
    return x.to(torch.float32)


def _select(logits, target):
    """``logits[i, target[i]]`` ``[B]``."""
    return logits.gather(1, target.view(-1, 1)).squeeze(1)


def _select_outputs(model: nn.Module, x, target):
    """``func`` for :func:`~motifnet.predict.forward_batches`: the explained logit ``[B]`` (float32)."""
    return _select(model(x), target).float()


def predict_outputs(model: nn.Module, x, target=None, batch_size: int = DEFAULT_BATCH_SIZE,
                    device: torch.device | str | None = None):
    """The explained logit of each sequence ``[N]`` (float32, CPU)."""
    import torch

    from motifnet.predict import forward_batches

    x = _as_one_hot(x)
    targets = torch.from_numpy(_targets(target, len(x)))
    return forward_batches(model, x, _select_outputs, (targets,), batch_size=batch_size, device=device)


def ism(model: nn.Module, x, target=None, batch_size: int = DEFAULT_BATCH_SIZE,
        device: torch.device | str | None = None, quiet: bool = True):
    """In-silico saturation mutagenesis: ``effects[i, c, l] = f(x_i with base c at l) - f(x_i)``.

    Only real edits are run: the observed base of each position is skipped (its effect is 0);
    at an N position (all-zero column) all four bases are tried. Mutants of all sequences are
    batched together, ``batch_size`` model inputs at a time.

    Args:
        model: logits ``[B, T]`` from one-hot ``[B, 4, L]``.
        x: one-hot ``[N, 4, L]`` (or uint8 tokens ``[N, L]``).
        target: output explained: an int or an int array ``[N]`` (default 0).

    Returns:
        float32 ``[N, 4, L]``.
    """
    import torch

    from motifnet.devices import input_device
    from motifnet.predict import forward_batches

    x = _as_one_hot(x)
    n, _, length = x.shape
    targets = torch.from_numpy(_targets(target, n))
    reference = predict_outputs(model, x, targets.numpy(), batch_size, device)
    # All (sequence, base, position) edits that change the sequence, in sequence order.
    edits = torch.stack(torch.nonzero(x == 0, as_tuple=True), dim=1)  # [M, 3]
    x_device = x.to(input_device(model, device))

    def mutant_outputs(net, edit, target):
        row, base, position = edit.unbind(1)
        mutants = x_device[row]
        index = torch.arange(len(row), device=mutants.device)
        mutants[index, :, position] = 0.0
        mutants[index, base, position] = 1.0
        return _select(net(mutants), target).float()

    values = forward_batches(model, edits, mutant_outputs, (targets[edits[:, 0]],), batch_size=batch_size,
                             device=device, quiet=quiet, desc="ISM")
    effects = torch.zeros(n, 4, length, dtype=torch.float32)
    if len(edits):
        effects[edits[:, 0], edits[:, 1], edits[:, 2]] = values - reference[edits[:, 0]]
    return effects


def ism_importance(effects, x):
    """Observed-base importance from ISM effects: at each observed base, minus the mean effect
    of its alternatives (positive where the observed base raises the output); 0 elsewhere.
    ``[N, 4, L]`` -> ``[N, 4, L]``."""
    x = _as_one_hot(x)
    alternatives = (1.0 - x).sum(dim=1, keepdim=True).clamp(min=1.0)
    return -(effects * (1.0 - x)).sum(dim=1, keepdim=True) / alternatives * x


def _input_gradient(model: nn.Module | Callable, x, target):
    """``func`` for :func:`~motifnet.predict.forward_batches` with gradients: ``d f_target / d x``
    (``model`` any function of ``x`` returning logits)."""
    import torch

    x = x.requires_grad_(True)
    (grad,) = torch.autograd.grad(_select(model(x), target).sum(), x)
    return grad.float()


def gradients(model: nn.Module, x, target=None, batch_size: int = DEFAULT_BATCH_SIZE,
              device: torch.device | str | None = None):
    """``d f_target / d x`` ``[N, 4, L]`` at the input (float32, CPU)."""
    import torch

    from motifnet.predict import forward_batches

    x = _as_one_hot(x)
    targets = torch.from_numpy(_targets(target, len(x)))
    if len(x) == 0:
        return torch.zeros_like(x)
    return forward_batches(model, x, _input_gradient, (targets,), batch_size=batch_size, device=device, gradients=True)


def saliency(model: nn.Module, x, target=None, center: bool = True, batch_size: int = DEFAULT_BATCH_SIZE,
             device: torch.device | str | None = None):
    """Saliency map: the input gradient ``[N, 4, L]``; with ``center`` the mean over the four
    channels is removed at each position (Majdandzic et al. 2023), which removes the component
    of the gradient that points off the one-hot simplex."""
    grad = gradients(model, x, target, batch_size, device)
    return grad - grad.mean(dim=1, keepdim=True) if center else grad


def grad_x_input(model: nn.Module, x, target=None, center: bool = True, batch_size: int = DEFAULT_BATCH_SIZE,
                 device: torch.device | str | None = None):
    """Gradient x input ``[N, 4, L]``: the (centred) gradient at each observed base, 0 elsewhere."""
    x = _as_one_hot(x)
    return saliency(model, x, target, center, batch_size, device) * x


def _baseline(x, kind: str, seed: int):
    import torch

    from motifnet.sequence import dinucleotide_shuffle, one_hot

    if kind == "zeros":
        return torch.zeros_like(x)
    if kind == "uniform":
        return torch.full_like(x, 0.25)
    if kind == "shuffle":
        tokens = torch.where(x.sum(1) > 0, x.argmax(1), torch.full(x.shape[::2], 4)).to(torch.uint8).numpy()
        return one_hot(dinucleotide_shuffle(tokens, seed=seed))
    raise MotifnetError(f"unknown baseline {kind!r}; expected 'zeros', 'uniform' or 'shuffle'")


def _path_gradient_sum(model: nn.Module, x, x0, target, alphas):
    """``func`` for :func:`~motifnet.predict.forward_batches`: ``sum_a d f_target / d x`` at
    ``x0 + a (x - x0)`` for each ``a`` in ``alphas``.

    A model with an affine stem (:func:`motifnet.models.has_affine_stem`: the zoo's models, from
    their padding and first convolution, also inside ``ReverseComplement``) is differentiated from
    the stem's output: the path is the straight path ``h0 + a (h - h0)`` there, and the stem's
    transpose (the same at every point) is applied once to the summed gradients instead of running
    the stem forward and backward per step."""
    import torch

    from motifnet.models import has_affine_stem

    stem = model.affine_stem if has_affine_stem(model) else None
    with torch.no_grad():
        h0, h1 = (stem(x0), stem(x)) if stem else (x0, x)
    rest = model.from_affine_stem if stem else model
    grad_sum = sum((_input_gradient(rest, h0 + alpha * (h1 - h0), target) for alpha in alphas), torch.zeros_like(h0))
    if stem is None:
        return grad_sum
    probe = torch.zeros_like(x, requires_grad=True)
    (grad,) = torch.autograd.grad(stem(probe), probe, grad_outputs=grad_sum)
    return grad.float()


def integrated_gradients(
    model: nn.Module,
    x,
    target=None,
    baseline: str = "shuffle",
    steps: int = 32,
    n_baselines: int = 1,
    hypothetical: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str | None = None,
    seed: int = 0,
    return_delta: bool = False,
):
    """Integrated gradients (Sundararajan et al. 2017) ``[N, 4, L]``: per position, the sum over
    channels of ``(x - x0) * mean_a grad f(x0 + a (x - x0))`` (``steps`` midpoints of [0, 1]),
    placed on the observed base, averaged over
    ``n_baselines`` baselines (``'shuffle'``: dinucleotide shuffles of each sequence, baseline
    ``b`` seeded ``seed + b``; ``'zeros'``: all-N; ``'uniform'``: 0.25 everywhere).

    With ``hypothetical``, the hypothetical contributions instead: for every base ``c`` at each
    position, ``sum_c' (e_c - x0)[c'] * mean gradient[c']`` (what the position would contribute
    with base ``c``, DeepSHAP's projection); at the observed base it is the attribution above.

    Returns:
        attributions, or ``(attributions, delta)`` with ``return_delta``: ``delta[i] =
        sum(attr_i) - (f(x_i) - mean f(x0_i))`` ``[N]``, the convergence (completeness) error.

    Raises:
        MotifnetError: ``steps`` or ``n_baselines`` below 1; an unknown baseline.
    """
    import torch

    from motifnet.predict import forward_batches

    if steps < 1 or n_baselines < 1:
        raise MotifnetError(f"steps and n_baselines must be >= 1, got {steps} and {n_baselines}")
    x = _as_one_hot(x)
    targets = _targets(target, len(x))
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
    total = torch.zeros_like(x)
    hypothetical_total = torch.zeros_like(x)
    baseline_outputs = torch.zeros(len(x))
    for b in range(n_baselines):
        x0 = _baseline(x, baseline, seed + b)
        if len(x) == 0:
            grad_sum = torch.zeros_like(x)
        else:
            path = functools.partial(_path_gradient_sum, alphas=alphas)
            grad_sum = forward_batches(model, x, path, (x0, torch.from_numpy(targets)), batch_size=batch_size,
                                       device=device, gradients=True)
        multipliers = grad_sum / steps
        total += (x - x0) * multipliers
        hypothetical_total += multipliers - (x0 * multipliers).sum(dim=1, keepdim=True)
        baseline_outputs += predict_outputs(model, x0, targets, batch_size, device)
    # Each position's total (including the baseline-base term) is put on the observed base, which
    # keeps the completeness sum (an N position, with no observed base, keeps its columns).
    called = x.sum(dim=1, keepdim=True) > 0
    attributions = torch.where(called, total.sum(dim=1, keepdim=True) * x, total) / n_baselines
    result = hypothetical_total / n_baselines if hypothetical else attributions
    if not return_delta:
        return result
    outputs = predict_outputs(model, x, targets, batch_size, device)
    delta = attributions.sum(dim=(1, 2)) - (outputs - baseline_outputs / n_baselines)
    return result, delta


def attribute(model: nn.Module, x, method: str = "grad_x_input", target=None, **options):
    """Observed-base attribution map ``[N, 4, L]`` by ``method`` (one of :data:`METHODS`):
    'ism' (:func:`ism_importance` of :func:`ism`), 'saliency' (centred gradient at the observed
    base, i.e. the same as 'grad_x_input'), 'grad_x_input', 'integrated_gradients',
    'deep_lift_shap' (:func:`motifnet.interpret.deeplift.deep_lift_shap`).

    Raises:
        MotifnetError: an unknown method.
    """
    x = _as_one_hot(x)
    if method == "ism":
        return ism_importance(ism(model, x, target, **options), x)
    if method in ("saliency", "grad_x_input"):
        return grad_x_input(model, x, target, **options)
    if method == "integrated_gradients":
        return integrated_gradients(model, x, target, **options)
    if method == "deep_lift_shap":
        from motifnet.interpret.deeplift import deep_lift_shap

        return deep_lift_shap(model, x, target, **options)
    raise MotifnetError(f"unknown attribution method {method!r}; expected one of {list(METHODS)}")


def position_scores(attributions, x=None):
    """Per-position importance ``[N, L]``: the attribution summed over channels (for maps that
    are non-zero only at the observed base), or taken at the observed base when ``x`` is given."""
    if x is not None:
        attributions = attributions * _as_one_hot(x)
    return attributions.sum(dim=1)
