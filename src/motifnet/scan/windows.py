"""Scan long sequences (chromosomes, transcripts) with a trained model, window by window.

Every window ``[s, s + L)`` with ``s = 0, S, 2S, ...`` (``L`` = window, ``S`` = stride) of each
record is scored **exactly as the model scores that window alone** (with its own input padding,
as in training); the trailing ``< S`` bases after the last full window are not scored, and a
record shorter than the window is skipped (reported, see :func:`scan_records`).

Two ways give the same logits to float tolerance (tested):

- the *window path* (any model): windows are cut out, one-hot encoded on ``device`` and run
  through the model in batches of ``batch_size``;
- the *fast path* (:mod:`motifnet.scan.fast`; DeepBind-like conv + global pooling models, CPU):
  one convolution pass per chunk, each window pooled from it with its edge positions computed
  from its own bases, then the model's dense head (:mod:`motifnet.scan.head`: on all cores when
  it is a Linear/ReLU stack). ``method="auto"`` takes it when it applies. A run's fast path can
  also be read from the plan a scan saved beside its weights (:mod:`motifnet.scan.saved_plan`),
  with no torch.

Strands (:mod:`motifnet.strands`). DNA is scanned on both strands by default (``strands="both"``):
a window and its reverse complement are scored and combined by ``combine``: ``"max"`` (the default,
DeepBind's rule) takes the larger logit and reports the strand that gave it (+1 / -1); ``"mean"``
averages the two strands' probabilities (for ``task``), as ``motifnet predict`` does.
``"forward"`` / ``"reverse"`` score one strand. A model that
combines the strands itself (DeepBind ``strands="both"``, the ``ReverseComplement`` wrapper) is
always scored as it is (its own rule; the strand is reported as 0 on the window path). A model
trained on RNA reads one strand (a transcript): ``strands`` defaults to ``"forward"`` and
``"both"`` raises (scan ``"reverse"`` to read the minus-strand transcript).

Memory is bounded by ``chunk_size`` (bases per chunk): chunks overlap by ``L - S`` bases, so the
windows and their scores do not depend on the chunk size (tested).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.sequence import encode, reverse_complement_tokens
from motifnet.strands import (STRANDS, check_combine, check_strands, combine_strands, default_strands,
                              reads_both_strands)
from motifnet.devices import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    import torch
    from torch import nn

    from motifnet.scan.fast import ConvPoolPlan

METHODS = ("auto", "fast", "window")
DEFAULT_CHUNK_SIZE = 1 << 18
"""Bases per chunk (262,144: about 10 MB of working memory per chunk, both strands, for one
target: tokens, window starts and logits (4 bytes per window, strand and target); the fast
path's per-block buffers are small)."""


@dataclass
class ScanChunk:
    """Scores of consecutive windows of one record.

    Attributes:
        record: the record (chromosome) id.
        starts: int64 ``[n]`` 0-based window starts.
        logits: float32 ``[n, T]``.
        strand: int8 ``[n, T]``: +1 (forward) or -1 (reverse) gave the score; 0 when the
            model combines the strands itself (window path) or the combination is a mean.
    """

    record: str
    starts: np.ndarray
    logits: np.ndarray
    strand: np.ndarray


@dataclass(frozen=True)
class ScanPlan:
    """A model given as what the fast path reads from it (a run's saved plan:
    :mod:`motifnet.scan.saved_plan`), scored in its place on the fast path alone.

    Attributes:
        plan: the :class:`~motifnet.scan.fast.ConvPoolPlan` of the model that scores one strand.
        strand_rule: how the model combines the strands itself (:func:`core_and_strand_rule`).
    """

    plan: ConvPoolPlan
    strand_rule: str = "none"


@dataclass
class ScanSummary:
    """What a scan did: records scanned, windows scored, records skipped (shorter than the window)."""

    records: int = 0
    windows: int = 0
    bases: int = 0
    skipped: list[tuple[str, int]] = field(default_factory=list)
    method: str = ""


# ---------------------------------------------------------------------------------------------
# Strands and models


@dataclass
class _StrandSetup:
    core: object  # the model that scores one strand (or a saved plan's ConvPoolPlan)
    compute: tuple[int, ...]  # strands to score: (+1,), (-1,) or (+1, -1)
    combine: str  # 'max' or 'mean' (see motifnet.strands; a ReverseComplement model's: of its logits)
    internal: bool  # the model combines the strands itself
    task: str = "binary"
    regression_loss: str = "mse"


def core_and_strand_rule(model: nn.Module | ScanPlan) -> tuple[object, str]:
    """``(the model that scores the strand it is given, the rule by which model combines both)``:
    ``"none"`` (it scores one strand), or ``"max"`` / ``"mean"`` of the logits. A saved plan keeps
    its model's. A ``ReverseComplement`` wrapper around a model that combines the strands itself
    (by their maximum) sees the same output on both strands: its rule is the inner model's."""
    if isinstance(model, ScanPlan):
        return model.plan, model.strand_rule
    from motifnet.models import ReverseComplement

    if isinstance(model, ReverseComplement):
        return model.model, ("max" if reads_both_strands(model.model) else model.mode)
    return model, ("max" if reads_both_strands(model) else "none")


def _strand_setup(model: nn.Module | ScanPlan, strands: str, alphabet: str, combine: str = "max",
                  task: str = "binary", regression_loss: str = "mse") -> _StrandSetup:
    check_strands(strands, STRANDS, alphabet)
    check_combine(combine)
    core, rule = core_and_strand_rule(model)
    if rule != "none":
        return _StrandSetup(core, (1, -1), rule, True)
    compute = {"forward": (1,), "reverse": (-1,), "both": (1, -1)}[strands]
    return _StrandSetup(core, compute, combine, False, task, regression_loss)


def _combine(per_strand: list[np.ndarray], setup: _StrandSetup) -> tuple[np.ndarray, np.ndarray]:
    """Combine logits ``[n, T]`` of one or two strands -> (logits, strand int8)."""
    if len(per_strand) == 1:
        logits = np.ascontiguousarray(per_strand[0])
        return logits, np.full(logits.shape, setup.compute[0], dtype=np.int8)
    forward, reverse = per_strand
    if setup.internal and setup.combine == "mean":  # a ReverseComplement model's own rule
        return (forward + reverse) / 2, np.zeros(forward.shape, dtype=np.int8)
    return combine_strands(forward, reverse, setup.combine, setup.task, setup.regression_loss)


def check_window(model: nn.Module, window: int, device: torch.device | str | None = None) -> int:
    """Run the model once on an all-N window; return the number of targets T.

    Raises:
        MotifnetError: the model cannot score windows of this length (e.g. a dense layer sized
            for another input length).
    """
    import torch

    from motifnet.predict import forward_batches

    if window < 1:
        raise MotifnetError(f"window must be a positive length, got {window}")
    try:
        out = forward_batches(model, torch.zeros(1, 4, window), device=device)
    except RuntimeError as error:
        raise MotifnetError(
            f"the model cannot score windows of {window} bp (it was built for another input length?): "
            f"{str(error).splitlines()[0]}"
        ) from None
    if out.dim() != 2 or out.shape[0] != 1:
        raise MotifnetError(f"the model returned shape {tuple(out.shape)}, expected logits [1, T]")
    return int(out.shape[1])


# ---------------------------------------------------------------------------------------------
# Scoring


def score_windows(
    model: nn.Module, tokens: np.ndarray, strands: str = "both", alphabet: str = "DNA",
    batch_size: int = DEFAULT_BATCH_SIZE, device: torch.device | str | None = None,
    combine: str = "max", task: str = "binary", regression_loss: str = "mse",
) -> tuple[np.ndarray, np.ndarray]:
    """Window path: score windows given as tokens ``[n, L]`` one by one (in batches), with
    :func:`motifnet.predict.forward_batches`.

    Args:
        model: an ``nn.Module`` returning logits (run in eval mode).
        tokens: uint8 ``[n, L]``.
        strands: 'forward', 'reverse' or 'both' (see the module doc).
        batch_size: windows per forward pass; results do not depend on it.
        device: where the one-hot batches go (default: the model's device).
        combine: how 'both' combines the strands: 'max' of the logits (default) or 'mean' of the
            probabilities by ``task`` and ``regression_loss`` (:mod:`motifnet.strands`).

    Returns:
        ``(logits float32 [n, T], strand int8 [n, T])``.
    """
    from motifnet.predict import forward_batches

    setup = _strand_setup(model, strands, alphabet, combine, task, regression_loss)
    compute = (0,) if setup.internal else setup.compute
    per_strand = []
    for sign in compute:
        rows = reverse_complement_tokens(tokens) if sign == -1 else tokens
        logits = forward_batches(model, rows, lambda m, x: m(x).float(), batch_size=batch_size, device=device)
        per_strand.append(logits.numpy() if len(rows) else np.zeros((0, 0), np.float32))
    if setup.internal:
        return per_strand[0], np.zeros(per_strand[0].shape, dtype=np.int8)
    return _combine(per_strand, setup)


def window_count(length: int, window: int, stride: int) -> int:
    """Number of windows ``[s, s + window)``, ``s = 0, stride, ...`` inside ``length`` bases."""
    return 0 if length < window else (length - window) // stride + 1


def fast_path_available(model: nn.Module, window: int, device: torch.device | str | None = None) -> bool:
    """Whether :func:`scan_tokens` can use the fast path for this model, window and device."""
    return _fast_plan(_strand_setup(model, "forward", "DNA"), window, device) is not None


def _fast_plan(setup: _StrandSetup, window: int, device):
    """The fast path's :class:`~motifnet.scan.fast.ConvPoolPlan`, or None (another device, another
    model, a window shorter than a saved plan's filters)."""
    from motifnet.devices import model_device
    from motifnet.scan.fast import ConvPoolPlan, conv_pool_plan

    if device is not None and str(device) != "cpu":
        return None
    if isinstance(setup.core, ConvPoolPlan):
        return setup.core if window >= setup.core.filter_length else None
    if model_device(setup.core).type != "cpu":
        return None
    return conv_pool_plan(setup.core, window)


def scan_tokens(
    model: nn.Module | ScanPlan,
    tokens: np.ndarray,
    window: int,
    stride: int = 1,
    strands: str = "both",
    alphabet: str = "DNA",
    method: str = "auto",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str | None = None,
    combine: str = "max",
    task: str = "binary",
    regression_loss: str = "mse",
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Score every window of one long token sequence, chunk by chunk.

    Args:
        model: scored in eval mode, on either path (its training flag is left as it was); or a
            :class:`ScanPlan` (the fast path alone).
        tokens: uint8 ``[length]``.
        window: window length L; stride: step S between window starts.
        strands, alphabet: see the module doc.
        combine, task, regression_loss: how 'both' combines the strands (see :func:`score_windows`).
        method: 'auto' (fast path when it applies), 'fast' (raise if it does not), 'window'.
        chunk_size: bases per chunk (memory bound); results do not depend on it.
        batch_size: windows per forward pass of the window path (the fast path scores whole chunks).

    Yields:
        ``(starts int64 [n], logits float32 [n, T], strand int8 [n, T])`` per chunk.

    Raises:
        MotifnetError: a bad method, stride or strands, or 'fast' where the fast path does not apply.
    """
    setup = _strand_setup(model, strands, alphabet, combine, task, regression_loss)
    plan = _scan_plan(setup, method, window, stride, device)
    yield from _scored_chunks(model, setup, plan, tokens, window, stride, strands, alphabet, chunk_size, batch_size,
                              device, combine, task, regression_loss)


def _scan_plan(setup: _StrandSetup, method: str, window: int, stride: int, device):
    """The fast path's plan for a scan, or None for the window path; the errors of :func:`scan_tokens`."""
    from motifnet.scan.fast import ConvPoolPlan

    if method not in METHODS:
        raise MotifnetError(f"method must be one of {list(METHODS)}, got {method!r}")
    if stride < 1:
        raise MotifnetError(f"stride must be >= 1, got {stride}")
    plan = None
    if method != "window":
        plan = _fast_plan(setup, window, device)
        if plan is None and method == "fast":
            raise MotifnetError("the fast path needs a DeepBind-like model (one conv + global pooling) on the CPU "
                                "and a window at least as long as its filters; use method auto or window")
    if plan is None and isinstance(setup.core, ConvPoolPlan):  # a ScanPlan has no model to fall back on
        raise MotifnetError("a saved scan plan scores on the fast path only: on the CPU, windows at least as long "
                            "as its filters; load the run (motifnet.runs.load_run) for any other scan")
    return plan


def _scored_chunks(model, setup: _StrandSetup, plan, tokens: np.ndarray, window: int, stride: int, strands: str,
                   alphabet: str, chunk_size: int, batch_size: int, device, combine: str, task: str,
                   regression_loss: str) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """:func:`scan_tokens` of one token sequence, its strand setup and plan chosen (by the caller,
    once per scan)."""
    from motifnet.scan.fast import window_logits

    tokens = np.ascontiguousarray(tokens, dtype=np.uint8)
    total = window_count(len(tokens), window, stride)
    per_chunk = max(1, (max(chunk_size, window) - window) // stride + 1)
    for first in range(0, total, per_chunk):
        n = min(per_chunk, total - first)
        begin = first * stride
        piece = tokens[begin : begin + (n - 1) * stride + window]
        starts = begin + np.arange(n, dtype=np.int64) * stride
        if plan is None:
            views = np.lib.stride_tricks.sliding_window_view(piece, window)[::stride]
            logits, strand = score_windows(model, views, strands, alphabet, batch_size, device, combine, task,
                                           regression_loss)
            yield starts, logits, strand
            continue
        per_strand = []
        for sign in setup.compute:
            rows = piece if sign == 1 else reverse_complement_tokens(piece)
            logits = window_logits(plan, rows, window, stride, n)
            per_strand.append(logits if sign == 1 else logits[::-1])  # reverse-strand windows run backwards
        logits, strand = _combine(per_strand, setup)
        if setup.internal and setup.combine != "max":
            strand[:] = 0
        yield starts, logits, strand


def scan_records(
    model: nn.Module | ScanPlan,
    records: Iterable[tuple[str, str | np.ndarray]],
    window: int,
    stride: int = 1,
    strands: str | None = None,
    alphabet: str = "DNA",
    method: str = "auto",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: torch.device | str | None = None,
    quiet: bool = True,
    summary: ScanSummary | None = None,
    combine: str = "max",
    task: str = "binary",
    regression_loss: str = "mse",
) -> Iterator[ScanChunk]:
    """Scan each record ``(id, sequence or tokens)``; yield :class:`ScanChunk` s in order.

    Sequences are encoded with :func:`motifnet.sequence.encode`: lowercase (soft-masked) bases
    count as bases, IUPAC ambiguity codes become N (an all-zero one-hot column). A record shorter
    than the window is skipped and listed in ``summary.skipped`` (pass a :class:`ScanSummary`
    to receive counts). Progress is a tqdm bar in bases (``quiet`` silences it). ``strands``
    defaults to both for DNA, forward for RNA (:func:`motifnet.strands.default_strands` of a genome);
    ``combine``, ``task``, ``regression_loss``: see :func:`score_windows`.

    Raises:
        MotifnetError: no records at all, every record shorter than the window, an invalid
            character (naming the record), or any error of :func:`scan_tokens`.
    """
    from tqdm import tqdm

    strands = strands or default_strands(alphabet, genome=True)
    summary = summary if summary is not None else ScanSummary()
    setup = _strand_setup(model, strands, alphabet, combine, task, regression_loss)
    plan = _scan_plan(setup, method, window, stride, device)  # once: a transcriptome has 100,000 records
    summary.method = "window" if plan is None else "fast"
    seen = 0
    bar = tqdm(total=None, unit="bp", unit_scale=True, disable=quiet, file=sys.stderr, desc="scan")
    try:
        for record, sequence in records:
            seen += 1
            tokens = sequence if isinstance(sequence, np.ndarray) else encode(sequence, record=record)
            if len(tokens) < window:
                summary.skipped.append((record, len(tokens)))
                continue
            summary.records += 1
            bar.set_description(f"scan {record}")
            for starts, logits, strand in _scored_chunks(
                model, setup, plan, tokens, window, stride, strands, alphabet, chunk_size, batch_size, device, combine,
                task, regression_loss,
            ):
                summary.windows += len(starts)
                bar.update(len(starts) * stride)
                yield ScanChunk(record, starts, logits, strand)
            summary.bases += len(tokens)
    finally:
        bar.close()
    if seen == 0:
        raise MotifnetError("no sequences to scan (no FASTA records)")
    if summary.records == 0:
        lengths = ", ".join(f"{name} ({length} bp)" for name, length in summary.skipped[:3])
        raise MotifnetError(f"every record is shorter than the {window} bp window: {lengths}")


def target_index(target_names: Sequence[str], target: str | int | None) -> int:
    """Index of ``target`` (a name or 0-based index; default: the first target).

    Raises:
        MotifnetError: an unknown target.
    """
    if target is None:
        return 0
    names = list(target_names)
    if str(target) in names:
        return names.index(str(target))
    if str(target).isdigit() and int(target) < len(names):
        return int(target)
    raise MotifnetError(f"unknown target {target!r}; the model's targets are {names[:10]}")


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "METHODS",
    "ScanChunk",
    "ScanPlan",
    "ScanSummary",
    "check_window",
    "core_and_strand_rule",
    "fast_path_available",
    "scan_records",
    "scan_tokens",
    "score_windows",
    "target_index",
    "window_count",
]
