"""SeqData: sequences as uint8 tokens with targets, its on-disk store, splits and torch batches.

Targets by task:
- ``binary``: float32 ``[N, 1]`` of 0/1;
- ``multilabel``: float32 ``[N, T]`` of 0/1;
- ``regression``: float32 ``[N, T]``;
- ``multiclass``: int64 ``[N]`` class indices into ``target_names``.

Optional RNA structure channels (:mod:`motifnet.rna_structure`) ride along as float16
``[N, S, L]``; batches are then ``[B, 4 + S, L]``.

A store is a folder of ``.npy`` files and ``meta.json``; :func:`load` memory-maps the tokens,
so a store larger than RAM can be trained on. Nothing is pickled.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from motifnet.atomic import writing_folder
from motifnet.errors import MotifnetError
from motifnet.sequence import N_TOKEN, check_alphabet, encode_batch

TASKS = ("binary", "multiclass", "multilabel", "regression")
STORE_VERSION = 1
SITE_DTYPE = np.dtype(
    [("sequence", np.int64), ("motif", np.int32), ("start", np.int32), ("end", np.int32), ("strand", np.int8)]
)
"""True motif sites: row index of the sequence, motif index into ``motif_names``,
0-based half-open ``[start, end)``, strand +1 or -1."""


@dataclass
class SeqData:
    """A set of sequences with targets.

    Attributes:
        tokens: uint8 ``[N, L]``, padded with N (4) beyond each true length.
        targets: see the module docstring for shapes by task.
        task: one of :data:`TASKS`.
        target_names: names of the T targets (classes for multiclass).
        ids: record ids ``[N]`` (str).
        alphabet: 'DNA' or 'RNA'.
        lengths: int64 ``[N]`` true lengths (default: all L).
        sites: optional structured array of true motif sites (:data:`SITE_DTYPE`).
        motif_names: names indexed by ``sites['motif']``.
        motif_ids: the exact matrix ids (e.g. JASPAR 'MA0058.3') of those motifs, when known.
        annotations: extra per-record columns ``[N]`` (e.g. 'fold', 'chrom', 'start').
        structure: optional float16 ``[N, S, L]`` structure channels, appended to the one-hot input.
        folding: the settings that computed ``structure`` (:class:`motifnet.rna_structure.Folding`
            as a dict), None without it.
    """

    tokens: np.ndarray
    targets: np.ndarray
    task: str
    target_names: list[str]
    ids: np.ndarray
    alphabet: str = "DNA"
    lengths: np.ndarray | None = None
    sites: np.ndarray | None = None
    motif_names: list[str] = field(default_factory=list)
    motif_ids: list[str] = field(default_factory=list)
    annotations: dict[str, np.ndarray] = field(default_factory=dict)
    structure: np.ndarray | None = None
    folding: dict | None = None

    def __post_init__(self) -> None:
        self.alphabet = check_alphabet(self.alphabet)
        if self.task not in TASKS:
            raise MotifnetError(f"unknown task {self.task!r}; expected one of {TASKS}")
        if self.tokens.ndim != 2 or self.tokens.dtype != np.uint8:
            raise MotifnetError(f"tokens must be uint8 [N, L], got {self.tokens.dtype} {self.tokens.shape}")
        n = len(self.tokens)
        if self.lengths is None:
            self.lengths = np.full(n, self.tokens.shape[1], dtype=np.int64)
        self.ids = np.asarray(self.ids, dtype=str)
        self.target_names = [str(name) for name in self.target_names]
        self.motif_ids = [str(key) for key in self.motif_ids]
        if self.motif_ids and len(self.motif_ids) != len(self.motif_names):
            raise MotifnetError(f"{len(self.motif_ids)} motif ids but {len(self.motif_names)} motif names")
        expected_ndim = 1 if self.task == "multiclass" else 2
        if self.targets.ndim != expected_ndim:
            raise MotifnetError(f"{self.task} targets must have {expected_ndim} dimension(s), got {self.targets.shape}")
        if self.task != "multiclass" and self.targets.shape[1] != len(self.target_names):
            raise MotifnetError(f"{self.targets.shape[1]} target columns but {len(self.target_names)} target names")
        for name, column in [("targets", self.targets), ("ids", self.ids), ("lengths", self.lengths)] + [
            (f"annotation {key!r}", value) for key, value in self.annotations.items()
        ]:
            if len(column) != n:
                raise MotifnetError(f"{name} has {len(column)} rows but there are {n} sequences")
        if (self.structure is None) != (self.folding is None):
            raise MotifnetError("structure channels and their folding settings come together")
        if self.structure is not None and (self.structure.ndim != 3 or len(self.structure) != n
                                           or self.structure.shape[2] != self.tokens.shape[1]):
            raise MotifnetError(f"structure must be [N, S, L] = [{n}, S, {self.tokens.shape[1]}], "
                                f"got {self.structure.shape}")

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def length(self) -> int:
        """The padded sequence length L."""
        return int(self.tokens.shape[1])

    @property
    def channels(self) -> int:
        """Input channels of a batch: 4 bases plus the structure channels."""
        return 4 + (0 if self.structure is None else int(self.structure.shape[1]))

    def inputs(self) -> "np.ndarray | ModelInputs":
        """What a model reads, row-sliceable: the tokens, or :class:`ModelInputs` with structure."""
        return self.tokens if self.structure is None else ModelInputs(self.tokens, self.structure)

    @property
    def n_targets(self) -> int:
        """Number of model outputs: classes for multiclass, target columns otherwise."""
        return len(self.target_names)

    @classmethod
    def from_strings(
        cls,
        sequences: Sequence[str],
        targets: np.ndarray | Sequence,
        task: str,
        target_names: Sequence[str] | None = None,
        ids: Sequence[str] | None = None,
        alphabet: str = "DNA",
        length: int | None = None,
        **extra,
    ) -> "SeqData":
        """Build from strings; targets as described in the module docstring (1-D binary is accepted).

        Raises:
            MotifnetError: invalid characters (naming the record) or inconsistent shapes.
        """
        ids = [f"seq{i + 1}" for i in range(len(sequences))] if ids is None else list(ids)
        tokens, lengths = encode_batch(sequences, length=length, record_ids=ids)
        targets = np.asarray(targets)
        if len(targets) != len(sequences):
            raise MotifnetError(f"targets has {len(targets)} rows but there are {len(sequences)} sequences")
        if task == "multiclass":
            targets = targets.astype(np.int64)
            if target_names is None:
                target_names = [str(i) for i in range(int(targets.max(initial=-1)) + 1)]
        else:
            targets = targets.astype(np.float32).reshape(len(sequences), -1)
            if target_names is None:
                target_names = ["bound"] if targets.shape[1] == 1 else [f"target{i}" for i in range(targets.shape[1])]
        return cls(tokens, targets, task, list(target_names), np.asarray(ids), alphabet, lengths, **extra)

    def subset(self, indices: np.ndarray | Sequence[int]) -> "SeqData":
        """The records at ``indices`` (in memory; sites re-indexed to the new rows)."""
        indices = np.asarray(indices, dtype=np.int64)
        sites = None
        if self.sites is not None:
            new_row = np.full(len(self), -1, dtype=np.int64)
            new_row[indices] = np.arange(len(indices))
            kept = self.sites[new_row[self.sites["sequence"]] >= 0]
            sites = kept.copy()
            sites["sequence"] = new_row[kept["sequence"]]
        return replace(
            self,
            tokens=np.ascontiguousarray(self.tokens[indices]),
            targets=np.asarray(self.targets[indices]),
            ids=self.ids[indices],
            lengths=np.asarray(self.lengths[indices]),
            sites=sites,
            annotations={key: np.asarray(value[indices]) for key, value in self.annotations.items()},
            structure=None if self.structure is None else np.ascontiguousarray(self.structure[indices]),
        )

    def class_labels(self) -> np.ndarray | None:
        """One label per record for stratification: the class (multiclass, binary) or None."""
        if self.task == "multiclass":
            return np.asarray(self.targets)
        if self.task == "binary":
            return np.asarray(self.targets[:, 0] > 0.5, dtype=np.int64)
        return None


def concatenate(parts: Sequence[SeqData]) -> SeqData:
    """Stack SeqData with the same task, targets and alphabet (padding to the longest length).

    True sites are kept (re-indexed to the stacked rows) when every part has them for the same
    motifs; otherwise the result has none."""
    if not parts:
        raise MotifnetError("nothing to concatenate")
    first = parts[0]
    for part in parts[1:]:
        if (part.task, part.target_names, part.alphabet, part.folding) != (
                first.task, first.target_names, first.alphabet, first.folding):
            raise MotifnetError("cannot concatenate data with different task, targets, alphabet or structure")
    width = max(part.length for part in parts)
    tokens = np.full((sum(len(p) for p in parts), width), N_TOKEN, dtype=np.uint8)
    structure = None if first.structure is None else np.zeros(
        (len(tokens), first.structure.shape[1], width), dtype=np.float16)
    row = 0
    for part in parts:
        tokens[row : row + len(part), : part.length] = part.tokens
        if structure is not None:
            structure[row : row + len(part), :, : part.length] = part.structure
        row += len(part)
    keys = set.intersection(*(set(p.annotations) for p in parts))
    sites, motifs = None, {}
    same_motifs = all((p.motif_names, p.motif_ids) == (first.motif_names, first.motif_ids) for p in parts)
    if same_motifs and all(p.sites is not None for p in parts):  # sites re-indexed to the stacked rows
        offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
        shifted = [p.sites.copy() for p in parts]
        for part_sites, offset in zip(shifted, offsets):
            part_sites["sequence"] += offset
        sites = np.concatenate(shifted)
        motifs = {"motif_names": first.motif_names, "motif_ids": first.motif_ids}
    return SeqData(
        tokens,
        np.concatenate([p.targets for p in parts]),
        first.task,
        first.target_names,
        np.concatenate([p.ids for p in parts]),
        first.alphabet,
        np.concatenate([p.lengths for p in parts]),
        sites=sites,
        annotations={k: np.concatenate([p.annotations[k] for p in parts]) for k in sorted(keys)},
        structure=structure,
        folding=first.folding,
        **motifs,
    )


# ---------------------------------------------------------------------------------------------
# The on-disk store


def save(data: SeqData, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write ``data`` as a store folder (``.npy`` files + ``meta.json``), atomically.

    The folder is written beside its target under a temporary name and renamed when complete,
    so an interrupted save leaves nothing behind.

    Raises:
        MotifnetError: ``path`` exists and ``overwrite`` is False, or it cannot be written.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise MotifnetError("already exists (pass overwrite=True or choose another folder)", path=path)
    with writing_folder(path) as tmp:
        arrays = {"tokens": data.tokens, "targets": data.targets, "ids": data.ids, "lengths": data.lengths}
        if data.sites is not None:
            arrays["sites"] = data.sites
        if data.structure is not None:
            arrays["structure"] = data.structure
        arrays.update({f"annotation.{key}": value for key, value in data.annotations.items()})
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.asarray(array), allow_pickle=False)
        _write_meta(tmp, len(data), data.length, data.task, data.target_names, data.alphabet, sorted(data.annotations),
                    data.motif_names, data.motif_ids, data.folding)
    return path


def _write_meta(folder: Path, n: int, length: int, task: str, target_names: Sequence[str], alphabet: str,
                annotations: Sequence[str], motif_names: Sequence[str] = (), motif_ids: Sequence[str] = (),
                folding: dict | None = None) -> None:
    meta = {
        "format": "motifnet.SeqData",
        "version": STORE_VERSION,
        "n": n,
        "length": length,
        "task": task,
        "target_names": list(target_names),
        "alphabet": alphabet,
        "motif_names": list(motif_names),
        "motif_ids": list(motif_ids),
        "annotations": list(annotations),
        "folding": folding,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")


def allocate_store(folder: str | os.PathLike, n: int, length: int, task: str, target_names: Sequence[str],
                   columns: dict[str, np.dtype], alphabet: str = "DNA") -> dict[str, np.ndarray]:
    """Create a store of ``n`` rows in the empty folder ``folder``, to be filled in place.

    For data too large to hold in memory: the files are made at their full size and returned
    memory-mapped: ``tokens`` uint8 ``[n, length]``, ``targets`` float32 ``[n, T]`` (the task must
    not be multiclass), ``lengths`` (all ``length``), and one ``[n]`` array per entry of
    ``columns``: ``ids`` and ``annotation.KEY`` with their dtypes. The caller fills them, flushes,
    and publishes the folder (``motifnet.atomic``); a folder left unfilled is not a valid store.

    Raises:
        MotifnetError: a multiclass task, or ``columns`` without ``ids``.
    """
    from numpy.lib.format import open_memmap

    folder = Path(folder)
    if task == "multiclass" or task not in TASKS:
        raise MotifnetError(f"allocate_store writes float32 targets; task {task!r} is not one of binary, multilabel, regression")
    if "ids" not in columns:
        raise MotifnetError("allocate_store needs an 'ids' column")
    shapes = {"tokens": ((n, length), np.uint8), "targets": ((n, len(target_names)), np.float32),
              "lengths": ((n,), np.int64)}
    shapes.update({name: ((n,), np.dtype(dtype)) for name, dtype in columns.items()})
    arrays = {name: open_memmap(folder / f"{name}.npy", mode="w+", dtype=dtype, shape=shape)
              for name, (shape, dtype) in shapes.items()}
    arrays["lengths"][:] = length
    annotations = sorted(name[len("annotation."):] for name in columns if name.startswith("annotation."))
    _write_meta(folder, n, length, task, target_names, check_alphabet(alphabet), annotations)
    return arrays


def is_store(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a SeqData store folder."""
    return (Path(path) / "meta.json").is_file()


def load(path: str | os.PathLike, mmap: bool = True) -> SeqData:
    """Load a store folder; with ``mmap`` every array stays on disk and is read on demand
    (targets copy-on-write: changing them in memory never changes the store; tokens, ids,
    lengths and annotations read-only), so a store larger than memory can be trained on.

    Raises:
        MotifnetError: not a store, a missing or corrupt file, or a newer format version.
    """
    path = Path(path)
    try:
        meta = json.loads((path / "meta.json").read_text())
    except FileNotFoundError:
        raise MotifnetError("not a motifnet data folder (no meta.json)", path=path) from None
    except (OSError, json.JSONDecodeError) as error:
        raise MotifnetError(f"unreadable meta.json: {error}", path=path) from None
    if meta.get("format") != "motifnet.SeqData" or meta.get("version", 0) > STORE_VERSION:
        raise MotifnetError("not a motifnet data folder of a known version", path=path / "meta.json")

    def array(name: str, mode: str | None = None) -> np.ndarray:
        try:
            return np.load(path / f"{name}.npy", mmap_mode=mode, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise MotifnetError(f"cannot read {name}.npy: {error}", path=path) from None

    sites = array("sites") if (path / "sites.npy").exists() else None
    return SeqData(
        tokens=array("tokens", "r" if mmap else None),
        targets=array("targets", "c" if mmap else None),
        task=meta["task"],
        target_names=meta["target_names"],
        ids=array("ids", "r" if mmap else None),
        alphabet=meta["alphabet"],
        lengths=array("lengths", "r" if mmap else None),
        sites=sites,
        motif_names=meta.get("motif_names", []),
        motif_ids=meta.get("motif_ids", []),
        annotations={key: array(f"annotation.{key}", "r" if mmap else None) for key in meta.get("annotations", [])},
        structure=array("structure", "r" if mmap else None) if meta.get("folding") else None,
        folding=meta.get("folding"),
    )


# ---------------------------------------------------------------------------------------------
# Splits: each returns index arrays


def random_split(
    data: SeqData, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0, stratify: bool = True
) -> list[np.ndarray]:
    """Split row indices at random in the given fractions (stratified by class where possible).

    Returns:
        One sorted int64 index array per fraction.

    Raises:
        MotifnetError: fractions that are negative or do not sum to 1.
    """
    fractions = np.asarray(fractions, dtype=float)
    if (fractions < 0).any() or not np.isclose(fractions.sum(), 1.0):
        raise MotifnetError(f"split fractions must be non-negative and sum to 1, got {list(fractions)}")
    rng = np.random.default_rng(seed)
    labels = data.class_labels() if stratify else None
    groups = [np.arange(len(data))] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    parts: list[list[np.ndarray]] = [[] for _ in fractions]
    for group in groups:
        group = rng.permutation(group)
        bounds = np.round(np.cumsum(fractions) * len(group)).astype(int)
        for k, piece in enumerate(np.split(group, bounds[:-1])):
            parts[k].append(piece)
    return [np.sort(np.concatenate(p)) for p in parts]


def split_by_values(data: SeqData, column: str, values: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Split by an annotation column (e.g. 'fold' or 'chrom'): rows whose value is in ``values``
    go to the second array, the rest to the first.

    Raises:
        MotifnetError: the column is absent.
    """
    if column not in data.annotations:
        raise MotifnetError(f"no annotation column {column!r}; have {sorted(data.annotations)}")
    held_out = np.isin(np.asarray(data.annotations[column]).astype(str), [str(v) for v in values])
    return np.flatnonzero(~held_out), np.flatnonzero(held_out)


# ---------------------------------------------------------------------------------------------
# Torch batches


def batch_indices(
    n: int, batch_size: int, shuffle: bool = False, seed: int = 0, drop_last: bool = False
) -> Iterator[np.ndarray]:
    """Index batches over ``range(n)``; shuffled with ``seed`` if asked. Each batch is sorted,
    which makes reads from a memory-mapped store sequential."""
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for begin in range(0, stop, batch_size):
        yield np.sort(order[begin : begin + batch_size])


def batches(
    data: SeqData,
    batch_size: int = 128,
    shuffle: bool = False,
    seed: int = 0,
    device=None,
    indices: np.ndarray | None = None,
    drop_last: bool = False,
) -> Iterator[tuple]:
    """Yield ``(x, y)``: one-hot float32 ``[B, 4, L]`` (``[B, 4 + S, L]`` with structure
    channels) and targets as a tensor, on ``device``.

    Tokens cross to the device as uint8 and are one-hot encoded there, a whole batch at once.
    ``indices`` restricts to a subset of rows without copying the store.
    """
    import torch

    from motifnet.sequence import one_hot

    rows = np.arange(len(data)) if indices is None else np.asarray(indices)
    for picked in batch_indices(len(rows), batch_size, shuffle, seed, drop_last):
        chosen = rows[picked]
        x = one_hot(torch.from_numpy(np.ascontiguousarray(data.tokens[chosen])), device=device)
        if data.structure is not None:
            channels = torch.from_numpy(np.ascontiguousarray(data.structure[chosen])).to(device)
            x = torch.cat([x, channels.to(x.dtype)], dim=1)
        y = torch.from_numpy(np.asarray(data.targets[chosen])).to(device)
        yield x, y


class ModelInputs:
    """Tokens ``[N, L]`` with structure channels ``[N, S, L]``, sliced by rows to float32
    ``[B, 4 + S, L]`` (one-hot bases, then the channels) for :func:`motifnet.predict.forward_batches`."""

    def __init__(self, tokens: np.ndarray, structure: np.ndarray) -> None:
        self.tokens, self.structure = tokens, structure

    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, rows) -> np.ndarray:
        from motifnet.sequence import one_hot

        bases = one_hot(np.ascontiguousarray(self.tokens[rows])).numpy()
        return np.concatenate([bases, np.asarray(self.structure[rows], dtype=np.float32)], axis=1)


# ---------------------------------------------------------------------------------------------
# Summary


def summarize(data: SeqData, chunk: int = 1 << 16) -> dict:
    """Counts, lengths, class balance, GC and N fraction of ``data`` (JSON-ready).

    Reads the tokens ``chunk`` rows at a time, so a memory-mapped store is never loaded whole.

    Returns:
        ``{"n", "alphabet", "task", "targets", "length": {"padded", "min", "median", "max"},
        "gc", "n_fraction", "labels", "annotations", "structure"}`` where ``gc`` is the G+C fraction of all
        called (A/C/G/T) bases, ``n_fraction`` the fraction of N among the true-length bases and
        ``labels`` the class balance (counts and fractions per class or target; for regression
        mean, std, min and max; ``{"unlabeled": true}`` if all targets are NaN) and ``structure``
        the folding settings of the structure channels (None without them).
    """
    lengths = np.asarray(data.lengths)
    called = gc = bases = 0
    for begin in range(0, len(data), chunk):
        tokens = np.asarray(data.tokens[begin : begin + chunk])
        inside = np.arange(tokens.shape[1]) < lengths[begin : begin + chunk, None]
        counts = np.bincount(tokens[inside], minlength=N_TOKEN + 1)
        called += int(counts[:N_TOKEN].sum())
        gc += int(counts[1] + counts[2])
        bases += int(counts.sum())
    return {
        "n": len(data),
        "alphabet": data.alphabet,
        "task": data.task,
        "targets": data.target_names,
        "length": {
            "padded": data.length,
            "min": int(lengths.min()) if len(lengths) else 0,
            "median": float(np.median(lengths)) if len(lengths) else 0.0,
            "max": int(lengths.max(initial=0)),
        },
        "gc": gc / called if called else None,
        "n_fraction": (bases - called) / bases if bases else None,
        "labels": _label_summary(data),
        "annotations": {key: _annotation_summary(value) for key, value in data.annotations.items()},
        "structure": data.folding,
    }


def _label_summary(data: SeqData) -> dict:
    targets = np.asarray(data.targets)
    n = max(len(data), 1)
    if data.task == "multiclass":
        counts = np.bincount(targets, minlength=len(data.target_names))
        return {name: {"count": int(c), "fraction": float(c / n)} for name, c in zip(data.target_names, counts)}
    if np.isnan(targets).all():
        return {"unlabeled": True}
    if data.task in ("binary", "multilabel"):
        positives = np.nansum(targets, axis=0, dtype=np.float64)
        return {name: {"positive": int(p), "negative": int(np.sum(targets[:, k] == 0)), "fraction": float(p) / n}
                for k, (name, p) in enumerate(zip(data.target_names, positives))}
    return {name: {"mean": float(np.nanmean(column)), "std": float(np.nanstd(column)),
                   "min": float(np.nanmin(column)), "max": float(np.nanmax(column))}
            for name, column in zip(data.target_names, targets.T)}


def _annotation_summary(values: np.ndarray) -> dict:
    values = np.asarray(values)
    if values.dtype.kind in "iuf":
        return {"min": values.min().item(), "max": values.max().item()} if len(values) else {}
    unique, counts = np.unique(values, return_counts=True)
    if len(unique) > 30:
        return {"distinct": int(len(unique))}
    return {str(u): int(c) for u, c in zip(unique, counts)}
