"""Sequence logos (logomaker): learned filters beside their best database match, and attribution
maps drawn as logos along the sequence.

Each ``*_figure`` function returns a ``matplotlib.figure.Figure`` (made without pyplot, so no
global state or display is needed) for embedding in a report; :func:`save_figure` writes it as
PNG and/or SVG, atomically.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from motifnet.errors import MotifnetError

_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


def _information_matrix(probabilities: np.ndarray):
    """A logomaker DataFrame ``[k, ACGT]`` of letter heights in bits from a PPM ``[4, k]``."""
    import pandas as pd

    from motifnet.interpret.filters import information_content

    probabilities = np.asarray(probabilities, dtype=np.float64)
    heights = probabilities * information_content(probabilities)[None, :]
    return pd.DataFrame(heights.T, columns=list("ACGT"))


def _draw(ax, frame, title: str | None = None, ylabel: str = "bits", letters: str = "ACGT") -> None:
    import logomaker

    frame = frame.copy()
    frame.columns = list(letters)
    colors = {new: _COLORS[old] for new, old in zip(letters, "ACGT")}
    logomaker.Logo(frame, ax=ax, color_scheme=colors, show_spines=False)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)


def _figure(width: float, height: float, rows: int = 1, cols: int = 1):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False)
    return figure, axes


def motif_logo_figure(probabilities: np.ndarray, title: str | None = None, alphabet: str = "DNA"):
    """One motif as an information-content logo. ``probabilities``: PPM ``[4, k]``."""
    probabilities = np.asarray(probabilities)
    figure, axes = _figure(max(2.5, 0.3 * probabilities.shape[-1]), 1.8)
    _draw(axes[0, 0], _information_matrix(probabilities), title, letters=_letters(alphabet))
    axes[0, 0].set_ylim(0, 2)
    return figure


def _letters(alphabet: str) -> str:
    return "ACGU" if alphabet.upper() == "RNA" else "ACGT"


def aligned_pair(query: np.ndarray, target: np.ndarray, offset: int, strand: str) -> tuple[np.ndarray, np.ndarray]:
    """Pad a query PPM and a target PPM (``[4, k]`` each) with NaN columns so they line up as
    Tomtom aligned them (memelite's offset: the column of the target, reverse-complemented for
    strand '-', that faces the query's first column). Returns two ``[4, w]`` arrays (NaN = no
    column)."""
    target = np.asarray(target, dtype=np.float64)
    if strand == "-":
        target = target[::-1, ::-1]
    query = np.asarray(query, dtype=np.float64)
    q_start, t_start = (offset, 0) if offset >= 0 else (0, -offset)
    width = max(q_start + query.shape[1], t_start + target.shape[1])
    out_q = np.full((4, width), np.nan)
    out_t = np.full((4, width), np.nan)
    out_q[:, q_start : q_start + query.shape[1]] = query
    out_t[:, t_start : t_start + target.shape[1]] = target
    return out_q, out_t


def filter_match_figure(
    query: np.ndarray,
    query_name: str,
    target: np.ndarray | None = None,
    target_name: str | None = None,
    offset: int = 0,
    strand: str = "+",
    e_value: float | None = None,
    alphabet: str = "DNA",
):
    """A learned filter's logo above its best database match, aligned as Tomtom aligned them.

    Args:
        query: learned PPM ``[4, k]``; target: the match's PPM ``[4, k']`` or None (filter alone).
        offset, strand: the alignment from the Tomtom table.
        alphabet: of the filter, "DNA" (A C G T) or "RNA" (A C G U); the match is drawn in its
            database's DNA letters.
    """
    if target is None:
        return motif_logo_figure(query, query_name, alphabet)
    q, t = aligned_pair(query, target, offset, strand)
    figure, axes = _figure(max(3.0, 0.32 * q.shape[1]), 3.4, rows=2)
    _draw(axes[0, 0], _information_matrix(np.nan_to_num(q, nan=0.25)), f"{query_name} (learned)",
          letters=_letters(alphabet))
    match = f"{target_name} ({'reverse complement' if strand == '-' else 'forward'})"
    if e_value is not None:
        match += f", E = {e_value:.2g}"
    _draw(axes[1, 0], _information_matrix(np.nan_to_num(t, nan=0.25)), match)
    for ax in axes[:, 0]:
        ax.set_ylim(0, 2)
        ax.set_xlim(-0.5, q.shape[1] - 0.5)
    return figure


def attribution_figure(
    attributions: np.ndarray,
    title: str | None = None,
    site: tuple[int, int] | None = None,
    predicted: tuple[int, int] | None = None,
    alphabet: str = "DNA",
    site_label: str = "true site",
):
    """An attribution map ``[4, L]`` drawn as a logo along the sequence (letters scaled by their
    attribution, negative below the axis), the true site shaded when known and the predicted site
    outlined, with their legend to the right of the letters.

    Args:
        site, predicted: 0-based half-open ``(start, end)`` intervals.
    """
    import pandas as pd

    attributions = np.asarray(attributions, dtype=np.float64)
    if attributions.ndim != 2 or attributions.shape[0] != 4:
        raise MotifnetError(f"an attribution map must be [4, L], got shape {attributions.shape}")
    length = attributions.shape[1]
    figure, axes = _figure(max(6.0, min(0.09 * length, 24.0)), 1.9)
    ax = axes[0, 0]
    _draw(ax, pd.DataFrame(attributions.T, columns=list("ACGT")), title, "attribution", _letters(alphabet))
    if site is not None:
        ax.axvspan(site[0] - 0.5, site[1] - 0.5, color="#7fbf7f", alpha=0.25, lw=0, label=site_label)
    if predicted is not None:
        ax.axvspan(predicted[0] - 0.5, predicted[1] - 0.5, fill=False, ec="#444444", ls="--", lw=1,
                   label="predicted site")
    if site is not None or predicted is not None:  # beside the letters: "best" would test every glyph (seconds)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    ax.set_xlim(-0.5, length - 0.5)
    ax.set_xlabel("position")
    return figure


def save_figure(figure, path: str | os.PathLike, formats: Sequence[str] = ("png", "svg"), dpi: int = 120) -> list[Path]:
    """Write ``figure`` as ``path.png`` / ``path.svg`` (suffix of ``path`` replaced), atomically;
    the figure's layout is fixed by the first format written.

    Raises:
        MotifnetError: an unknown format or an unwritable folder.
    """
    from motifnet.io.files import atomic_write

    written = []
    base = Path(path)
    for fmt in formats:
        if fmt not in ("png", "svg", "pdf"):
            raise MotifnetError(f"unknown figure format {fmt!r}; expected png, svg or pdf")
        target = base.with_suffix(f".{fmt}")
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, dpi=dpi)
        figure.set_layout_engine("none")  # the layout of the first format serves the others
        with atomic_write(target, "wb") as handle:
            handle.write(buffer.getvalue())
        written.append(target)
    return written


def match_logos(result, queries: Sequence[np.ndarray], order: Sequence[int], out: str | os.PathLike,
                formats: Sequence[str], kind: str, prefix: str, alphabet: str = "DNA") -> list[dict]:
    """Query ``q`` of ``order`` drawn above its best Tomtom match as ``out/<prefix><name>``.

    Args:
        result: a :class:`motifnet.interpret.tomtom.TomtomResult` of ``queries``.
        kind, prefix: the figures' kind in the report ('filters', 'patterns') and file prefix.

    Returns:
        The figures' ``{file, kind, caption}`` (``file`` relative to ``out``'s parent).
    """
    best = result.best()
    database = result.targets
    figures = []
    for q in order:
        t, name = best[q], result.query_names[q]
        e_value = float(result.e_values[q, t])
        figure = filter_match_figure(queries[q], name, database.probabilities[t], f"{database.ids[t]} {database.names[t]}",
                                     int(result.offsets[q, t]), "-" if result.strands[q, t] else "+", e_value, alphabet)
        save_figure(figure, Path(out) / f"{prefix}{name}", formats)
        figures.append({"file": f"{Path(out).name}/{prefix}{name}.png", "kind": kind,
                        "caption": f"{name} vs {database.names[t]} (E = {e_value:.2g})"})
    return figures
