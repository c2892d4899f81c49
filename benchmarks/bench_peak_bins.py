"""Peak files to a multi-task store (DeepSEA's design), and DanQ (paper) training on that store.

The E. coli genome (4.94 Mbp, gzip; ../shared/data/genomes) with 20 simulated experiments:
narrowPeak files of 600 peaks each (150-1,000 bp, unsorted), 70% of them drawn from 3,000
shared "open" sites so that experiments overlap as real ones do. Rows, each timed round-robin
against its reference in the same run:

- the whole build (read 20 files, stream the genome, label 200 bp bins, 1,000 bp windows, write
  the store) by :func:`motifnet.peak_store.build_peak_store`, against a straightforward script:
  the same files read line by line, one boolean coverage mask per experiment, and a Python loop
  over bins x experiments summing the mask over each bin, then each kept window cut from the
  genome string and encoded, stacked and saved with ``np.save``. Both give identical tokens and
  labels (asserted by a checksum). Peak RSS of each in a fresh process.
- labelling alone (the 20 experiments' peaks -> positive (bin, experiment) pairs):
  :func:`motifnet.peak_bins.positive_bins`, against the per-bin loop and, when bioframe is
  installed, ``bioframe.merge`` + ``bioframe.coverage`` per experiment (same pairs, asserted).
- for scaling up: the build with one experiment (the genome passes, Mbp/s), and reading + labelling
  20 files of 50,000 random peaks (peaks/s, peak RSS of a fresh process).
- memory at DeepSEA's width: one epoch of ``fit`` (a small DeepSEA) on a synthetic store of 50,000
  windows x 919 targets, with the store's targets memory-mapped (``load``'s default) and read into
  memory (``mmap=False``): peak RSS, and anonymous / file-backed resident memory at the end.
- DanQ ``--preset paper`` (320 x 26 conv, BiLSTM 320, dense 925; 20 outputs here) training on
  the memory-mapped store: batches of 100 through ``motifnet.data.batches`` (uint8 rows read from
  the store, one-hot per batch), BCE, Adam; sequences/s over ``STEPS`` steps after 2 warm-up
  steps, the step's FLOPs (``bench_training.step_flops``) and the peak RSS of a fresh process.

Quick mode: a random 300 kb genome, 4 experiments, one repeat, 3 DanQ steps of 8 sequences.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import DATA_DIR, in_subprocess, interleaved_seconds, machine, matmul_gflops, row  # noqa: E402

GENOME = DATA_DIR / "genomes" / "ecoli_536_NC_008253.fna.gz"
BIN, WINDOW, MAX_N = 200, 1000, 0.1
STEPS, BATCH = 12, 100


def simulate_peaks(folder: Path, chrom: str, size: int, n_experiments: int, n_peaks: int = 600, seed: int = 0) -> list:
    """narrowPeak files of random peaks; 70% of each file's peaks sit on shared sites."""
    rng = np.random.default_rng(seed)
    shared = rng.integers(0, size - 1000, 3000)
    files = []
    for k in range(n_experiments):
        centres = np.concatenate([rng.choice(shared, int(0.7 * n_peaks), replace=False),
                                  rng.integers(500, size - 500, n_peaks - int(0.7 * n_peaks))])
        centres = centres + rng.integers(-40, 41, len(centres))
        half = rng.integers(75, 501, len(centres))
        starts, ends = np.maximum(centres - half, 0), np.minimum(centres + half, size)
        path = folder / f"exp{k:02d}.narrowPeak"
        with open(path, "w") as handle:
            for start, end in zip(starts, ends):
                handle.write(f"{chrom}\t{start}\t{end}\tpeak\t500\t.\t9.0\t12.0\t8.0\t{(end - start) // 2}\n")
        files.append((f"exp{k:02d}", str(path)))
    return files


def checksum(tokens: np.ndarray, targets: np.ndarray) -> str:
    digest = hashlib.sha1(np.ascontiguousarray(tokens).tobytes())
    digest.update(np.ascontiguousarray(targets, dtype=np.float32).tobytes())
    return f"{len(tokens)}:{digest.hexdigest()[:16]}"


def motifnet_build(genome: str, files: list, out: str) -> str:
    from motifnet.data import load
    from motifnet.peak_bins import BinOptions
    from motifnet.peak_store import build_peak_store

    build_peak_store(genome, out, peaks=files, options=BinOptions(bin_size=BIN, window=WINDOW, max_n_fraction=MAX_N),
                     overwrite=True, quiet=True)
    data = load(Path(out) / "train")
    return checksum(data.tokens, data.targets)


def loop_labels(sequences: dict, files: list) -> dict:
    """{(chrom, bin): [0/1 per experiment]} for bins with a label: a mask per experiment and a
    Python loop over bins x experiments."""
    peaks = []
    for _, path in files:
        rows = []
        with open(path) as handle:
            for line in handle:
                fields = line.split("\t")
                rows.append((fields[0], int(fields[1]), int(fields[2])))
        peaks.append(rows)
    labels = {}
    for chrom, sequence in sequences.items():
        masks = []
        for rows in peaks:
            mask = np.zeros(len(sequence), dtype=bool)
            for c, start, end in rows:
                if c == chrom:
                    mask[start:end] = True
            masks.append(mask)
        for k in range(len(sequence) // BIN):
            row_labels = [int(mask[k * BIN : (k + 1) * BIN].sum() * 2 > BIN) for mask in masks]
            if any(row_labels):
                labels[(chrom, k)] = row_labels
    return labels


def loop_build(genome: str, files: list, out: str) -> str:
    from motifnet.io import iter_fasta
    from motifnet.sequence import encode

    sequences = dict(iter_fasta(genome))
    labels = loop_labels(sequences, files)
    windows, targets = [], []
    for (chrom, k), row_labels in labels.items():
        start = k * BIN + (BIN - WINDOW) // 2
        if start < 0 or start + WINDOW > len(sequences[chrom]):
            continue
        window = sequences[chrom][start : start + WINDOW]
        if window.upper().count("N") > MAX_N * WINDOW:
            continue
        windows.append(encode(window))
        targets.append(row_labels)
    tokens, targets = np.stack(windows), np.asarray(targets, dtype=np.float32)
    Path(out).mkdir(parents=True, exist_ok=True)
    np.save(Path(out) / "tokens.npy", tokens)
    np.save(Path(out) / "targets.npy", targets)
    return checksum(tokens, targets)


def motifnet_pairs(chrom: str, size: int, files: list) -> set:
    from motifnet.io.peaks import read_peaks
    from motifnet.peak_bins import positive_bins

    read = [read_peaks(path) for _, path in files]
    which = np.concatenate([np.full(len(p.starts), i) for i, p in enumerate(read)])
    bins, targets = positive_bins(which, np.concatenate([p.starts for p in read]),
                                  np.concatenate([p.ends for p in read]), size, BIN)
    return set(zip(bins.tolist(), targets.tolist()))


def loop_pairs(chrom: str, size: int, files: list) -> set:
    labels = loop_labels({chrom: "A" * size}, files)
    return {(k, t) for (_, k), row_labels in labels.items() for t, v in enumerate(row_labels) if v}


def bioframe_pairs(chrom: str, size: int, files: list) -> set:
    import bioframe
    import pandas as pd

    starts = np.arange(size // BIN) * BIN
    bins = pd.DataFrame({"chrom": chrom, "start": starts, "end": starts + BIN})
    pairs = set()
    for t, (_, path) in enumerate(files):
        peaks = pd.read_csv(path, sep="\t", header=None, usecols=[0, 1, 2], names=["chrom", "start", "end"])
        covered = bioframe.coverage(bins, bioframe.merge(peaks))["coverage"].to_numpy()
        pairs.update((int(k), t) for k in np.flatnonzero(covered * 2 > BIN))
    return pairs


def genome_only(genome: str, files: list, out: str) -> float:
    """Seconds of a build with the first experiment only: the two genome passes, almost alone."""
    start = time.perf_counter()
    motifnet_build(genome, files[:1], out)
    return time.perf_counter() - start


def many_peaks(folder: str, chrom: str, size: int, n_files: int, per_file: int) -> dict:
    """Read ``n_files`` narrowPeak files of ``per_file`` peaks and label the bins: seconds of each part."""
    from motifnet.io.peaks import read_peaks
    from motifnet.peak_bins import positive_bins

    rng = np.random.default_rng(5)
    paths = []
    for k in range(n_files):
        starts = rng.integers(0, size - 1000, per_file)
        ends = starts + rng.integers(150, 1000, per_file)
        path = Path(folder) / f"many{k}.narrowPeak"
        path.write_text("".join(f"{chrom}\t{a}\t{b}\tp\t500\t.\t9\t12\t8\t{(b - a) // 2}\n" for a, b in zip(starts, ends)))
        paths.append(path)
    start = time.perf_counter()
    read = [read_peaks(path) for path in paths]
    read_seconds = time.perf_counter() - start
    which = np.concatenate([np.full(len(p.starts), i) for i, p in enumerate(read)])
    start = time.perf_counter()
    bins, _ = positive_bins(which, np.concatenate([p.starts for p in read]), np.concatenate([p.ends for p in read]),
                            size, BIN)
    return {"read_seconds": read_seconds, "label_seconds": time.perf_counter() - start, "pairs": len(bins)}


def danq_steps(store: str, steps: int, batch: int) -> dict:
    """DanQ paper on the memory-mapped store: sequences/s over ``steps`` after 2 warm-up steps."""
    import torch

    from motifnet.data import batches, load
    from motifnet.models import build

    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = load(store)
    model = build("danq", n_targets=data.n_targets, input_length=data.length, preset="paper")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    done, start = 0, None
    for epoch in range(1000):
        for x, y in batches(data, batch_size=batch, shuffle=True, seed=epoch, drop_last=True):
            if done == 2:
                start = time.perf_counter()
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
            done += 1
            if done == steps + 2:
                seconds = time.perf_counter() - start
                return {"seconds": seconds, "seq_per_s": steps * batch / seconds, "rows": len(data)}
    raise RuntimeError("store too small for the steps asked")


def synthetic_store(folder: str, n: int, n_targets: int, seed: int = 0) -> str:
    """A store of ``n`` random 1,000 bp windows with ``n_targets`` sparse 0/1 labels (2% positive)."""
    from motifnet.data import allocate_store

    rng = np.random.default_rng(seed)
    path = Path(folder) / "wide"
    path.mkdir()
    arrays = allocate_store(path, n, WINDOW, "multilabel", [f"t{i}" for i in range(n_targets)], {"ids": "<U12"})
    for begin in range(0, n, 10_000):
        rows = slice(begin, min(begin + 10_000, n))
        count = rows.stop - rows.start
        arrays["tokens"][rows] = rng.integers(0, 4, (count, WINDOW), dtype=np.uint8)
        arrays["targets"][rows] = rng.random((count, n_targets), dtype=np.float32) < 0.02
        arrays["ids"][rows] = np.arange(rows.start, rows.stop).astype(str)
    for array in arrays.values():
        array.flush()
    return str(path)


def fit_memory(store: str, mmap: bool) -> dict:
    """One epoch of ``motifnet.training.fit`` (a small DeepSEA) on ``store``; resident memory at the end."""
    import torch

    from _harness import rss_mb
    from motifnet.data import load
    from motifnet.models import build
    from motifnet.training import fit

    torch.set_num_threads(1)
    torch.manual_seed(0)
    data = load(store, mmap=mmap)
    model = build("deepsea", n_targets=data.n_targets, input_length=data.length, filters=[8, 8], dropout=[0.1, 0.1],
                  dense=0)
    start = time.perf_counter()
    fit(model, data, epochs=1, batch_size=256, valid_fraction=0.0, patience=None, quiet=True, device="cpu")
    return {"seconds": time.perf_counter() - start, **rss_mb()}


def danq_step_gflop(n_targets: int, batch: int) -> float:
    import torch

    from bench_training import step_flops
    from motifnet.models import build

    torch.manual_seed(0)
    model = build("danq", n_targets=n_targets, input_length=WINDOW, preset="paper")
    return step_flops(model, WINDOW, n_targets, batch=batch) / 1e9


def random_genome(folder: Path, size: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    path = folder / "random.fa.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(">chrR\n" + "".join(rng.choice(list("ACGT"), size)) + "\n")
    return path


def run(quick: bool = False) -> dict:
    from motifnet.io import iter_fasta

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        genome = random_genome(folder, 300_000) if quick or not GENOME.exists() else GENOME
        if not quick and genome != GENOME:
            return {"title": "Peak files to a multi-task store", "rows": [], "notes": f"genome not found: {GENOME}"}
        chrom, sequence = next(iter_fasta(genome))
        size = len(sequence)
        del sequence
        files = simulate_peaks(folder, chrom, size, 4 if quick else 20, n_peaks=100 if quick else 600)
        repeat = 1 if quick else 3
        n_bins = size // BIN
        build_args = (str(genome), files)
        same = motifnet_build(*build_args, str(folder / "a")) == loop_build(*build_args, str(folder / "b"))
        assert same, "the store and the per-bin loop differ"
        times = interleaved_seconds({"motifnet": lambda: motifnet_build(*build_args, str(folder / "a")),
                                     "loop": lambda: loop_build(*build_args, str(folder / "b"))}, repeat=repeat, warmup=0)
        memory = {}
        if not quick:
            _, peak = in_subprocess(motifnet_build, *build_args, str(folder / "c"))
            _, ref_peak = in_subprocess(loop_build, *build_args, str(folder / "d"))
            memory = {"peak_rss_mb": round(peak, 1), "ref_peak_rss_mb": round(ref_peak, 1)}
        from motifnet.data import load

        train = load(folder / "a" / "train")
        rows_kept = len(train)
        rows = [row(f"build: {len(files)} experiments, {size:,} bp genome, {n_bins:,} bins -> {rows_kept:,} windows "
                    "vs per-bin Python loop", times["motifnet"][0], times["loop"][0], unit="s", higher_is_better=False,
                    bins_per_s=round(n_bins / times["motifnet"][0]), ref_bins_per_s=round(n_bins / times["loop"][0]),
                    windows_per_s=round(rows_kept / times["motifnet"][0]), identical=same, **memory)]
        label_fns = {"motifnet": lambda: motifnet_pairs(chrom, size, files), "loop": lambda: loop_pairs(chrom, size, files)}
        try:
            import bioframe  # noqa: F401

            label_fns["bioframe"] = lambda: bioframe_pairs(chrom, size, files)
        except ImportError:
            pass
        answers = {name: fn() for name, fn in label_fns.items()}
        agree = all(answer == answers["motifnet"] for answer in answers.values())
        assert agree, "labelling methods disagree"
        label_times = interleaved_seconds(label_fns, repeat=repeat, warmup=0)
        for name in [n for n in label_fns if n != "motifnet"]:
            ref = {"loop": "per-bin Python loop", "bioframe": "bioframe.merge + bioframe.coverage"}[name]
            rows.append(row(f"labels only: {len(files)} experiments x {n_bins:,} bins vs {ref}",
                            label_times["motifnet"][0], label_times[name][0], unit="s", higher_is_better=False,
                            bins_per_s=round(n_bins / label_times["motifnet"][0]),
                            ref_bins_per_s=round(n_bins / label_times[name][0]), identical=agree))
        genome_seconds = min(genome_only(*build_args, str(folder / "e")) for _ in range(repeat))
        rows.append(row(f"the same build with one experiment ({100 if quick else 600} peaks): the genome passes, almost alone",
                        genome_seconds, None, unit="s", mbp_per_s=round(size / 1e6 / genome_seconds, 2)))
        n_files, per_file = (2, 10_000) if quick else (20, 50_000)
        parts, peak = in_subprocess(many_peaks, str(folder), chrom, size, n_files, per_file)
        rows.append(row(f"{n_files} files x {per_file:,} peaks: read_peaks, then positive_bins", parts["read_seconds"]
                        + parts["label_seconds"], None, unit="s", read_seconds=round(parts["read_seconds"], 3),
                        label_seconds=round(parts["label_seconds"], 3),
                        peaks_per_s_read=round(n_files * per_file / parts["read_seconds"]),
                        peaks_per_s_label=round(n_files * per_file / parts["label_seconds"]), peak_rss_mb=round(peak, 1)))
        steps, batch = (3, 8) if quick else (STEPS, BATCH)
        result, peak = in_subprocess(danq_steps, str(folder / "a" / "train"), steps, batch)
        gflop = danq_step_gflop(len(files), batch)
        store_mb = sum(p.stat().st_size for p in (folder / "a" / "train").glob("*.npy")) / 2**20
        rows.append(row(f"DanQ paper training on the memory-mapped store ({result['rows']:,} rows, batch {batch})",
                        result["seq_per_s"], None, unit="seq/s", steps=steps, step_gflop=round(gflop, 2),
                        achieved_gflops=round(gflop * result["seq_per_s"] / batch, 2),
                        matmul_gflops=round(matmul_gflops(1024 if quick else 2048, repeat=2 if quick else 5), 1),
                        peak_rss_mb=round(peak, 1), store_mb=round(store_mb, 1)))
        n_wide = 2_000 if quick else 50_000
        wide = synthetic_store(str(folder), n_wide, 919)
        targets_mb = Path(wide, "targets.npy").stat().st_size / 2**20
        for mmap in (True, False):
            end, peak = in_subprocess(fit_memory, wide, mmap)
            rows.append(row(f"fit, one epoch of a small DeepSEA on {n_wide:,} windows x 919 targets "
                            f"({targets_mb:.0f} MiB of targets), targets {'memory-mapped' if mmap else 'read into memory'}",
                            end["seconds"], None, unit="s", peak_rss_mb=round(peak, 1),
                            end_anon_mb=round(end.get("anon", float("nan")), 1),
                            end_file_mb=round(end.get("file", float("nan")), 1)))
    info = machine()
    notes = (f"Genome {genome.name if genome == GENOME else 'random (quick)'}; bins {BIN} bp, windows {WINDOW} bp, "
             f"max N {MAX_N}, only bins with a label (DeepSEA's rule). value/ref: median wall seconds of {repeat} "
             "round-robin runs; ratio = ref / value (above 1: motifnet faster). Peak RSS (MiB) of a fresh process "
             f"running one build / the DanQ steps, with interpreter and imports. {info['torch_threads']} torch thread(s), "
             f"load average {info['load_avg_1min']} (shared 2-core machine).")
    return {"title": "Peak files to a multi-task store; DanQ paper on it", "rows": rows, "notes": notes, "machine": info}


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
