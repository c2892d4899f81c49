"""Tomtom (memelite, no MEME binaries) of learned motifs against JASPAR or a MEME file.

Queries and targets are position probability matrices ``[4, k]`` (A, C, G, T rows).
memelite's Tomtom builds each query column's null distribution from all target columns, so
p-values are meaningful only against a full database (hundreds of motifs), not a handful.

- p-value: memelite's, for the best alignment over offsets and both strands;
- E-value: p-value x number of targets (as MEME's tomtom);
- q-value: Benjamini-Hochberg over all query x target p-values of the comparison.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from motifnet.errors import MotifnetError

DEFAULT_RELEASE = "JASPAR2024"
DEFAULT_E_VALUE = 0.1


@dataclass
class MotifSet:
    """Named PPMs: ``ids[i]``, ``names[i]`` and ``probabilities[i]`` ``[4, k_i]``."""

    ids: list[str]
    names: list[str]
    probabilities: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, key: str) -> int:
        """Index of the motif whose id (with or without version) or name is ``key``.

        Raises:
            MotifnetError: no motif has that id or name.
        """
        for i in matching(self, key):
            return i
        raise MotifnetError(f"no motif {key!r} among {len(self)} motifs")


def matching(motifs: MotifSet, key: str, exact: bool = False) -> list[int]:
    """Indices of motifs matching ``key``: by matrix id when ``key`` holds one ('MA0139.2 CTCF',
    'MA0139') and some motif has it, otherwise by name (case-insensitive; 'CTCF' matches every
    CTCF matrix, including the extended MA1929/MA1930).

    Ids match version-insensitively ('MA0466.2' finds MA0466.4) unless ``exact``: then a
    versioned id matches only that very version, with no fallback to the name."""
    words = {w.upper() for w in re.split(r"[\s|/_]+", str(key)) if w}
    versioned = {w for w in words if re.fullmatch(r"[A-Z]{2}\d{4}\.\d+", w)}
    if exact and versioned:
        return [i for i, motif_id in enumerate(motifs.ids) if motif_id.upper() in versioned]
    stems = {w.split(".")[0] for w in words if re.fullmatch(r"[A-Z]{2}\d{4}(\.\d+)?", w)}
    by_id = [i for i, motif_id in enumerate(motifs.ids) if motif_id.upper().split(".")[0] in stems]
    if by_id:
        return by_id
    return [i for i, name in enumerate(motifs.names) if name.upper() in words]


def _as_ppm(matrix: np.ndarray) -> np.ndarray:
    if matrix.ndim != 2 or 4 not in matrix.shape:
        raise MotifnetError(f"a motif matrix must be [4, k], got shape {matrix.shape}")
    if matrix.shape[0] != 4:
        matrix = matrix.T
    totals = matrix.sum(axis=0, keepdims=True)
    return matrix / np.where(totals > 0, totals, 1.0)


def motif_set(motifs: Sequence) -> MotifSet:
    """A MotifSet from ``motifnet.motifs.Motif`` objects."""
    return MotifSet([m.id for m in motifs], [m.name for m in motifs], [np.asarray(m.probabilities) for m in motifs])


def load_database(
    database: str | os.PathLike = DEFAULT_RELEASE,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
) -> MotifSet:
    """Target motifs: a motif file (MEME, JASPAR or TRANSFAC; if ``database`` is an existing
    path) or a JASPAR release (e.g. 'JASPAR2024', 'JASPAR2022') through pyjaspar, offline.

    Raises:
        MotifnetError: an unreadable motif file, an unknown release or an empty selection.
    """
    from motifnet import jaspar
    from motifnet.io.motif_files import read_motifs

    path = Path(database)
    if path.exists():
        motifs = read_motifs(path)
    else:
        motifs = jaspar.database(release=str(database), collection=collection, tax_group=tax_group)
    if len(motifs) == 0:
        raise MotifnetError(f"no target motifs in {database} ({collection}, {tax_group})")
    return motif_set(motifs)


@dataclass
class TomtomResult:
    """All query x target comparisons.

    Attributes:
        p_values, e_values, q_values, scores: float64 ``[Q, T]``.
        offsets, overlaps: int64 ``[Q, T]`` (memelite's alignment offset and overlap length).
        strands: int8 ``[Q, T]``: 0 the target as given, 1 its reverse complement.
        query_names: ``[Q]``; targets: the :class:`MotifSet` compared against.
    """

    p_values: np.ndarray
    e_values: np.ndarray
    q_values: np.ndarray
    scores: np.ndarray
    offsets: np.ndarray
    overlaps: np.ndarray
    strands: np.ndarray
    query_names: list[str]
    targets: MotifSet

    def best(self) -> np.ndarray:
        """Index of each query's best target (smallest p-value) ``[Q]``."""
        return np.argmin(self.p_values, axis=1)

    def table(self, top: int = 1) -> list[dict]:
        """The ``top`` best matches of each query as rows (query, rank, target_id, target_name,
        p_value, e_value, q_value, offset, overlap, strand '+'/'-')."""
        rows = []
        order = np.argsort(self.p_values, axis=1, kind="stable")[:, :top]
        for q, name in enumerate(self.query_names):
            for rank, t in enumerate(order[q], start=1):
                rows.append(
                    {
                        "query": name,
                        "rank": rank,
                        "target_id": self.targets.ids[t],
                        "target_name": self.targets.names[t],
                        "p_value": float(self.p_values[q, t]),
                        "e_value": float(self.e_values[q, t]),
                        "q_value": float(self.q_values[q, t]),
                        "offset": int(self.offsets[q, t]),
                        "overlap": int(self.overlaps[q, t]),
                        "strand": "-" if self.strands[q, t] else "+",
                    }
                )
        return rows


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values of any-shaped p-values (same shape)."""
    flat = np.asarray(p_values, dtype=np.float64).ravel()
    order = np.argsort(flat)
    ranked = flat[order] * len(flat) / np.arange(1, len(flat) + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(flat)
    q[order] = np.minimum(ranked, 1.0)
    return q.reshape(np.shape(p_values))


def tomtom(
    queries: Sequence[np.ndarray],
    targets: MotifSet,
    query_names: Sequence[str] | None = None,
    n_jobs: int = -1,
    reverse_complement: bool = True,
) -> TomtomResult:
    """Compare query PPMs (each ``[4, k]``) with every target, on both strands, or as given only
    (``reverse_complement=False``: RNA, which has one strand).

    Raises:
        MotifnetError: no queries, or a query or target that is all zeros.
    """
    from memelite import tomtom as memelite_tomtom

    if len(queries) == 0:
        raise MotifnetError("no query motifs to compare")
    names = list(query_names) if query_names is not None else [f"query{i}" for i in range(len(queries))]
    queries = [_as_ppm(np.asarray(q, dtype=np.float64)) for q in queries]
    target_matrices = [np.ascontiguousarray(t, dtype=np.float64) for t in targets.probabilities]
    if any(not q.any() for q in queries):
        raise MotifnetError("a query motif is all zeros")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="tomtom was given")
        p, scores, offsets, overlaps, strands = memelite_tomtom(
            [np.asfortranarray(q) for q in queries], target_matrices, reverse_complement=reverse_complement, n_jobs=n_jobs
        )
    p = np.clip(np.nan_to_num(p, nan=1.0), 0.0, 1.0)
    return TomtomResult(
        p_values=p,
        e_values=p * len(targets),
        q_values=benjamini_hochberg(p),
        scores=scores,
        offsets=offsets.astype(np.int64),
        overlaps=overlaps.astype(np.int64),
        strands=strands.astype(np.int8),
        query_names=names,
        targets=targets,
    )


def write_table(rows: list[dict], path: str | os.PathLike) -> Path:
    """Write match rows (from :meth:`TomtomResult.table`) as a TSV file, atomically."""
    from motifnet.io.files import atomic_write

    columns = ["query", "rank", "target_id", "target_name", "p_value", "e_value", "q_value", "offset", "overlap", "strand"]
    with atomic_write(path) as handle:
        handle.write("\t".join(columns) + "\n")
        for row in rows:
            handle.write("\t".join(f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c]) for c in columns) + "\n")
    return Path(path)


def informative_queries(
    probabilities: np.ndarray,
    n_sites: np.ndarray | None = None,
    min_sites: int = 10,
    edge_information: float = 0.2,
    min_columns: int = 4,
    min_mean_information: float = 0.5,
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Pick and trim filter PPMs worth comparing with a database.

    Near-uniform columns match the long, low-information JASPAR entries (e.g. the extended CTCF
    matrices MA1929/MA1930) with small p-values under Tomtom's Euclidean score, so a filter that
    learned nothing would "match" them. Edge columns below ``edge_information`` bits are trimmed;
    a filter is kept if it counted at least ``min_sites`` windows and its trimmed matrix has at
    least ``min_columns`` columns averaging ``min_mean_information`` bits.

    Args:
        probabilities: PPMs ``[F, 4, k]``.
        n_sites: windows counted per filter ``[F]`` (default: all pass).

    Returns:
        ``(kept indices [F'], trimmed PPMs, first kept column of each [F'])``.
    """
    from motifnet.interpret.filters import information_content, trim

    kept, trimmed, starts = [], [], []
    for i, matrix in enumerate(probabilities):
        if n_sites is not None and n_sites[i] < min_sites:
            continue
        part, start = trim(matrix, edge_information)
        information = information_content(part)
        if part.shape[-1] >= min_columns and information.mean() >= min_mean_information and information.max() >= edge_information:
            kept.append(i)
            trimmed.append(part)
            starts.append(start)
    return np.asarray(kept, dtype=np.int64), trimmed, np.asarray(starts, dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# Scoring against known truth (simulated data)


@dataclass
class Recovery:
    """How well learned filters match the true motifs of a simulated data set.

    Attributes:
        filter_match_fraction: fraction of (informative) filters matching a true motif.
        motif_recovery_fraction: fraction of true motifs that are the best match of >= 1 filter.
        recovered: true motif name -> filters (names) whose best significant match it is.
        n_filters: filters scored; n_matching: of them, matching a true motif.
    """

    filter_match_fraction: float
    motif_recovery_fraction: float
    recovered: dict[str, list[str]]
    n_filters: int
    n_matching: int
    e_value: float
    criterion: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def recovery(
    result: TomtomResult,
    true_motifs: Sequence[str],
    e_value: float = DEFAULT_E_VALUE,
    criterion: str = "best",
    queries: Sequence[int] | None = None,
) -> Recovery:
    """Score Tomtom matches against the true motifs.

    ``true_motifs`` are keys: 'MA0466.2 CEBPB' (an id with a version) matches exactly that matrix
    and nothing else (use :func:`motifnet.interpret.truth.true_motifs` and
    :func:`~motifnet.interpret.truth.with_true_motifs` for simulated data, so the matrices the
    simulator embedded are the ones in the database); an id without version or a bare name
    ('CTCF') matches every matrix of that id or name.

    A true motif is *recovered* when it is the best Tomtom match (E < ``e_value``) of some filter.
    A filter *matches* a true motif when, with ``criterion='best'``, its best match is a true
    motif with E < ``e_value``; with ``criterion='any'`` (Koo & Eddy's looser reading), when any
    of its matches with E < ``e_value`` is a true motif.

    Raises:
        MotifnetError: a true motif is not among the targets, or an unknown criterion.
    """
    if criterion not in ("best", "any"):
        raise MotifnetError(f"unknown match criterion {criterion!r}; expected 'best' or 'any'")
    truth_indices: dict[str, list[int]] = {}
    for name in true_motifs:
        found = matching(result.targets, name, exact=True)
        if not found:
            raise MotifnetError(f"true motif {name!r} is not in the target database"
                                " (motifnet.interpret.truth.with_true_motifs adds it)")
        truth_indices[str(name)] = found
    is_true = np.zeros(len(result.targets), dtype=bool)
    for found in truth_indices.values():
        is_true[found] = True
    rows = np.arange(len(result.query_names)) if queries is None else np.asarray(queries, dtype=np.int64)
    best = result.best()
    significant = result.e_values < e_value
    recovered: dict[str, list[str]] = {name: [] for name in truth_indices}
    n_matching = 0
    for q in rows:
        b = best[q]
        best_is_true = significant[q, b] and is_true[b]
        if best_is_true:
            for name, found in truth_indices.items():
                if b in found:
                    recovered[name].append(result.query_names[q])
        if best_is_true if criterion == "best" else (significant[q] & is_true).any():
            n_matching += 1
    return Recovery(
        filter_match_fraction=n_matching / max(len(rows), 1),
        motif_recovery_fraction=sum(bool(v) for v in recovered.values()) / max(len(recovered), 1),
        recovered=recovered,
        n_filters=int(len(rows)),
        n_matching=int(n_matching),
        e_value=e_value,
        criterion=criterion,
    )
