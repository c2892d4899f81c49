"""Build a multi-task data set (DeepSEA, DanQ) from a genome FASTA and peak or bigWig files.

``build_peak_store(genome, out, peaks=[(name, path), ...])`` writes the folder ``out`` holding one
memory-mapped SeqData store per split (``train``, and ``valid`` / ``test`` when chromosomes are
held out) and ``summary.json``. Targets: one 0/1 column per peak file (task multilabel), or, with
bigWig files, the mean signal of each over the bin (task regression; peak files then only choose
the bins). Annotations: ``chrom``, ``start``/``end`` (the bin), ``window_start``/``window_end``
and ``split``; ids ``chrom:start-end`` of the bin. The rules are those of :mod:`motifnet.peak_bins`.

The genome is streamed twice, one chromosome in memory at a time: once to find the kept bins
(so that the stores can be made at their final size), once to copy their windows. Nothing is
written at ``out`` until everything has succeeded.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from motifnet.atomic import writing_folder
from motifnet.errors import MotifnetError
from motifnet.io.peaks import check_chromosomes, check_peaks, check_unique, read_peaks
from motifnet.peak_bins import BinOptions, candidate_bins, choose_bins, label_rows, positive_bins, transform
from motifnet.ranges import merge

SPLITS = ("train", "valid", "test")
CHUNK_ROWS = 1 << 15


def build_peak_store(
    genome: str | os.PathLike,
    out: str | os.PathLike,
    peaks: Sequence[tuple[str, str | os.PathLike]] = (),
    bigwigs: Sequence[tuple[str, str | os.PathLike]] = (),
    blacklist: str | os.PathLike | None = None,
    options: BinOptions | None = None,
    overwrite: bool = False,
    quiet: bool = True,
) -> dict:
    """Write the stores of :mod:`motifnet.peak_store` for ``genome`` into ``out``.

    Args:
        genome: FASTA, plain or gzip (streamed; no index needed).
        out: the folder to write (``out/train``, ``out/valid``, ``out/test``, ``out/summary.json``).
        peaks: ``(target name, BED3+/narrowPeak path)`` pairs, in any order within a file. An
            empty file is a target that is 0 everywhere (with a warning).
        bigwigs: ``(target name, bigWig path)`` pairs: regression targets instead of labels.
        blacklist: BED of regions whose bins are dropped (intervals on chromosomes that the
            genome lacks are ignored, unless none of its chromosomes is in the genome).
        options: :class:`motifnet.peak_bins.BinOptions`.
        overwrite: replace ``out`` if it exists.
        quiet: no progress bar (the default; the command line shows one).

    Returns:
        The summary written to ``summary.json`` (targets, rows and positives per split, options).

    Raises:
        MotifnetError: one line for bad options, duplicate target names, a malformed file,
            chromosomes not in the genome, peaks past a chromosome's end, a bigWig without the
            genome's chromosomes, or no bin kept; nothing is written then.
    """
    options = options or BinOptions()
    options.check()
    out = Path(out)
    if out.exists() and not overwrite:
        raise MotifnetError("already exists (pass --overwrite or choose another folder)", path=out)
    if not peaks and not bigwigs:
        raise MotifnetError("give peak files (--peaks / --sample-sheet) or bigWig files (--bigwig)")
    targets = list(bigwigs) or list(peaks)
    check_unique(targets)
    check_unique(list(peaks))
    peak_sets = [(name, path, read_peaks(path)) for name, path in peaks]
    for name, path, found in peak_sets:
        if not len(found.starts):
            warnings.warn(f"{path}: no intervals: target {name!r} is 0 in every bin")
    sizes, kept = _select(genome, peak_sets, blacklist, options, quiet)
    rows = {split: sum(len(bins) for chrom, bins in kept.items() if options.split_of(chrom) == split)
            for split in SPLITS}
    if not sum(rows.values()):
        raise MotifnetError("no bin was kept: no peak covers more than half of a bin whose window passes the "
                            "filters (check --window, --max-n-fraction, --blacklist)", path=genome)
    handles = []
    try:
        with writing_folder(out) as tmp:
            for _, path in bigwigs:
                handles.append(_open_bigwig(path, sizes, [chrom for chrom, bins in kept.items() if len(bins)]))
            task = "regression" if bigwigs else "multilabel"
            stores = _allocate(tmp, rows, max(len(chrom) for chrom in kept), task, [name for name, _ in targets], options)
            positives = _fill(genome, stores, kept, _by_chromosome(peak_sets), handles, len(targets), options, quiet)
            for arrays in stores.values():
                for array in arrays.values():
                    array.flush()
            del stores
            summary = _summary(genome, targets, peaks, bigwigs, blacklist, options, rows, positives, task)
            (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    finally:
        for handle in handles:
            handle.close()
    return summary


def _select(genome, peak_sets, blacklist, options: BinOptions, quiet: bool) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """Pass 1: chromosome sizes and candidate bins; then the files are checked against the
    genome and the kept bins of each chromosome chosen (labels need no sequence)."""
    from motifnet.sequence import encode

    black = _blacklist(blacklist)
    sizes: dict[str, int] = {}
    candidates: dict[str, np.ndarray] = {}
    for chrom, sequence in _chromosomes(genome, quiet, "bins"):
        sizes[chrom] = len(sequence)
        candidates[chrom] = candidate_bins(len(sequence), encode(sequence, record=chrom),
                                           black.get(chrom, _EMPTY), options)
    for _, path, found in peak_sets:
        check_peaks(found, sizes, path)
    check_chromosomes(options.valid_chroms + options.test_chroms, sizes, "--valid-chroms/--test-chroms")
    if black and not set(black) & set(sizes):
        check_chromosomes(black, sizes, blacklist)
    grouped = _by_chromosome(peak_sets)
    rng = np.random.default_rng(options.seed)
    kept: dict[str, np.ndarray] = {}
    for chrom, size in sizes.items():
        positive = positive_bins(*grouped.get(chrom, _NO_PEAKS), size, options.bin_size)[0] if peak_sets else None
        kept[chrom] = choose_bins(candidates.pop(chrom), positive, options.background_ratio, rng)
    return sizes, kept


def _allocate(tmp: Path, rows: dict[str, int], name_width: int, task: str, target_names: list[str],
              options: BinOptions) -> dict[str, dict[str, np.ndarray]]:
    """One store per split that has rows, made at its final size in ``tmp/<split>``."""
    from motifnet.data import allocate_store

    columns = {"ids": f"<U{name_width + 24}", "annotation.chrom": f"<U{name_width}", "annotation.start": np.int64,
               "annotation.end": np.int64, "annotation.window_start": np.int64, "annotation.window_end": np.int64,
               "annotation.split": "<U5"}
    stores = {}
    for split, n in rows.items():
        if n:
            (tmp / split).mkdir()
            stores[split] = allocate_store(tmp / split, n, options.window, task, target_names, columns)
    return stores


def _fill(genome, stores, kept, grouped, handles, n_targets: int, options: BinOptions, quiet: bool) -> dict:
    """Pass 2: copy the windows, targets and annotations of the kept bins into the stores,
    ``CHUNK_ROWS`` rows at a time. Returns the positives per target of each split."""
    from motifnet.io.bigwig import bin_means
    from motifnet.sequence import encode

    row = {split: 0 for split in stores}
    positives = {split: np.zeros(n_targets, dtype=np.int64) for split in stores}
    for chrom, sequence in _chromosomes(genome, quiet, "windows", len(kept)):
        bins = kept.get(chrom)
        if bins is None or not len(bins):
            continue
        split = options.split_of(chrom)
        arrays = stores[split]
        size = len(sequence)
        windows = np.lib.stride_tricks.sliding_window_view(encode(sequence, record=chrom), options.window)
        del sequence
        if not handles:
            pair_bins, pair_targets = positive_bins(*grouped.get(chrom, _NO_PEAKS), size, options.bin_size)
            order = np.argsort(pair_bins, kind="stable")
            pair_bins, pair_targets = pair_bins[order], pair_targets[order]
        for begin in range(0, len(bins), CHUNK_ROWS):
            part = bins[begin : begin + CHUNK_ROWS]
            rows = slice(row[split], row[split] + len(part))
            window_starts = options.window_starts(part)
            arrays["tokens"][rows] = windows[window_starts]
            if handles:
                values = np.stack([bin_means(h, chrom, part, options.bin_size) for h in handles], axis=1)
                arrays["targets"][rows] = transform(values, options.transform)
            else:
                lo, hi = np.searchsorted(pair_bins, [part[0], part[-1] + 1])
                labels = label_rows(part, pair_bins[lo:hi], pair_targets[lo:hi], n_targets)
                arrays["targets"][rows] = labels
                positives[split] += labels.sum(axis=0).astype(np.int64)
            starts = part * options.bin_size
            arrays["annotation.chrom"][rows] = chrom
            arrays["annotation.start"][rows] = starts
            arrays["annotation.end"][rows] = starts + options.bin_size
            arrays["annotation.window_start"][rows] = window_starts
            arrays["annotation.window_end"][rows] = window_starts + options.window
            arrays["annotation.split"][rows] = split
            arrays["ids"][rows] = np.char.add(np.char.add(f"{chrom}:", starts.astype(str)),
                                              np.char.add("-", (starts + options.bin_size).astype(str)))
            row[split] += len(part)
    return {split: counts.tolist() for split, counts in positives.items()}


_EMPTY = (np.zeros(0, np.int64), np.zeros(0, np.int64))
_NO_PEAKS = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))


def _by_chromosome(peak_sets) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``{chrom: (target index, starts, ends)}`` over all peak files."""
    if not peak_sets:
        return {}
    chroms = np.concatenate([found.chroms for _, _, found in peak_sets]).astype(str)
    which = np.concatenate([np.full(len(found.starts), i, np.int64) for i, (_, _, found) in enumerate(peak_sets)])
    starts = np.concatenate([found.starts for _, _, found in peak_sets])
    ends = np.concatenate([found.ends for _, _, found in peak_sets])
    order = np.argsort(chroms, kind="stable")
    names, first = np.unique(chroms[order], return_index=True)
    bounds = np.append(first, len(order))
    return {str(name): (which[order[a:b]], starts[order[a:b]], ends[order[a:b]])
            for name, a, b in zip(names, bounds[:-1], bounds[1:])}


def _blacklist(path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Merged blacklist intervals per chromosome."""
    if path is None:
        return {}
    grouped = _by_chromosome([("blacklist", path, read_peaks(path))])
    return {chrom: merge(starts, ends) for chrom, (_, starts, ends) in grouped.items()}


def _chromosomes(genome, quiet: bool, what: str, total: int | None = None):
    """Stream ``(chrom, sequence)`` with a progress bar in chromosomes.

    Raises:
        MotifnetError: a chromosome name given twice, or an empty genome.
    """
    from tqdm import tqdm

    from motifnet.io import iter_fasta

    seen = set()
    with tqdm(total=total, unit=" chrom", disable=quiet, file=sys.stderr, desc=what) as bar:
        for chrom, sequence in iter_fasta(genome):
            if chrom in seen:
                raise MotifnetError(f"chromosome {chrom!r} appears twice in the genome", path=genome)
            seen.add(chrom)
            yield chrom, sequence
            bar.update(1)
    if not seen:
        raise MotifnetError("empty genome: no FASTA records", path=genome)


def _open_bigwig(path, sizes, chroms):
    from motifnet.io.bigwig import open_bigwig

    return open_bigwig(path, sizes, chroms)


def _summary(genome, targets, peaks, bigwigs, blacklist, options: BinOptions, rows, positives, task) -> dict:
    from dataclasses import asdict

    return {
        "format": "motifnet.peak_store",
        "genome": str(genome),
        "task": task,
        "targets": [{"name": name, "path": str(path)} for name, path in targets],
        "peaks": [{"name": name, "path": str(path)} for name, path in peaks] if bigwigs else None,
        "blacklist": None if blacklist is None else str(blacklist),
        "options": asdict(options),
        "rows": {split: n for split, n in rows.items() if n},
        "positives": positives if not bigwigs else None,
    }
