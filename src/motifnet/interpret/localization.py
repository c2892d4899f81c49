"""Where does the model look? Predicted sites from attributions or first-layer activations,
scored against the true sites of simulated data.

A predicted site is the window of ``width`` positions with the largest summed score; it *hits*
a true site ``[start, end)`` when the predicted window's centre lies inside it (with ``width``
equal to the site's length: more than half of the two windows overlap). The distance is the
signed offset between the two centres (predicted - true), in positions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.devices import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    import torch
    from torch import nn


def best_windows(scores: np.ndarray, width: int | np.ndarray) -> np.ndarray:
    """Start of the highest-scoring window of ``width`` positions in each row.

    Args:
        scores: float ``[N, L]`` per-position scores.
        width: one width or one per row ``[N]`` (clipped to ``1..L``).

    Returns:
        int64 ``[N]`` starts in ``0..L-width``. When neighbouring windows tie (a single peak
        inside all of them), the middle one of the leftmost run of tied windows is taken, so the
        window is centred on the peak.
    """
    scores = np.asarray(scores, dtype=np.float64)
    n, length = scores.shape
    widths = np.clip(np.broadcast_to(np.asarray(width, dtype=np.int64), (n,)), 1, max(length, 1))
    cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(scores, axis=1)], axis=1)
    starts = np.zeros(n, dtype=np.int64)
    for w in np.unique(widths):
        rows = np.flatnonzero(widths == w)
        sums = cumulative[rows, w:] - cumulative[rows, : length - w + 1]
        tied = sums >= sums.max(axis=1, keepdims=True) - 1e-9 * np.abs(sums).max(axis=1, keepdims=True)
        first = np.argmax(tied, axis=1)
        for k, row in enumerate(rows):
            last = first[k]
            while last + 1 < tied.shape[1] and tied[k, last + 1]:
                last += 1
            starts[row] = (first[k] + last) // 2
    return starts


@dataclass
class Localization:
    """Predicted vs true sites.

    Attributes:
        predicted_start: int64 ``[S]`` start of the predicted window for each scored site.
        true_start, true_end: int64 ``[S]``; sequence: int64 ``[S]`` row of each site.
        hit: bool ``[S]``; distance: float64 ``[S]`` predicted centre - true centre.
        chance: expected hit rate of a uniformly random window (same widths and lengths).
    """

    sequence: np.ndarray
    predicted_start: np.ndarray
    true_start: np.ndarray
    true_end: np.ndarray
    hit: np.ndarray
    distance: np.ndarray
    chance: float

    @property
    def hit_rate(self) -> float:
        return float(self.hit.mean()) if len(self.hit) else float("nan")

    def summary(self) -> dict:
        """JSON-ready numbers: n, hit rate, chance, |distance| median/mean, quantiles, histogram."""
        distance = np.abs(self.distance)
        edges = np.array([0, 1, 2, 5, 10, 20, 50, np.inf])
        histogram = np.histogram(distance, bins=edges)[0] if len(distance) else np.zeros(len(edges) - 1)
        return {
            "n_sites": int(len(self.hit)),
            "hit_rate": self.hit_rate,
            "chance_hit_rate": self.chance,
            "median_abs_distance": float(np.median(distance)) if len(distance) else None,
            "mean_abs_distance": float(distance.mean()) if len(distance) else None,
            "distance_quantiles": {
                str(q): float(np.quantile(self.distance, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)
            }
            if len(distance)
            else {},
            "abs_distance_histogram": {
                f"[{int(lo)}, {hi if np.isinf(hi) else int(hi)})": int(c)
                for lo, hi, c in zip(edges[:-1], edges[1:], histogram)
            },
        }


def localize(
    scores: np.ndarray,
    sites: np.ndarray,
    width: int | None = None,
    rows: np.ndarray | None = None,
    peak: bool = False,
) -> Localization:
    """Score predicted sites against true sites.

    Args:
        scores: float ``[M, L]`` per-position scores of the sequences holding the sites.
        sites: structured array with fields 'start' and 'end' (``motifnet.data.SITE_DTYPE``),
            one per row of ``scores`` (``[M]``), or a ``rows`` array saying which score row
            belongs to each site.
        width: predicted window width (default: each true site's own length).
        rows: row of ``scores`` for each site ``[S]`` (default: ``arange(len(sites))``).
        peak: centre the predicted window on the single highest position instead of taking the
            best-scoring window (for peaked scores such as :func:`activation_scores`, which
            already sit at window centres).

    Raises:
        MotifnetError: sites and scores do not line up.
    """
    scores = np.asarray(scores, dtype=np.float64)
    rows = np.arange(len(sites)) if rows is None else np.asarray(rows, dtype=np.int64)
    if len(rows) != len(sites) or (len(rows) and rows.max() >= len(scores)):
        raise MotifnetError(f"{len(sites)} sites do not line up with {len(scores)} score rows")
    start = np.asarray(sites["start"], dtype=np.int64)
    end = np.asarray(sites["end"], dtype=np.int64)
    widths = (end - start) if width is None else np.full(len(sites), int(width), dtype=np.int64)
    length = scores.shape[1]
    if peak:
        predicted = np.argmax(scores[rows], axis=1) - widths // 2 if len(rows) else np.zeros(0, dtype=np.int64)
    else:
        predicted = best_windows(scores[rows], widths) if len(rows) else np.zeros(0, dtype=np.int64)
    centre = predicted + widths / 2.0
    true_centre = (start + end) / 2.0
    hit = (centre >= start) & (centre < end)
    # Chance: predicted starts uniform over 0..L-w; count those whose centre falls in the site.
    possible = np.maximum(length - widths + 1, 1)
    low = np.clip(np.ceil(start - widths / 2.0), 0, possible)
    high = np.clip(np.ceil(end - widths / 2.0), 0, possible)
    chance = float(np.mean((high - low) / possible)) if len(rows) else float("nan")
    return Localization(rows, predicted, start, end, hit, centre - true_centre, chance)


def activation_scores(model_or_conv: nn.Module, x, filters=None, centres=None,
                      batch_size: int = DEFAULT_BATCH_SIZE, device: torch.device | str | None = None) -> np.ndarray:
    """Per-position scores ``[N, L]`` from first-layer activations: at each position, the largest
    activation (relative to each filter's maximum over ``x``) of the chosen ``filters`` (default
    all) whose motif centre falls there.

    Args:
        model_or_conv: a model or its first ``nn.Conv1d``.
        x: one-hot ``[N, 4, L]`` or tokens ``[N, L]``.
        filters: filter indices to use (e.g. those matching the motif of interest).
        centres: for each chosen filter, the column of its window where the motif's centre lies
            (e.g. from the Tomtom alignment; a float is rounded down); default the window's middle.
    """
    import torch
    from torch import nn

    from motifnet.interpret.attribution import _as_one_hot
    from motifnet.interpret.filters import FilterScanner, first_conv
    from motifnet.predict import forward_batches

    x = _as_one_hot(x)
    conv = model_or_conv if isinstance(model_or_conv, nn.Conv1d) else first_conv(model_or_conv)
    scanner = FilterScanner(conv, device=device)
    chosen = None if filters is None else torch.as_tensor(np.asarray(filters, dtype=np.int64))

    def chosen_activations(_conv, batch):  # [B, F', L']
        act = scanner.activations(batch)
        return act if chosen is None else act[:, chosen.to(act.device)]

    act = forward_batches(conv, x, chosen_activations, batch_size=batch_size, device=scanner.device)  # [N, F', L']
    scale = act.amax(dim=(0, 2), keepdim=True).clamp(min=1e-12)
    relative = (act / scale).numpy()
    length = x.shape[-1]
    span = scanner.dilation * (scanner.length - 1) + 1
    n_chosen = relative.shape[1]
    offsets = np.full(n_chosen, span // 2) if centres is None else np.floor(np.asarray(centres, dtype=float)).astype(np.int64)
    if len(offsets) != n_chosen:
        raise MotifnetError(f"{len(offsets)} centres for {n_chosen} filters")
    starts = scanner.starts(relative.shape[2])
    floor = float(relative.min()) if relative.size else 0.0
    scores = np.full((len(x), length), floor)
    for f in range(n_chosen):
        positions = starts + offsets[f] * scanner.dilation
        valid = (positions >= 0) & (positions < length)
        scores[:, positions[valid]] = np.maximum(scores[:, positions[valid]], relative[:, f, valid])
    return scores
