"""Motifs from contribution scores: TF-MoDISco (modisco-lite) seqlets and patterns.

TF-MoDISco (Shrikumar et al. 2018) cuts *seqlets* (short windows of high contribution) out of
per-base contribution scores, clusters them and aggregates each cluster into a *pattern*: a
probability matrix (PPM) of the seqlets' bases and a contribution weight matrix (CWM). This is
the field's way to read motifs from deep models whose first-layer filters are only parts of
motifs (residual and recurrent networks).

:func:`find_patterns` runs modisco-lite on one-hot sequences and their hypothetical
contributions (:func:`motifnet.interpret.deeplift.deep_lift_shap` or integrated gradients with
``hypothetical=True``) and returns :class:`Pattern` objects whose seqlets are given in the
input's coordinates (row, start, end, strand); each pattern is trimmed to the columns whose
total absolute contribution reaches ``trim_threshold`` of its maximum (modisco's report rule),
and each seqlet to the same columns (its *core*: the motif instance). :func:`seqlet_table`
maps cores to genomic coordinates when the data carry them; :func:`score_seqlets` scores cores
against the true sites of simulated data.

modisco-lite clusters both strands of every seqlet; for RNA (one strand) a pattern may therefore
be found in reverse-complement orientation.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from motifnet.errors import MotifnetError

if TYPE_CHECKING:
    from motifnet.data import SeqData

TRIM_THRESHOLD = 0.3
SEQLET_DTYPE = np.dtype([("row", np.int64), ("start", np.int64), ("end", np.int64), ("strand", np.int8),
                         ("contribution", np.float64)])
"""A seqlet core: data row, 0-based half-open ``[start, end)`` in the sequence, strand (+1: the
pattern as shown; -1: its reverse complement), summed contribution over the core."""


@dataclass
class Pattern:
    """One TF-MoDISco pattern, trimmed.

    Attributes:
        name: ``pos_<k>`` (positive contributions) or ``neg_<k>``.
        ppm: base probabilities ``[4, W]``.
        cwm: contribution weight matrix ``[4, W]`` (mean observed contribution per base).
        seqlets: the cores of its seqlets (:data:`SEQLET_DTYPE`).
    """

    name: str
    ppm: np.ndarray
    cwm: np.ndarray
    seqlets: np.ndarray

    @property
    def n_seqlets(self) -> int:
        return len(self.seqlets)


def _trim_columns(cwm: np.ndarray, threshold: float) -> tuple[int, int]:
    """``[first, last + 1)`` of the columns (rows of ``cwm [W, 4]``) whose absolute contribution
    is at least ``threshold`` times the largest."""
    score = np.abs(cwm).sum(axis=1)
    keep = np.flatnonzero(score >= threshold * score.max())
    return int(keep[0]), int(keep[-1]) + 1


def _pattern(name: str, found, contributions: np.ndarray, threshold: float, length: int) -> Pattern:
    """A :class:`Pattern` from a modisco-lite SeqletSet (arrays ``[W, 4]``)."""
    first, last = _trim_columns(np.asarray(found.contrib_scores), threshold)
    ppm = np.asarray(found.sequence)[first:last].T.astype(np.float64)
    ppm = ppm / np.maximum(ppm.sum(axis=0, keepdims=True), 1e-12)
    cwm = np.asarray(found.contrib_scores)[first:last].T.astype(np.float64)
    rows = []
    for seqlet in found.seqlets:
        if seqlet.is_revcomp:
            start, end = seqlet.end - last, seqlet.end - first
        else:
            start, end = seqlet.start + first, seqlet.start + last
        start, end = max(int(start), 0), min(int(end), length)
        if end <= start:
            continue
        row = int(seqlet.example_idx)
        total = float(contributions[row, start:end].sum())
        rows.append((row, start, end, -1 if seqlet.is_revcomp else 1, total))
    seqlets = np.array(sorted(rows), dtype=SEQLET_DTYPE)
    return Pattern(name, ppm, cwm, seqlets)


SHORT = 200  # sequences shorter than this get the short-sequence windows


def window_settings(length: int) -> dict:
    """modisco-lite's windows (seqlet 21 + 2 x 10 bp, patterns trimmed to 30 + 2 x 10) for
    sequences of at least :data:`SHORT` bp; for shorter ones (100 bp ChIP-seq peaks, the
    classroom set) 15 + 2 x 5 and 20 + 2 x 5, since modisco drops every seqlet whose
    pattern-wide window runs past a sequence end (measured in docs/interpretation.md)."""
    if length >= SHORT:
        return {"window": 21, "flank": 10, "trim_window": 30, "pattern_flank": 10}
    return {"window": 15, "flank": 5, "trim_window": 20, "pattern_flank": 5}


@functools.cache
def cache_modisco_kernels() -> int:
    """Turn on numba's on-disk cache for modisco-lite's kernels (its package compiles them in every
    new process, unless it can fork helpers to fill the cache: bench_interpret's TF-MoDISco row);
    the same machine code, loaded in milliseconds after the first run. Returns the number of
    kernels whose cache was turned on (fewer when numba has nowhere to write it); once per process."""
    import importlib
    import pkgutil

    import modiscolite
    from numba.core.dispatcher import Dispatcher

    count = 0
    for info in pkgutil.iter_modules(modiscolite.__path__):
        if info.name == "cli":
            continue
        module = importlib.import_module(f"modiscolite.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and value.__module__ == module.__name__:
                try:
                    value.enable_caching()
                except RuntimeError:  # no writable cache location: compile in the process as before
                    return count
                count += 1
    return count


def find_patterns(
    one_hot,
    hypothetical,
    max_seqlets: int = 2000,
    window: int | None = None,
    flank: int | None = None,
    trim_window: int | None = None,
    pattern_flank: int | None = None,
    n_leiden_runs: int = 2,
    trim_threshold: float = TRIM_THRESHOLD,
    min_seqlets: int = 20,
    quiet: bool = True,
) -> list[Pattern]:
    """TF-MoDISco patterns from one-hot sequences and their hypothetical contributions.

    Args:
        one_hot: ``[N, 4, L]`` (tensor or array).
        hypothetical: hypothetical contributions ``[N, 4, L]``; the observed contributions are
            ``one_hot * hypothetical``.
        max_seqlets: seqlets clustered per sign (modisco's ``max_seqlets_per_metacluster``).
        window, flank: seqlet window and the flank added on each side; trim_window,
            pattern_flank: the window a pattern is trimmed to (most information) and the flank
            added to it. None: :func:`window_settings` for the sequences' length.
        n_leiden_runs: Leiden clusterings kept per step (modisco-lite's default is 50; 2 gives
            the same patterns on the data tested here in a fraction of the time).
        trim_threshold: columns kept where the absolute contribution reaches this fraction of
            the pattern's largest.
        min_seqlets: the fewest seqlets of a sign for which clustering is tried, and of a pattern.

    Returns:
        Patterns, positive ones first, each in modisco's order (most seqlets first); an empty
        list when no sign has enough seqlets.

    Raises:
        MotifnetError: arrays of different or wrong shapes.
    """
    from modiscolite.tfmodisco import TFMoDISco

    cache_modisco_kernels()
    x = np.asarray(one_hot, dtype=np.float32)
    scores = np.asarray(hypothetical, dtype=np.float32)
    if x.ndim != 3 or x.shape[1] != 4 or scores.shape != x.shape:
        raise MotifnetError(f"find_patterns needs one-hot and hypothetical contributions [N, 4, L] of one shape, "
                            f"got {x.shape} and {scores.shape}")
    settings = window_settings(x.shape[2])
    window = settings["window"] if window is None else window
    flank = settings["flank"] if flank is None else flank
    trim_window = settings["trim_window"] if trim_window is None else trim_window
    pattern_flank = settings["pattern_flank"] if pattern_flank is None else pattern_flank
    if x.shape[2] < window + 2 * flank:
        raise MotifnetError(f"sequences of {x.shape[2]} bp are shorter than a seqlet ({window} + 2 x {flank} bp)")
    observed = (x * scores).sum(axis=1)  # [N, L]
    if not observed.any():
        return []
    try:
        positive, negative = TFMoDISco(
            one_hot=np.ascontiguousarray(x.transpose(0, 2, 1)),
            hypothetical_contribs=np.ascontiguousarray(scores.transpose(0, 2, 1)),
            sliding_window_size=window, flank_size=flank, trim_to_window_size=trim_window,
            initial_flank_to_add=pattern_flank, max_seqlets_per_metacluster=max_seqlets,
            min_metacluster_size=min_seqlets, final_min_cluster_size=min_seqlets, n_leiden_runs=n_leiden_runs,
            verbose=not quiet)
    except ValueError as error:  # modisco raises when no window passes its threshold
        if "seqlet" in str(error).lower() or "empty" in str(error).lower():
            return []
        raise
    patterns = []
    for sign, found in (("pos", positive), ("neg", negative)):
        for k, pattern in enumerate(found or []):
            patterns.append(_pattern(f"{sign}_{k}", pattern, observed, trim_threshold, x.shape[2]))
    return patterns


def write_meme(patterns: Sequence[Pattern], path: str | os.PathLike, alphabet: str = "DNA"):
    """The patterns' PPMs as a MEME file (motif ids the pattern names, ``nsites`` the seqlet counts)."""
    from motifnet.io.motif_files import write_meme as write_motifs
    from motifnet.motifs import Motif

    motifs = [Motif(p.ppm, id=p.name, nsites=max(p.n_seqlets, 1)) for p in patterns]
    return write_motifs(motifs, path, alphabet="ACGU" if alphabet == "RNA" else "ACGT")


def seqlet_table(patterns: Sequence[Pattern], data: "SeqData", rows: np.ndarray) -> list[dict]:
    """One row per seqlet core: pattern, record id, strand, start, end in the sequence, summed
    contribution; and ``chrom``, ``genome_start``, ``genome_end``, ``genome_strand`` when the
    data carry ``chrom``/``start``/``end`` annotations (records of '-' intervals were
    reverse-complemented, so their cores are mapped back from the interval's end).

    Args:
        rows: data row of each explained sequence (``seqlets['row']`` indexes it).
    """
    annotations = data.annotations
    genomic = all(key in annotations for key in ("chrom", "start", "end"))
    table = []
    for pattern in patterns:
        for seqlet in pattern.seqlets:
            row = int(rows[seqlet["row"]])
            strand = "+" if seqlet["strand"] > 0 else "-"
            entry = {"pattern": pattern.name, "id": str(data.ids[row]), "strand": strand,
                     "start": int(seqlet["start"]), "end": int(seqlet["end"]),
                     "contribution": round(float(seqlet["contribution"]), 6)}
            if genomic:
                begin, finish = int(annotations["start"][row]), int(annotations["end"][row])
                minus = "strand" in annotations and str(annotations["strand"][row]) == "-"
                if minus:
                    start, end = finish - entry["end"], finish - entry["start"]
                    strand = "-" if strand == "+" else "+"
                else:
                    start, end = begin + entry["start"], begin + entry["end"]
                entry.update(chrom=str(annotations["chrom"][row]), genome_start=start, genome_end=end,
                             genome_strand=strand)
            table.append(entry)
    return table


def write_seqlets(table: list[dict], out: str | os.PathLike) -> None:
    """``seqlets.tsv`` (every column of :func:`seqlet_table`) and ``seqlets.bed`` (BED6 of the
    cores: genomic when known, else the record id as the chromosome) into ``out``, atomically."""
    from pathlib import Path

    from motifnet.io.files import atomic_write

    out = Path(out)
    columns = ["pattern", "id", "strand", "start", "end", "contribution"]
    if table and "chrom" in table[0]:
        columns += ["chrom", "genome_start", "genome_end", "genome_strand"]
    with atomic_write(out / "seqlets.tsv") as handle:
        handle.write("\t".join(columns) + "\n")
        for entry in table:
            handle.write("\t".join(str(entry[c]) for c in columns) + "\n")
    with atomic_write(out / "seqlets.bed") as handle:
        for entry in table:
            if "chrom" in entry:
                place = (entry["chrom"], entry["genome_start"], entry["genome_end"], entry["genome_strand"])
            else:
                place = (entry["id"], entry["start"], entry["end"], entry["strand"])
            handle.write(f"{place[0]}\t{place[1]}\t{place[2]}\t{entry['pattern']}\t{entry['contribution']:.4g}\t"
                         f"{place[3]}\n")


def score_seqlets(patterns: Sequence[Pattern], sites: np.ndarray, rows: np.ndarray) -> dict:
    """Seqlet cores against true sites: precision (fraction of cores whose centre lies in a true
    site of the same sequence) and recall (fraction of the explained sequences' sites whose centre
    a core covers).

    Args:
        sites: true sites (:data:`motifnet.data.SITE_DTYPE`, ``sequence`` = data row).
        rows: data row of each explained sequence.
    """
    explained = np.asarray(rows, dtype=np.int64)
    in_rows = sites[np.isin(sites["sequence"], explained)]
    position = {int(row): k for k, row in enumerate(explained)}
    by_row: dict[int, list[tuple[int, int]]] = {}
    for site in in_rows:
        by_row.setdefault(position[int(site["sequence"])], []).append((int(site["start"]), int(site["end"])))
    cores = np.concatenate([p.seqlets for p in patterns]) if patterns else np.zeros(0, SEQLET_DTYPE)
    on_site = [any(a <= (s["start"] + s["end"]) // 2 < b for a, b in by_row.get(int(s["row"]), ()))
               for s in cores]
    covered = 0
    core_spans: dict[int, list[tuple[int, int]]] = {}
    for s in cores:
        core_spans.setdefault(int(s["row"]), []).append((int(s["start"]), int(s["end"])))
    for row, spans in by_row.items():
        for a, b in spans:
            centre = (a + b) // 2
            covered += any(s <= centre < e for s, e in core_spans.get(row, ()))
    return {
        "n_seqlets": int(len(cores)),
        "seqlet_precision": float(np.mean(on_site)) if len(cores) else None,
        "n_sites": int(len(in_rows)),
        "site_recall": covered / len(in_rows) if len(in_rows) else None,
    }
