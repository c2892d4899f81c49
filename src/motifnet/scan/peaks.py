"""Peaks of a genome scan: runs of windows scoring at least a threshold, merged while streaming."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Peak:
    """A merged run of windows scoring at least the threshold.

    Attributes:
        record, start, end: 0-based half-open span covering the merged windows.
        score: the best window's score; best_start: that window's start; strand: +1 / -1 / 0.
    """

    record: str
    start: int
    end: int
    score: float
    best_start: int
    strand: int

    def bed(self, index: int, window: int) -> str:
        """A narrowPeak-style BED line (BED6+4): name, score 0-1000, strand, signal, -1, -1, summit."""
        strand = {1: "+", -1: "-"}.get(self.strand, ".")
        score = int(round(1000 * min(1.0, max(0.0, self.score))))
        summit = self.best_start + window // 2 - self.start
        return (
            f"{self.record}\t{self.start}\t{self.end}\tpeak_{index}\t{score}\t{strand}\t"
            f"{self.score:.6g}\t-1\t-1\t{summit}\n"
        )


class PeakCaller:
    """Merge windows whose score is at least ``threshold`` into peaks, streaming over chunks.

    Windows ``[s, s + window)`` above the threshold merge when they overlap or touch; a peak
    keeps its best window (position, score, strand). Feed chunks in order with :meth:`add`, then
    call :meth:`finish`.
    """

    def __init__(self, threshold: float, window: int) -> None:
        self.threshold = float(threshold)
        self.window = int(window)
        self.open: Peak | None = None

    def add(self, record: str, starts: np.ndarray, scores: np.ndarray, strand: np.ndarray) -> list[Peak]:
        """Add one chunk (``scores`` float ``[n]``, ``strand`` int8 ``[n]``); return the peaks it closed."""
        closed: list[Peak] = []
        if self.open is not None and self.open.record != record:
            closed.append(self.open)
            self.open = None
        above = np.flatnonzero(np.asarray(scores) >= self.threshold)
        if not len(above):
            return closed
        s = starts[above]
        breaks = np.flatnonzero(s[1:] > s[:-1] + self.window) + 1
        bounds = np.concatenate([[0], breaks, [len(s)]])
        for a, b in zip(bounds[:-1], bounds[1:]):
            group = above[a:b]
            best = group[int(np.argmax(scores[group]))]
            peak = Peak(record, int(s[a]), int(s[b - 1]) + self.window, float(scores[best]), int(starts[best]),
                        int(strand[best]))
            if self.open is not None and peak.start <= self.open.end:
                if peak.score > self.open.score:
                    self.open.score, self.open.best_start, self.open.strand = peak.score, peak.best_start, peak.strand
                self.open.end = peak.end
                continue
            if self.open is not None:
                closed.append(self.open)
            self.open = peak
        return closed

    def finish(self) -> list[Peak]:
        """The last open peak, if any."""
        closed = [self.open] if self.open is not None else []
        self.open = None
        return closed


__all__ = ["Peak", "PeakCaller"]
