"""In-silico experiments on a trained model (the designs of tangermeme's ``marginalize``,
``ablate`` and ``space``): insert a motif into shuffled backgrounds and measure the change of
a logit (marginalization), shuffle a site away (ablation), and vary the spacing and orientation
of two motifs (cooperativity).

Every function returns logits of one output (``target``; None: every output, one column each)
and takes the shared ``batch_size``,
``device`` and ``seed``; they are written on motifnet's batched logit function
(:func:`motifnet.interpret.attribution.predict_outputs`) and its dinucleotide shuffle, so that
results do not depend on ``batch_size`` and both-strand models are scored as they predict.

Motifs are strings (``N`` keeps the background's base; U reads as T); positions are 0-based
starts in the sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from motifnet.devices import DEFAULT_BATCH_SIZE
from motifnet.errors import MotifnetError

if TYPE_CHECKING:
    import torch
    from torch import nn

ORIENTATIONS = ("++", "+-", "-+", "--")
"""Orientations of two motifs: each motif as given (+) or reverse-complemented (-)."""


def backgrounds(tokens: np.ndarray, n: int = 100, seed: int = 0) -> np.ndarray:
    """``n`` backgrounds: dinucleotide shuffles of a seeded sample of the sequences ``tokens [N, L]``
    (drawn with replacement when ``n > N``), which keep their base and dinucleotide composition
    but lose their motifs."""
    from motifnet.sequence import dinucleotide_shuffle

    tokens = np.asarray(tokens, dtype=np.uint8)
    if tokens.ndim != 2 or len(tokens) == 0:
        raise MotifnetError(f"backgrounds need tokens [N, L] with N >= 1, got shape {tokens.shape}")
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(tokens), n, replace=n > len(tokens))
    return dinucleotide_shuffle(tokens[picked], seed=rng)


def _motif_tokens(motif: str) -> np.ndarray:
    from motifnet.sequence import encode

    if not motif:
        raise MotifnetError("a motif must have at least one base")
    return encode(motif)


def insert(tokens: np.ndarray, motif: str, start: int) -> np.ndarray:
    """A copy of ``tokens [N, L]`` with ``motif`` written from ``start`` (``N`` and the other
    ambiguity codes keep the base; U reads as T).

    Raises:
        MotifnetError: the motif does not fit at ``start``.
    """
    site = _motif_tokens(motif)
    length = tokens.shape[1]
    if start < 0 or start + len(site) > length:
        raise MotifnetError(f"a {len(site)} bp motif at {start} does not fit in {length} bp sequences")
    out = np.array(tokens, dtype=np.uint8, copy=True)
    keep = site == 4
    out[:, start : start + len(site)] = np.where(keep, out[:, start : start + len(site)], site)
    return out


def logits(model: "nn.Module", tokens: np.ndarray, target: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
           device: "torch.device | str | None" = None) -> np.ndarray:
    """Logits of output ``target`` ``[N]``, or of every output ``[N, T]`` when it is None."""
    from motifnet.interpret.attribution import predict_outputs
    from motifnet.predict import forward_batches

    if target is None:
        return forward_batches(model, tokens, batch_size=batch_size, device=device).float().numpy()
    return predict_outputs(model, tokens, target, batch_size=batch_size, device=device).numpy()


@dataclass
class Effect:
    """Logits before and after a change, per sequence (``[N]``, or ``[N, T]`` for every output)."""

    before: np.ndarray
    after: np.ndarray

    @property
    def change(self) -> np.ndarray:
        return self.after - self.before

    def summary(self) -> dict:
        """Means over sequences (lists for every output) and the standard deviation of the change."""
        change = self.change

        def value(array):
            return array.round(4).tolist() if array.ndim else float(array)

        spread = change.std(axis=0, ddof=1) if len(change) > 1 else np.zeros(change.shape[1:])
        return {"mean_before": value(self.before.mean(axis=0)), "mean_after": value(self.after.mean(axis=0)),
                "mean_change": value(change.mean(axis=0)), "sd_change": value(spread), "n": int(len(change))}


def marginalize(
    model: "nn.Module",
    background: np.ndarray,
    motif: str,
    target: int | None = 0,
    start: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: "torch.device | str | None" = None,
    before: np.ndarray | None = None,
) -> Effect:
    """The logit ``target`` of each background before and after ``motif`` is inserted at
    ``start`` (default: centred); ``before``: the backgrounds' logits when already computed
    (several motifs into the same backgrounds)."""
    length = len(_motif_tokens(motif))
    start = (background.shape[1] - length) // 2 if start is None else start
    changed = insert(background, motif, start)
    if before is None:
        before = logits(model, background, target, batch_size, device)
    return Effect(before, logits(model, changed, target, batch_size, device))


def ablate(
    model: "nn.Module",
    tokens: np.ndarray,
    start: int,
    end: int,
    target: int | None = 0,
    n_shuffles: int = 10,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: "torch.device | str | None" = None,
    seed: int = 0,
) -> Effect:
    """The logit ``target`` of each sequence before and after ``[start, end)`` is replaced by
    dinucleotide shuffles of itself (``after``: the mean over ``n_shuffles``). A shuffle keeps
    the window's first and last base and its dinucleotides, so a short or palindromic site
    (CACGTG) can only shuffle to itself: ablate a window with flanks around such a site.

    Raises:
        MotifnetError: an empty or out-of-range window, or ``n_shuffles < 1``.
    """
    from motifnet.sequence import dinucleotide_shuffle

    tokens = np.asarray(tokens, dtype=np.uint8)
    if not 0 <= start < end <= tokens.shape[1]:
        raise MotifnetError(f"ablation window [{start}, {end}) is not inside {tokens.shape[1]} bp sequences")
    if n_shuffles < 1:
        raise MotifnetError(f"n_shuffles must be >= 1, got {n_shuffles}")
    after = 0.0
    for k in range(n_shuffles):
        changed = tokens.copy()
        changed[:, start:end] = dinucleotide_shuffle(tokens[:, start:end], seed=seed + k)
        after = after + logits(model, changed, target, batch_size, device).astype(np.float64)
    return Effect(logits(model, tokens, target, batch_size, device), (after / n_shuffles).astype(np.float32))


@dataclass
class Spacing:
    """Cooperativity of two motifs: mean logit change over backgrounds when both are inserted,
    ``[orientation, spacing]``, beside each motif's own change (inserted alone at its place)."""

    spacings: np.ndarray
    orientations: tuple
    both: np.ndarray
    first_alone: np.ndarray
    second_alone: np.ndarray

    @property
    def interaction(self) -> np.ndarray:
        """Change with both minus the sum of the changes of each alone (0: independent)."""
        return self.both - self.first_alone - self.second_alone

    def summary(self) -> dict:
        return {"spacings": self.spacings.tolist(), "orientations": list(self.orientations),
                "both": self.both.round(4).tolist(), "first_alone": self.first_alone.round(4).tolist(),
                "second_alone": self.second_alone.round(4).tolist(),
                "interaction": self.interaction.round(4).tolist()}


def space(
    model: "nn.Module",
    background: np.ndarray,
    first: str,
    second: str,
    spacings: Sequence[int],
    target: int = 0,
    orientations: Sequence[str] = ("++", "+-"),
    alphabet: str = "DNA",
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: "torch.device | str | None" = None,
) -> Spacing:
    """Insert ``first`` and, ``spacing`` bp after its end, ``second`` (the pair centred in the
    sequence), in each orientation; the mean change of logit ``target`` over the backgrounds.

    Raises:
        MotifnetError: an unknown orientation, or a pair that does not fit.
    """
    from motifnet.sequence import reverse_complement

    if target is None:
        raise MotifnetError("space needs one output: give target as an int")
    unknown = sorted(set(orientations) - set(ORIENTATIONS))
    if unknown:
        raise MotifnetError(f"unknown orientation(s) {unknown}; expected some of {list(ORIENTATIONS)}")
    if alphabet == "RNA" and any("-" in o for o in orientations):
        raise MotifnetError("RNA has one strand: use orientation '++' only")
    length = background.shape[1]
    base = logits(model, background, target, batch_size, device)
    spacings = np.asarray(list(spacings), dtype=np.int64)
    shape = (len(orientations), len(spacings))
    both, first_alone, second_alone = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for o, orientation in enumerate(orientations):
        a = first if orientation[0] == "+" else reverse_complement(first)
        b = second if orientation[1] == "+" else reverse_complement(second)
        for s, spacing in enumerate(spacings):
            start = (length - (len(a) + int(spacing) + len(b))) // 2
            second_start = start + len(a) + int(spacing)
            with_a = insert(background, a, start)
            with_b = insert(background, b, second_start)
            with_both = insert(with_a, b, second_start)
            first_alone[o, s] = (logits(model, with_a, target, batch_size, device) - base).mean()
            second_alone[o, s] = (logits(model, with_b, target, batch_size, device) - base).mean()
            both[o, s] = (logits(model, with_both, target, batch_size, device) - base).mean()
    return Spacing(spacings, tuple(orientations), both, first_alone, second_alone)
