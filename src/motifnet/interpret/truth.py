"""The true motifs of simulated data as exact JASPAR matrices (id *and* version), and a Tomtom
database that holds them.

The simulator embeds one particular matrix per motif: the classroom preset the JASPAR2024
versions ('MA0466.4 CEBPB'), the Koo & Eddy multilabel preset the JASPAR 2016 versions
('MA0466.2 CEBPB'). A learned filter is scored against *that* matrix, never against whatever
matrix a name lookup returns (the newest version, or the extended CTCF matrices).

Where the exact ids come from (:func:`true_motifs`), in order:

1. ``data.motif_ids`` (matrix ids with versions, one per ``data.motif_names``) when the data
   carry them;
2. a name made unique with its id by the simulator ('CEBPB_MA0466.2'): that id;
3. otherwise the embedded sites themselves: among the JASPAR CORE matrices (every version, every
   taxon) with the motif's name and the sites' width, the one under which the instances (read
   on their own strand) are most likely. The simulator draws instances from that matrix, so its
   likelihood is the highest unless two versions are (nearly) identical;
4. no sites, or no candidate of that width: the name lookup (``motifnet.jaspar.fetch``), marked
   ``source='name'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from motifnet.errors import MotifnetError

_SUFFIX = re.compile(r"^(?P<name>.+)_(?P<id>[A-Z]{2}\d{4}\.\d+)$", re.IGNORECASE)
MAX_SITES = 5000
"""Instances per motif read when inferring the matrix from the sites."""


@dataclass
class TrueMotif:
    """One true motif of a data set.

    Attributes:
        name: as in ``data.motif_names``.
        id: the exact JASPAR matrix id with version ('MA0466.2'), or None when unknown.
        probabilities: float64 ``[4, k]`` PPM of that matrix (None when unknown).
        source: 'metadata', 'name suffix', 'sites' or 'name' (see the module docstring).
    """

    name: str
    id: str | None
    probabilities: np.ndarray | None
    source: str

    @property
    def key(self) -> str:
        """'ID name' (matched by exact id in :func:`motifnet.interpret.tomtom.recovery`), or the
        name when the id is unknown."""
        return f"{self.id} {self.name}" if self.id else self.name


def site_counts(data, motif: int, max_sites: int = MAX_SITES) -> np.ndarray | None:
    """Count matrix ``[4, k]`` of the embedded instances of motif index ``motif``, each read on
    its own strand (minus-strand sites reverse-complemented); None without sites of one width.

    Instances holding N are skipped; at most ``max_sites`` (the first ones) are read."""
    from motifnet.sequence import reverse_complement_tokens

    if data.sites is None:
        return None
    sites = data.sites[np.asarray(data.sites["motif"]) == motif][:max_sites]
    widths = np.unique(np.asarray(sites["end"]) - np.asarray(sites["start"]))
    if len(sites) == 0 or len(widths) != 1:
        return None
    columns = np.asarray(sites["start"], dtype=np.int64)[:, None] + np.arange(int(widths[0]))
    tokens = np.asarray(data.tokens[np.asarray(sites["sequence"], dtype=np.int64)])
    instances = np.take_along_axis(tokens, columns, axis=1)
    minus = np.asarray(sites["strand"]) < 0
    instances[minus] = reverse_complement_tokens(instances[minus])
    instances = instances[(instances < 4).all(axis=1)]
    if len(instances) == 0:
        return None
    return np.stack([(instances == c).sum(axis=0) for c in range(4)]).astype(np.float64)


def release_for(database) -> str:
    """The JASPAR release true matrices are read from: ``database`` when it names one
    ('JASPAR2022'), else 'JASPAR2024' (every release also holds the old versions)."""
    from motifnet.jaspar import DEFAULT_RELEASE

    return str(database) if str(database).upper().startswith("JASPAR") else DEFAULT_RELEASE


def _candidates(name: str, width: int, release: str) -> list:
    from motifnet import jaspar

    return [m for m in jaspar.database(release, collection="CORE", tax_group=None, all_versions=True)
            if m.name.upper() == name.upper() and m.width == width]


def _fetch(matrix_id: str, release: str):
    from motifnet import jaspar

    return jaspar.fetch(matrix_id, release=release)


def true_motifs(data, release: str = "JASPAR2024") -> list[TrueMotif]:
    """The exact matrix of each of ``data.motif_names`` (see the module docstring).

    Args:
        data: SeqData with ``motif_names`` (and, for inference, ``sites``).
        release: the JASPAR release to read matrices from (every release holds old versions).

    Raises:
        MotifnetError: ``data.motif_ids`` given but of the wrong length, or naming a matrix
            JASPAR does not have.
    """
    names = [str(n) for n in data.motif_names]
    ids = list(getattr(data, "motif_ids", None) or [])
    if ids and len(ids) != len(names):
        raise MotifnetError(f"data have {len(ids)} motif ids for {len(names)} motif names")
    out = []
    for index, name in enumerate(names):
        if ids:
            motif = _fetch(str(ids[index]), release)
            out.append(TrueMotif(name, motif.id, np.asarray(motif.probabilities), "metadata"))
            continue
        suffix = _SUFFIX.match(name)
        if suffix:
            motif = _fetch(suffix.group("id"), release)
            out.append(TrueMotif(name, motif.id, np.asarray(motif.probabilities), "name suffix"))
            continue
        counts = site_counts(data, index)
        found = _candidates(name, counts.shape[1], release) if counts is not None else []
        if found:
            scores = [float((counts * np.log(np.asarray(m.probabilities) + 1e-3)).sum()) for m in found]
            motif = found[int(np.argmax(scores))]
            out.append(TrueMotif(name, motif.id, np.asarray(motif.probabilities), "sites"))
            continue
        try:
            motif = _fetch(name, release)
            out.append(TrueMotif(name, motif.id, np.asarray(motif.probabilities), "name"))
        except MotifnetError:
            out.append(TrueMotif(name, None, None, "name"))
    return out


def with_true_motifs(database, truths: Sequence[TrueMotif]):
    """The Tomtom database with every true matrix in it, exactly once per matrix id.

    A true matrix already in ``database`` (same id and version) is kept as it is; one whose
    other version is there (e.g. MA0466.4 when the data used MA0466.2) *replaces* that version
    (the collection keeps one version per matrix, and its size, hence E-values, do not change);
    one whose matrix is absent is appended. Truths of unknown id are left to name matching.

    Returns:
        ``(MotifSet, keys, changes)``: the database (a copy when changed), one key per truth
        (:attr:`TrueMotif.key`) and ``{id: 'as is' | 'replaced <id>' | 'added'}``.
    """
    from motifnet.interpret.tomtom import MotifSet

    ids, names, probabilities = list(database.ids), list(database.names), list(database.probabilities)
    changes: dict[str, str] = {}
    for truth in truths:
        if truth.id is None or truth.id in changes:
            continue
        if truth.id in database.ids:
            changes[truth.id] = "as is"
            continue
        stem = truth.id.split(".")[0].upper()
        same = [i for i, other in enumerate(ids) if other.split(".")[0].upper() == stem and other not in changes]
        suffixed = _SUFFIX.match(truth.name)
        jaspar_name = suffixed.group("name") if suffixed else truth.name
        if same:
            changes[truth.id] = f"replaced {ids[same[0]]}"
            ids[same[0]], names[same[0]], probabilities[same[0]] = truth.id, jaspar_name, truth.probabilities
        else:
            changes[truth.id] = "added"
            ids.append(truth.id)
            names.append(jaspar_name)
            probabilities.append(truth.probabilities)
    result = MotifSet(ids, names, probabilities) if ids != list(database.ids) else database
    return result, [t.key for t in truths], changes


def truth_database(data, database, release: str):
    """The true motifs of ``data`` set into the Tomtom ``database`` (one call for every scorer).

    Returns:
        ``(database, truths, keys, description)``: as :func:`with_true_motifs`, with the truths
        from :func:`true_motifs` (``release`` as for :func:`release_for`) and their
        :func:`describe` rows.
    """
    truths = true_motifs(data, release_for(release))
    database, keys, changes = with_true_motifs(database, truths)
    return database, truths, keys, describe(truths, changes)


def describe(truths: Sequence[TrueMotif], changes: dict[str, str]) -> list[dict]:
    """JSON rows: name, id, source and how the database holds each true matrix."""
    return [{"name": t.name, "id": t.id, "source": t.source, "database": changes.get(t.id, "by name")}
            for t in truths]


def by_motif(result, keys: Sequence[str], e_value: float = 0.1) -> dict[str, dict]:
    """Per true motif (``keys`` as from :func:`with_true_motifs`): the filters whose best match
    (E < ``e_value``) it is, and the filter closest to it (smallest p-value against it) with the
    rank of the true matrix among that filter's matches and that filter's own best match.

    Args:
        result: a :class:`~motifnet.interpret.tomtom.TomtomResult` of filters vs a database
            holding the true matrices.
    """
    from motifnet.interpret.tomtom import matching

    best = result.best()
    targets = result.targets
    out: dict[str, dict] = {}
    for key in keys:
        rows = matching(targets, key, exact=True)
        if not rows:
            out[key] = {"in_database": False}
            continue
        t = rows[0]
        q = int(np.argmin(result.p_values[:, t]))
        b = int(best[q])
        out[key] = {
            "recovered_by": [result.query_names[i] for i in range(len(best))
                             if best[i] in rows and result.e_values[i, best[i]] < e_value],
            "closest_filter": result.query_names[q],
            "closest_e_value": float(result.e_values[q, t]),
            "rank_in_closest_filter": int((result.p_values[q] < result.p_values[q, t]).sum()) + 1,
            "closest_filter_best": f"{targets.ids[b]} {targets.names[b]}",
            "closest_filter_best_e_value": float(result.e_values[q, b]),
        }
    return out


def sites_oracle(data, truths: Sequence[TrueMotif], database, e_value: float = 0.1) -> dict[str, dict]:
    """What a perfect learner could show: the PPM of each true motif's embedded instances (read
    on their own strand) compared with ``database`` (which should hold the true matrices, see
    :func:`with_true_motifs`). Per motif key: its best match, E-value, and the rank of the true
    matrix. Instances drawn at p < 1e-4 from a short motif are all (nearly) its consensus, whose
    best match can be a paralog's sharper matrix."""
    from motifnet.interpret.tomtom import tomtom

    chosen = []  # (truth, its site counts)
    for index, t in enumerate(truths):
        counts = site_counts(data, index)
        if counts is not None and t.id is not None:
            chosen.append((t, counts))
    if not chosen:
        return {}
    queries = [counts / counts.sum(axis=0, keepdims=True) for _, counts in chosen]
    result = tomtom(queries, database, [t.key for t, _ in chosen], n_jobs=1)
    out = {}
    for q, (t, counts) in enumerate(chosen):
        b = int(result.best()[q])
        row = database.ids.index(t.id) if t.id in database.ids else None
        out[t.key] = {
            "n_sites": int(counts[:, 0].sum()),
            "best": f"{database.ids[b]} {database.names[b]}",
            "best_e_value": float(result.e_values[q, b]),
            "true_rank": None if row is None else int((result.p_values[q] < result.p_values[q, row]).sum()) + 1,
            "true_e_value": None if row is None else float(result.e_values[q, row]),
            "recoverable": bool(row is not None and b == row and result.e_values[q, b] < e_value),
        }
    return out


def clip_columns(ppm: np.ndarray, min_information: float = 0.5, pad: int = 3) -> np.ndarray:
    """Koo & Eddy's trimming of a filter PPM ``[4, k]``: the columns from the first to the last
    holding at least ``min_information`` bits (:func:`motifnet.interpret.filters.trim`), widened
    by ``pad`` columns on each side (within the matrix); the whole matrix when no column is that
    informative."""
    from motifnet.interpret.filters import trim

    part, start = trim(ppm, min_information)
    return ppm[:, max(start - pad, 0) : min(start + part.shape[1] + pad, ppm.shape[1])]


def true_targets(database, truths: Sequence[TrueMotif]) -> np.ndarray:
    """bool ``[T]``: which targets of ``database`` are a true motif, any version of its matrix id
    counting ('MA0137.2' for 'MA0137.3'), as Koo & Eddy matched them."""
    stems = {t.id.split(".")[0].upper() for t in truths if t.id}
    return np.array([i.split(".")[0].upper() in stems for i in database.ids])


def koo_eddy_fractions(probabilities: np.ndarray, truths: Sequence[TrueMotif], database,
                       e_value: float = 0.1) -> dict:
    """Koo & Eddy's (2019) two numbers for first-layer filter PPMs ``[F, 4, k]``: the fraction of
    *all* F filters with any Tomtom match (E < ``e_value``) to a true motif (:func:`true_targets`),
    and the fraction with any match at all. Every filter is compared, trimmed by
    :func:`clip_columns`; ``database`` should hold the true matrices (:func:`with_true_motifs`).

    Returns:
        ``{"true_fraction", "jaspar_fraction", "n_filters", "n_true", "n_jaspar", "e_value"}``.
    """
    from motifnet.interpret.tomtom import tomtom

    result = tomtom([clip_columns(p) for p in probabilities], database, n_jobs=1)
    significant = result.e_values < e_value
    n_true = int((significant & true_targets(database, truths)[None, :]).any(axis=1).sum())
    n_jaspar = int(significant.any(axis=1).sum())
    n = len(probabilities)
    return {"true_fraction": n_true / n, "jaspar_fraction": n_jaspar / n, "n_filters": n,
            "n_true": n_true, "n_jaspar": n_jaspar, "e_value": e_value}


def family_recovery(result, targets: Sequence[str], e_value: float = 0.1, release: str = "JASPAR2024") -> dict:
    """Recovery at the level of JASPAR's TF families: a target ('MA0466.4 CEBPB', or a bare
    name such as 'CTCF') is recovered when some query's best match (E < ``e_value``) is one of
    its matrices or shares a TF family with one of them (CEBPE for CEBPB, RFX3 for RFX1).

    Args:
        result: a :class:`~motifnet.interpret.tomtom.TomtomResult` of queries vs a database.
        release: the JASPAR release whose family annotations are read.

    Returns:
        ``{"motif_recovery_fraction", "recovered": {target: [(query, best match)]}}``.
    """
    from motifnet.interpret.tomtom import matching
    from motifnet.jaspar import families

    family_of = families(release)
    database = result.targets
    best = result.best()
    recovered: dict[str, list] = {}
    for key in targets:
        rows = matching(database, key, exact=True) or matching(database, key)
        own = set().union(*(family_of.get(database.ids[i], frozenset()) for i in rows)) if rows else set()
        recovered[str(key)] = [
            (result.query_names[q], f"{database.ids[b]} {database.names[b]}")
            for q, b in enumerate(best)
            if result.e_values[q, b] < e_value and (b in rows or own & family_of.get(database.ids[b], frozenset()))]
    return {"motif_recovery_fraction": sum(bool(v) for v in recovered.values()) / max(len(recovered), 1),
            "recovered": recovered}
