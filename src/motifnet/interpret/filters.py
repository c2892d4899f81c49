"""First-layer filters as motifs: the activation-based view (Koo & Eddy 2019) and the weight view.

Activation view: for each filter, every input window whose activation exceeds ``threshold``
(default 0.5) times that filter's maximum activation over a data set is collected, the windows
(aligned by construction: each starts where the filter was applied) are summed into a count
matrix ``[4, k]`` and normalised into a position probability matrix (PPM).

Activations are computed here from the filter weights applied to the one-hot sequence
(``conv1d`` with the layer's own stride, dilation and padding), not through the model's forward
pass, so a model's own input handling (strand stacking, 0.25 padding) does not shift positions:
window ``j`` of the output always starts at input position ``j * stride - left_padding``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.motifs import information_content
from motifnet.strands import model_strands  # noqa: F401  (re-exported: the strands a model's filters see)

DEFAULT_THRESHOLD = 0.5


@dataclass
class FilterMotifs:
    """Motifs derived from the F first-layer filters of a model.

    Attributes:
        counts: float64 ``[F, 4, k]`` summed one-hot windows (activation view) or
            probabilities times ``n_sites`` (weight view).
        n_sites: int64 ``[F]`` windows counted per filter (0: the filter never fired).
        max_activation: float64 ``[F]`` each filter's maximum activation over the data.
        names: ``[F]`` names, ``filter0`` ... ``filterF-1``.
        method: 'activation' or 'weights'.
    """

    counts: np.ndarray
    n_sites: np.ndarray
    max_activation: np.ndarray
    names: list[str] = field(default_factory=list)
    method: str = "activation"

    def __post_init__(self) -> None:
        if not self.names:
            self.names = [f"filter{i}" for i in range(len(self.counts))]

    def __len__(self) -> int:
        return len(self.counts)

    @property
    def length(self) -> int:
        """Filter length k."""
        return int(self.counts.shape[-1])

    def probabilities(self, pseudocount: float = 0.0) -> np.ndarray:
        """PPMs ``[F, 4, k]``: counts plus ``pseudocount`` (spread uniformly) normalised per
        column; a column with no counts is uniform."""
        counts = self.counts + pseudocount / 4.0
        totals = counts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            probs = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), 0.25)
        return probs

    def informative(self, min_sites: int = 1) -> np.ndarray:
        """Indices of filters with at least ``min_sites`` counted windows."""
        return np.flatnonzero(self.n_sites >= min_sites)


def first_conv(model):
    """The first ``nn.Conv1d`` reading the 4 one-hot channels.

    Uses ``motifnet.models.first_conv`` when the model zoo provides it.

    Raises:
        MotifnetError: the model has no Conv1d with 4 input channels.
    """
    from torch import nn

    try:
        from motifnet.models import first_conv as zoo_first_conv
    except ImportError:
        zoo_first_conv = None
    if zoo_first_conv is not None:
        try:
            return zoo_first_conv(model)
        except MotifnetError:
            raise
        except Exception:  # a zoo helper that does not know this model: fall back below
            pass
    for module in model.modules():
        if isinstance(module, nn.Conv1d) and module.in_channels == 4:
            return module
    raise MotifnetError(f"{type(model).__name__} has no first convolution over 4 input channels")


def _left_padding(conv) -> int:
    """Left zero padding of a Conv1d in positions ('same', 'valid' or an int)."""
    padding = conv.padding
    if isinstance(padding, str):
        return 0 if padding == "valid" else conv.dilation[0] * (conv.kernel_size[0] - 1) // 2
    return int(padding[0])


def _right_padding(conv) -> int:
    padding = conv.padding
    if isinstance(padding, str):
        return 0 if padding == "valid" else conv.dilation[0] * (conv.kernel_size[0] - 1) - _left_padding(conv)
    return int(padding[0])


class FilterScanner:
    """Applies a Conv1d's filters to one-hot sequences and returns activations and windows.

    Args:
        conv: the first-layer ``nn.Conv1d`` (weights ``[F, 4, k]``).
        pad_value: value of the padding columns (0 as in a zero-padded conv; 0.25 as DeepBind).
        device: where to compute (default: the conv's device).
    """

    def __init__(self, conv, pad_value: float = 0.0, device=None, after=None) -> None:
        import torch

        if conv.groups != 1 or conv.in_channels != 4:
            raise MotifnetError("filters can be read only from an ungrouped convolution over 4 channels")
        self.device = device or conv.weight.device
        self.weight = conv.weight.detach().to(self.device, torch.float32)
        self.bias = None if conv.bias is None else conv.bias.detach().to(self.device, torch.float32)
        self.stride = conv.stride[0]
        self.dilation = conv.dilation[0]
        self.left = _left_padding(conv)
        self.right = _right_padding(conv)
        self.pad_value = pad_value
        self.after = None if after is None else after.to(self.device)

    @property
    def n_filters(self) -> int:
        return int(self.weight.shape[0])

    @property
    def length(self) -> int:
        return int(self.weight.shape[-1])

    def _padded(self, x):
        import torch.nn.functional as F

        x = x.to(self.device, non_blocking=True)
        if self.left or self.right:
            x = F.pad(x, (self.left, self.right), value=self.pad_value)
        return x

    def activations(self, x):
        """Filter outputs ``[B, F, L']`` for one-hot ``x`` ``[B, 4, L]`` (the convolution, then
        ``after`` if given); output ``j`` covers input positions ``j*stride - left + i*dilation``, i < k."""
        import torch.nn.functional as F

        z = F.conv1d(self._padded(x), self.weight, self.bias, self.stride, 0, self.dilation)
        return z if self.after is None else self.after(z)

    def windows(self, x):
        """Input windows ``[B, L', 4, k]`` aligned with :meth:`activations`' positions."""
        padded = self._padded(x)
        span = self.dilation * (self.length - 1) + 1
        windows = padded.unfold(-1, span, self.stride)  # [B, 4, L', span]
        if self.dilation > 1:
            windows = windows[..., :: self.dilation]
        return windows.permute(0, 2, 1, 3)

    def starts(self, n_positions: int) -> np.ndarray:
        """Input start position (0-based; may be negative at the left edge) of each output."""
        return np.arange(n_positions) * self.stride - self.left


def _rows(data):
    """The rows to batch: ``data.tokens`` of a SeqData, else ``data`` (tokens ``[N, L]`` or one-hot
    ``[N, 4, L]``), for :func:`motifnet.predict.forward_batches`."""
    return getattr(data, "tokens", data)


ELEMENTWISE = ("BatchNorm1d", "ReLU", "Exponential", "ELU", "GELU", "Sigmoid", "Tanh", "Softplus", "Identity")
"""Module types that may follow the first convolution inside its layer and act position by
position; :func:`layer_activation` applies them (anything else, e.g. pooling, ends the layer)."""


def layer_activation(model, conv=None):
    """The modules that turn the first convolution's output into its layer's activation: those
    of :data:`ELEMENTWISE` that directly follow ``conv`` (default :func:`first_conv`) in the
    container holding it (batch norm, then ReLU or exp, as in Koo & Eddy's CNN-k), copied and in
    eval mode, as one ``nn.Sequential`` (empty when nothing follows)."""
    import copy

    from torch import nn

    conv = conv or first_conv(model)
    parent = next((m for m in model.modules() if any(child is conv for child in m.children())), None)
    following = []
    if parent is not None:
        children = list(parent.children())
        for child in children[[id(c) for c in children].index(id(conv)) + 1 :]:
            if type(child).__name__ not in ELEMENTWISE:
                break
            following.append(copy.deepcopy(child))
    return nn.Sequential(*following).eval()


def activation_motifs(
    model_or_conv,
    data,
    threshold: float = DEFAULT_THRESHOLD,
    batch_size: int = 256,
    pad_value: float = 0.0,
    device=None,
    quiet: bool = True,
    strands: str = "forward",
    activation: str = "layer",
    weighted: bool = False,
) -> FilterMotifs:
    """Koo & Eddy filter motifs: count the windows activating each filter above
    ``threshold`` x its maximum over ``data``.

    The activation thresholded is, by default (``activation="layer"``), the first layer's output
    after the batch norm and activation that follow the convolution (:func:`layer_activation`),
    as Koo & Eddy threshold it. With batch norm the two differ by a per-filter shift, so a cut at
    half the maximum of the raw convolution (``activation="conv"``) takes other windows: on the
    Koo & Eddy CNN-25 it took so many weak windows that most filters' PPMs no longer matched
    their motif (docs/interpretation.md). Without batch norm and with ReLU both give the same
    windows.

    Args:
        model_or_conv: a model (its :func:`first_conv` is used) or an ``nn.Conv1d`` (then the
            convolution's output is used).
        data: SeqData, uint8 tokens ``[N, L]`` or a one-hot tensor ``[N, 4, L]``.
        threshold: fraction of each filter's maximum activation (0 < threshold <= 1).
        batch_size: sequences per batch.
        pad_value: value of the conv's padding columns when windows reach past the ends.
        device: where to compute (default: the conv's device).
        quiet: hide the progress bar.
        strands: 'forward' scans the sequences as given; 'both' also scans their reverse
            complements (for a model that reads both strands, e.g. DeepBind ``strands="both"``:
            a filter then sees the instances on either strand, each window counted in the
            filter's own orientation). See :func:`model_strands`.
        activation: "layer" or "conv" (see above).
        weighted: weight each window by its activation (Koo & Eddy's ``activation_pwm``) instead
            of counting it once; ``counts`` then hold activation-weighted sums.

    Returns:
        :class:`FilterMotifs` with counts ``[F, 4, k]``. A filter whose maximum activation is not
        positive (it never fires after a ReLU) gets no windows (``n_sites`` 0).

    Raises:
        MotifnetError: a threshold outside (0, 1], empty data, a model without a first conv, an
            unknown ``strands`` or ``activation``.
    """
    import torch
    from torch import nn

    from motifnet.predict import forward_batches
    from motifnet.sequence import reverse_complement_one_hot

    if strands not in ("forward", "both"):
        raise MotifnetError(f"strands must be 'forward' or 'both', got {strands!r}")

    def views(x):
        return (x, reverse_complement_one_hot(x)) if strands == "both" else (x,)

    if not 0 < threshold <= 1:
        raise MotifnetError(f"activation threshold must be in (0, 1], got {threshold}")
    if len(_rows(data)) == 0:
        raise MotifnetError("no sequences to compute filter activations on")
    if activation not in ("layer", "conv"):
        raise MotifnetError(f"activation must be 'layer' or 'conv', got {activation!r}")
    conv = model_or_conv if isinstance(model_or_conv, nn.Conv1d) else first_conv(model_or_conv)
    after = None if conv is model_or_conv or activation == "conv" else layer_activation(model_or_conv, conv)
    scanner = FilterScanner(conv, pad_value=pad_value, device=device, after=after)
    options = dict(batch_size=batch_size, device=scanner.device, quiet=quiet)

    def batch_maxima(_conv, x):  # [1, F]
        return torch.stack([scanner.activations(view).amax(dim=(0, 2)) for view in views(x)]).amax(dim=0)[None]

    maxima = forward_batches(conv, _rows(data), batch_maxima, desc="filter maxima", **options).amax(dim=0)
    maxima = maxima.to(scanner.device)
    cutoff = torch.where(maxima > 0, threshold * maxima, torch.full_like(maxima, torch.inf))

    def batch_counts(_conv, x):  # ([1, F, 4, k] float64, [1, F] int64)
        counts = torch.zeros(scanner.n_filters, 4, scanner.length, dtype=torch.float64, device=scanner.device)
        n_sites = torch.zeros(scanner.n_filters, dtype=torch.int64, device=scanner.device)
        for view in views(x):
            values = scanner.activations(view)  # [B, F, L']
            above = values >= cutoff.view(1, -1, 1)
            windows = scanner.windows(view)  # [B, L', 4, k]
            weights = above * values if weighted else above
            counts += torch.einsum("bfj,bjck->fck", weights.to(windows.dtype), windows).double()
            n_sites += above.sum(dim=(0, 2))
        return counts[None], n_sites[None]

    counts, n_sites = forward_batches(conv, _rows(data), batch_counts, desc="filter windows", **options)
    counts, n_sites = counts.sum(dim=0), n_sites.sum(dim=0)
    return FilterMotifs(
        counts=counts.cpu().numpy(),
        n_sites=n_sites.cpu().numpy(),
        max_activation=maxima.cpu().double().numpy(),
        method="activation",
    )


def weight_motifs(model_or_conv, scale: float = 1.0, n_sites: int = 100) -> FilterMotifs:
    """The weight view: each filter read as log-odds against a uniform background,
    ``p[c, i] = softmax_c(scale * w[c, i])`` (a filter equal to ``log(p / 0.25)`` gives back p).

    Returns:
        :class:`FilterMotifs` with ``counts = n_sites * p`` ``[F, 4, k]``.
    """
    import torch
    from torch import nn

    conv = model_or_conv if isinstance(model_or_conv, nn.Conv1d) else first_conv(model_or_conv)
    weight = conv.weight.detach().double().cpu()
    if weight.shape[1] != 4:
        raise MotifnetError("filters can be read only from a convolution over 4 channels")
    probs = torch.softmax(scale * weight, dim=1).numpy()
    maxima = (weight.amax(dim=1).sum(dim=-1) + (0 if conv.bias is None else conv.bias.detach().double().cpu())).numpy()
    return FilterMotifs(
        counts=probs * n_sites,
        n_sites=np.full(len(probs), n_sites, dtype=np.int64),
        max_activation=maxima,
        method="weights",
    )


def trim(probabilities: np.ndarray, min_information: float = 0.2) -> tuple[np.ndarray, int]:
    """Drop uninformative edge columns of a PPM ``[4, k]`` (information content below
    ``min_information`` bits). Returns ``(trimmed [4, k'], first kept column)``; a matrix with no
    informative column is returned whole."""
    information = information_content(probabilities)
    keep = np.flatnonzero(information >= min_information)
    if len(keep) == 0:
        return probabilities, 0
    return probabilities[:, keep[0] : keep[-1] + 1], int(keep[0])


def to_motifs(filters: FilterMotifs, indices: Sequence[int] | None = None) -> list:
    """The filters as ``motifnet.motifs.Motif`` objects (for MEME export), id ``filterI``;
    ``nsites`` is each filter's number of counted windows. A filter with no windows (or a column
    with no counts) gets uniform columns."""
    from motifnet.motifs import Motif

    chosen = range(len(filters)) if indices is None else indices
    probs = filters.probabilities()
    return [
        Motif(probs[i], id=filters.names[i], is_counts=False, nsites=max(int(filters.n_sites[i]), 1)) for i in chosen
    ]


def write_meme(filters: FilterMotifs, path, indices: Sequence[int] | None = None, alphabet: str = "DNA"):
    """Write filter PPMs as a MEME minimal-format file, atomically (see :func:`to_motifs`)."""
    from motifnet.io.motif_files import write_meme as write_motifs

    return write_motifs(to_motifs(filters, indices), path, alphabet="ACGU" if alphabet == "RNA" else "ACGT")


def filter_importance(model, data, target=None, batch_size: int = 256, device=None) -> np.ndarray:
    """How much each first-layer filter drives the explained output: the first-order estimate
    of the output drop when the filter is silenced, ``sum over sequences and positions of
    activation x d output / d activation`` at the first convolution's output ``[F]`` (float64).

    Args:
        model: logits ``[B, T]`` from one-hot ``[B, 4, L]``.
        data: SeqData, tokens ``[N, L]`` or one-hot ``[N, 4, L]``.
        target: the output explained, an int or an int array ``[N]`` (default 0).
    """
    import torch

    from motifnet.interpret.attribution import _select, _targets
    from motifnet.predict import forward_batches

    conv = first_conv(model)
    targets = torch.from_numpy(_targets(target, len(_rows(data))))
    captured = []

    def contribution(net, x, chosen):  # [1, F] float64
        captured.clear()
        grads = torch.autograd.grad(_select(net(x), chosen).sum(), captured)
        # a model may apply the conv twice (strands): every application counts
        return torch.stack([(output * grad).sum(dim=(0, 2)).double() for output, grad in zip(captured, grads)]).sum(0)[None]

    handle = conv.register_forward_hook(lambda module, inputs, output: captured.append(output))
    try:
        per_batch = forward_batches(model, _rows(data), contribution, (targets,), batch_size=batch_size, device=device,
                                    gradients=True)
    finally:
        handle.remove()
    return per_batch.sum(dim=0).numpy() if len(per_batch) else np.zeros(conv.out_channels)
