"""JASPAR motifs, offline, through pyjaspar (the database ships inside its wheel).

>>> from motifnet import jaspar
>>> jaspar.fetch("MA0139")          # the latest version: MA0139.2 CTCF
>>> jaspar.fetch("MA0139.1")        # exactly this version
>>> jaspar.fetch("CTCF")            # by name: the CORE vertebrate matrix
>>> jaspar.database()               # every CORE vertebrate matrix of JASPAR2024 (latest versions)
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import warnings
from pathlib import Path
from typing import Iterable, Sequence

from motifnet.errors import MotifnetError
from motifnet.motifs import Motif

DEFAULT_RELEASE = "JASPAR2024"
_ID_PATTERN = re.compile(r"^[A-Z]{2}\d{4}(\.\d+)?$", re.IGNORECASE)


@functools.lru_cache(maxsize=None)
def _db(release: str):
    """The pyjaspar database of ``release`` (opened once per release)."""
    from pyjaspar import jaspardb

    db = jaspardb(release=DEFAULT_RELEASE)
    if release != DEFAULT_RELEASE:
        releases = db.get_releases()
        if release not in releases:
            raise MotifnetError(f"unknown JASPAR release {release!r}; available: {', '.join(releases)}")
        db = jaspardb(release=release)
    return db


@functools.lru_cache(maxsize=None)
def families(release: str = DEFAULT_RELEASE) -> dict[str, frozenset[str]]:
    """JASPAR's TF family annotations: matrix id with version ('MA0466.4') -> its families
    (a matrix of a heterodimer has two), for every matrix of ``release``."""
    rows = _db(release).conn.execute(
        "SELECT M.BASE_ID, M.VERSION, A.VAL FROM MATRIX M JOIN MATRIX_ANNOTATION A ON M.ID = A.ID "
        "WHERE A.TAG = 'family'").fetchall()
    found: dict[str, set[str]] = {}
    for base, version, family in rows:
        for name in str(family).split("::"):
            if name.strip():
                found.setdefault(f"{base}.{version}", set()).add(name.strip())
    return {key: frozenset(value) for key, value in found.items()}


def from_biopython(motif) -> Motif:
    """A :class:`Motif` from a Biopython/pyjaspar motif (counts; id = matrix id when present)."""
    import numpy as np

    counts = np.array([[float(v) for v in motif.counts[base]] for base in "ACGT"])
    matrix_id = getattr(motif, "matrix_id", None) or getattr(motif, "name", None) or "motif"
    return Motif(counts, id=matrix_id, name=getattr(motif, "name", None) or matrix_id, is_counts=True)


def fetch(id_or_name: str, release: str = DEFAULT_RELEASE) -> Motif:
    """One JASPAR matrix as a :class:`Motif` (counts).

    Args:
        id_or_name: a matrix id with version ('MA0139.2': exactly that one) or without
            ('MA0139': its latest version), or a TF name ('CTCF', case-insensitive: the CORE
            vertebrate matrix of that name; if several, the one with the lowest base id).
        release: a JASPAR release known to pyjaspar ('JASPAR2024', 'JASPAR2022', ...).

    Raises:
        MotifnetError: an unknown release, id or name (with the closest names as a hint).
    """
    query = id_or_name.strip()
    db = _db(release)
    if _ID_PATTERN.match(query):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = db.fetch_motif_by_id(query.upper())
        if found is None:
            base = query.upper().split(".")[0]
            hint = ""
            if "." in query:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    latest = db.fetch_motif_by_id(base)
                if latest is not None:
                    hint = f"; {base} exists, its latest version is {latest.matrix_id}"
            raise MotifnetError(f"no JASPAR matrix {query!r} in {release}{hint}")
        return from_biopython(found)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_name = db.fetch_motifs_by_name(query)
    matches = [m for m in by_name if m.name.upper() == query.upper()] or list(by_name)
    if not matches:
        names = sorted({m.name for m in _all_motifs(release, "CORE", "vertebrates")})
        close = difflib.get_close_matches(query, names, n=5, cutoff=0.6) or difflib.get_close_matches(
            query.upper(), [n.upper() for n in names], n=5, cutoff=0.6
        )
        hint = f"; did you mean {', '.join(close)}?" if close else "; give a matrix id such as MA0139 or a TF name"
        raise MotifnetError(f"no JASPAR matrix named {query!r} in {release}{hint}")

    def preference(m) -> tuple:
        return (m.collection != "CORE", m.tax_group != "vertebrates", m.base_id, -int(m.version))

    return from_biopython(min(matches, key=preference))


@functools.lru_cache(maxsize=32)
def _all_motifs(release: str, collection: str | None, tax_group: str | None, all_versions: bool = False) -> tuple:
    db = _db(release)
    options = {
        "all_versions": all_versions,
        "collection": collection.upper() if collection else None,  # None: every collection
        "tax_group": [tax_group.lower()] if tax_group else None,
    }
    return tuple(db.fetch_motifs(**options))


def database(
    release: str = DEFAULT_RELEASE,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
    all_versions: bool = False,
) -> list[Motif]:
    """Every matrix of a JASPAR collection and taxon (latest versions unless ``all_versions``).

    The query runs once per argument set (about 1 s for JASPAR2024 CORE vertebrates: 879
    matrices); later calls return new Motif objects from the cache.

    Args:
        collection: 'CORE', 'UNVALIDATED', ... or None for all.
        tax_group: 'vertebrates', 'insects', 'plants', 'fungi', 'nematodes', 'urochordates' or
            None for all.

    Raises:
        MotifnetError: an unknown release, or a query that matches nothing.
    """
    found = _all_motifs(release, collection, tax_group, all_versions)
    if not found:
        raise MotifnetError(f"no JASPAR matrices in {release} for collection={collection!r}, tax_group={tax_group!r}")
    return [from_biopython(m) for m in found]


def resolve(items: Iterable[Motif | str | os.PathLike] | str, release: str = DEFAULT_RELEASE) -> list[Motif]:
    """Motifs from a mix of :class:`Motif` objects, JASPAR ids or names, and motif files
    (MEME, JASPAR, TRANSFAC: every motif of the file). A string is split on commas.

    Raises:
        MotifnetError: an unknown id or name, or an unreadable motif file.
    """
    if isinstance(items, str):
        items = [part for part in items.split(",") if part.strip()]
    motifs: list[Motif] = []
    for item in items:
        if isinstance(item, Motif):
            motifs.append(item)
        elif isinstance(item, Path) or (isinstance(item, str) and os.path.isfile(item)):
            from motifnet.io.motif_files import read_motifs

            motifs.extend(read_motifs(item))
        else:
            motifs.append(fetch(str(item), release))
    return motifs


def fetch_many(ids: Sequence[str], release: str = DEFAULT_RELEASE) -> list[Motif]:
    """:func:`fetch` for each of ``ids``, in order."""
    return [fetch(i, release) for i in ids]
