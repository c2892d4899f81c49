"""The data step of an experiment: simulate or read data, split it, and save train/valid/test stores.

Data section forms (keys of ``data:`` in an experiment file)::

    simulate: classroom        # a motifnet.simulate preset, with
    params: {...}              #   its parameters (the experiment seed is used unless given)

    path: FILE                 # one file or store read with motifnet.io.read_data(path, **read)
    read: {...}

    train: FILE                # separate files (valid optional: split off train if absent)
    valid: FILE
    test: FILE

and, for any form:

    split: {column: split}                   # an annotation with values train / valid / test
    split: {fractions: [0.8, 0.1, 0.1]}      # or a seeded random (stratified) split
    negatives: dinuc-shuffle                 # for positive-only training data: the positives of
                                             #   train and valid plus one shuffled copy of each (motifnet.negatives)
    limit: {train: 2000, test: 500}          # keep at most this many rows (seeded, for quick runs)
    structure: contexts                      # RNA structure channels, folded once and stored with
                                             #   each split (motifnet.rna_structure: a kind, or
                                             #   {kind, window, span})

Relative file paths are looked up from the current folder, then from the experiment file's
folder and its parent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from motifnet.data import SeqData, random_split, save
from motifnet.errors import MotifnetError
from motifnet.io.files import atomic_write

SPLITS = ("train", "valid", "test")
DATA_KEYS = {"simulate", "params", "path", "read", "train", "valid", "test", "split", "negatives", "limit", "seed",
             "structure"}


def find_path(value: str, base: Path | None) -> Path:
    """Resolve a data path: as given (absolute or from the current folder), else relative to
    the experiment file's folder or its parent.

    Raises:
        MotifnetError: none of these exists.
    """
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists() or base is None:
        if not path.exists():
            raise MotifnetError("no such data file or folder", path=path)
        return path
    for root in (base, base.parent):
        if (root / path).exists():
            return (root / path).resolve()
    raise MotifnetError(f"no such data file or folder (also looked in {base} and {base.parent})", path=path)


def make_data(config: dict, out: Path, base: Path | None = None, quiet: bool = True) -> dict:
    """Build the train/valid/test stores of ``config`` into ``out`` and return a summary.

    Writes ``out/train``, ``out/valid``, ``out/test`` (SeqData stores) and ``out/summary.json``.

    Raises:
        MotifnetError: an unknown key, a missing file, no way to split, an unknown preset.
    """
    unknown = sorted(set(config) - DATA_KEYS)
    if unknown:
        raise MotifnetError(f"data: unknown key(s) {unknown}; expected some of {sorted(DATA_KEYS)}")
    seed = int(config.get("seed", 0))
    parts = _load_parts(config, base, seed, quiet)
    if config.get("negatives"):
        from motifnet.negatives import with_negatives

        for index, name in enumerate(("train", "valid")):
            parts[name] = with_negatives(parts[name], seed=seed + 101 * (index + 1), method=str(config["negatives"]))
    for name, count in (config.get("limit") or {}).items():
        if name not in parts:
            raise MotifnetError(f"data.limit: unknown split {name!r}; expected some of {SPLITS}")
        parts[name] = _limit(parts[name], int(count), seed)
    if config.get("structure"):
        from motifnet.devices import available_cores
        from motifnet.rna_structure import add_structure

        parts = {name: add_structure(part, config["structure"], jobs=available_cores(), quiet=quiet)
                 for name, part in parts.items()}
    for name in SPLITS:
        if len(parts[name]) == 0:
            raise MotifnetError(f"the {name} split is empty")
        save(parts[name], out / name, overwrite=True)
    summary = summarize(parts)
    with atomic_write(out / "summary.json") as handle:
        handle.write(json.dumps(summary, indent=2) + "\n")
    return summary


def _load_parts(config: dict, base: Path | None, seed: int, quiet: bool) -> dict[str, SeqData]:
    forms = [key for key in ("simulate", "path", "train") if key in config]
    if len(forms) != 1:
        raise MotifnetError("data needs exactly one of 'simulate: PRESET', 'path: FILE' or 'train:'/'test:' files")
    if forms[0] == "train":
        if "test" not in config:
            raise MotifnetError("data: 'train' given without 'test'")
        read = config.get("read") or {}
        train = _read(config["train"], base, read)
        test = _read(config["test"], base, read)
        if "valid" in config:
            valid = _read(config["valid"], base, read)
        else:
            fraction = float((config.get("split") or {}).get("valid_fraction", 0.1))
            keep, held = random_split(train, (1 - fraction, fraction), seed=seed)
            train, valid = train.subset(keep), train.subset(held)
        return {"train": train, "valid": valid, "test": test}
    if forms[0] == "simulate":
        data = simulate(str(config["simulate"]), dict(config.get("params") or {}), seed, quiet)
    else:
        data = _read(config["path"], base, config.get("read") or {})
    return split(data, config.get("split"), seed)


def simulate(preset: str, params: dict, seed: int, quiet: bool = True) -> SeqData:
    """Simulated data from a :mod:`motifnet.simulate` preset (``seed`` unless ``params`` has one)."""
    from motifnet import simulate as simulation

    params.setdefault("seed", seed)
    return simulation.simulate(preset, **params)


def _read(value: str, base: Path | None, options: dict) -> SeqData:
    from motifnet.data import is_store, load

    path = find_path(str(value), base)
    if is_store(path):
        return load(path, mmap=False)
    from motifnet.io import read_data

    return read_data(path, **options)


def split(data: SeqData, spec: Any, seed: int) -> dict[str, SeqData]:
    """Split by an annotation column (values train/valid/test) or at random by fractions.

    ``spec`` None: the 'split' annotation if the data has one, else fractions 0.8/0.1/0.1.

    Raises:
        MotifnetError: a missing column, or a split that would be empty.
    """
    spec = dict(spec or {})
    column = spec.get("column", "split" if spec.get("fractions") is None and "split" in data.annotations else None)
    if column is not None:
        if column not in data.annotations:
            raise MotifnetError(f"data has no annotation {column!r} to split by; it has {sorted(data.annotations)}")
        values = np.asarray(data.annotations[column]).astype(str)
        names = {name: str(spec.get(name, name)) for name in SPLITS}
        absent = [f"{name}: {names[name]}" for name in SPLITS if names[name] not in values]
        if absent:
            found = sorted(set(values.tolist()))
            raise MotifnetError(f"annotation {column!r} has no rows for {', '.join(absent)}; its values are "
                                f"{found[:10]}{' ...' if len(found) > 10 else ''} (map them: split: "
                                f"{{column: {column}, train: VALUE, valid: VALUE, test: VALUE}})")
        return {name: data.subset(np.flatnonzero(values == names[name])) for name in SPLITS}
    fractions = spec.get("fractions", [0.8, 0.1, 0.1])
    indices = random_split(data, fractions, seed=int(spec.get("seed", seed)))
    return {name: data.subset(rows) for name, rows in zip(SPLITS, indices)}


def _limit(data: SeqData, count: int, seed: int) -> SeqData:
    if count >= len(data):
        return data
    if data.class_labels() is not None and count < len(data):
        fraction = count / len(data)
        keep, _ = random_split(data, (fraction, 1 - fraction), seed=seed)
    else:
        keep = np.sort(np.random.default_rng(seed).choice(len(data), count, replace=False))
    return data.subset(keep)


def summarize(parts: dict[str, SeqData]) -> dict:
    """Counts, lengths, class balance, GC and motif information of the three splits."""
    from motifnet.sequence import gc_content

    first = parts["train"]
    summary: dict[str, Any] = {
        "task": first.task,
        "alphabet": first.alphabet,
        "length": first.length,
        "target_names": first.target_names,
        "motif_names": list(first.motif_names),
        "structure": first.folding,
        "splits": {},
    }
    for name, data in parts.items():
        info: dict[str, Any] = {
            "n": len(data),
            "mean_length": float(np.mean(data.lengths)) if len(data) else 0.0,
            "gc": float(np.nanmean(gc_content(np.asarray(data.tokens)))) if len(data) else float("nan"),
        }
        if data.task == "multiclass":
            counts = np.bincount(np.asarray(data.targets), minlength=data.n_targets)
            info["per_target"] = {t: int(c) for t, c in zip(data.target_names, counts)}
        elif data.task in ("binary", "multilabel"):
            info["per_target"] = {t: int(c) for t, c in zip(data.target_names, np.asarray(data.targets).sum(axis=0))}
        info["sites"] = 0 if data.sites is None else int(len(data.sites))
        summary["splits"][name] = info
    return summary
