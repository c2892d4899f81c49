"""Reading real data into SeqData: seconds and peak memory, against simple baselines.

Rows (each timed in the same run as its reference, round-robin, median of repeats):

- all ten DeepBind ENCODE ``*_AC.seq.gz`` files (131,607 rows of 101 bp) through
  ``motifnet.io.read_data``, against a plain-Python baseline (gzip + ``str.split`` per row, one
  ``np.array`` of per-base dict look-ups per sequence, then ``np.stack``: what a first script
  does) and against pandas ``read_csv`` + motifnet's vectorised ``encode_batch``;
- the six RBP-31 ``train.fa.gz`` files (180,000 FASTA records, labels in the headers) through
  ``read_data``, against Biopython ``SeqIO.parse`` + a regex on the header + ``encode_batch``;
- the E. coli genome (4.94 Mbp, gzip) streamed with ``motifnet.io.iter_fasta`` against Biopython
  ``SeqIO.parse``;
- loading the ENCODE data back from a store folder (memory-mapped) against reading the files.

Peak resident memory is measured in a fresh process per reader (its ``VmHWM``; it includes the
interpreter and imports, given as the 'imports only' row). Quick mode reads
one ENCODE file and one RBP-31 file, once, and measures no memory.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import DATA_DIR, interleaved_seconds, row  # noqa: E402

ENCODE = sorted((DATA_DIR / "deepbind_encode").glob("*_AC.seq.gz"))
RBP = sorted((DATA_DIR / "rbp31").glob("*/train.fa.gz"))
GENOME = DATA_DIR / "genomes" / "ecoli_536_NC_008253.fna.gz"
_LOOKUP = {c: i for i, c in enumerate("ACGT")}


# ---------------------------------------------------------------------------------------------
# Readers (module-level so that in_subprocess can run them by name)


def motifnet_read(paths: list[str]) -> int:
    from motifnet.data import concatenate
    from motifnet.io import read_data

    data = concatenate([read_data(p) for p in paths])
    return int(data.tokens.sum(dtype=np.int64) % 1000003)


def naive_read(paths: list[str]) -> int:
    """gzip + split per row, per-base dict look-ups per sequence, then np.stack."""
    rows, labels = [], []
    for path in paths:
        with gzip.open(path, "rt") as handle:
            header = handle.readline().rstrip("\n").split("\t")
            seq_at, label_at = header.index("seq"), header.index("Bound")
            for line in handle:
                fields = line.rstrip("\n").split("\t")
                rows.append(np.array([_LOOKUP.get(c, 4) for c in fields[seq_at].upper()], dtype=np.uint8))
                labels.append(float(fields[label_at]))
    tokens = np.stack(rows)
    return int(tokens.sum(dtype=np.int64) % 1000003)


def pandas_read(paths: list[str]) -> int:
    """pandas.read_csv (C parser) + motifnet.sequence.encode_batch."""
    import pandas as pd

    from motifnet.sequence import encode_batch

    frames = [pd.read_csv(p, sep="\t") for p in paths]
    frame = pd.concat(frames, ignore_index=True)
    tokens, _ = encode_batch(frame["seq"].tolist())
    return int(tokens.sum(dtype=np.int64) % 1000003)


def biopython_fasta(paths: list[str]) -> int:
    """Bio.SeqIO.parse + a regex for class:N in the description + encode_batch."""
    from Bio import SeqIO

    from motifnet.sequence import encode_batch

    pattern = re.compile(r"class:(\d+)")
    sequences, labels = [], []
    for path in paths:
        with gzip.open(path, "rt") as handle:
            for record in SeqIO.parse(handle, "fasta"):
                sequences.append(str(record.seq))
                labels.append(int(pattern.search(record.description).group(1)))
    tokens, _ = encode_batch(sequences)
    return int(tokens.sum(dtype=np.int64) % 1000003)


def motifnet_genome(path: str) -> int:
    from motifnet.io import iter_fasta

    return sum(len(sequence) for _, sequence in iter_fasta(path))


def biopython_genome(path: str) -> int:
    from Bio import SeqIO

    with gzip.open(path, "rt") as handle:
        return sum(len(record.seq) for record in SeqIO.parse(handle, "fasta"))


def store_load(folder: str) -> int:
    from motifnet.data import load

    data = load(folder)
    return int(len(data))


def imports_only() -> int:
    import motifnet.io  # noqa: F401

    return 0


# ---------------------------------------------------------------------------------------------


def fresh_process_peak_mb(function, *args) -> float:
    """Run ``function(*args)`` (a function of this module) in a new interpreter; its peak RSS in MiB.

    Read from ``VmHWM`` in /proc/self/status, the high-water mark of the new process image:
    ``ru_maxrss`` would not do, because a child started by fork + exec inherits the parent's
    maximum (which is what ``_harness.in_subprocess`` reports).
    """
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import bench_io; "
        "getattr(bench_io, sys.argv[2])(*json.loads(sys.argv[3])); "
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).resolve().parent), function.__name__, json.dumps(args)],
        capture_output=True, text=True, timeout=600, check=True,
    )
    return int(result.stdout.split()[-1]) / 1024


def _timed_rows(label: str, candidate, reference, ref_name: str, args, quick: bool, unit_count: int, unit: str):
    assert candidate(*args) == reference(*args), f"{label}: outputs differ"  # also the warm-up
    times = interleaved_seconds({"motifnet": lambda: candidate(*args), "ref": lambda: reference(*args)},
                                repeat=1 if quick else 5, warmup=0)
    (seconds, low, high), (ref_seconds, _, _) = times["motifnet"], times["ref"]
    memory = {}
    if not quick:  # a fresh interpreter per reader: seconds each
        memory = {"peak_rss_mb": round(fresh_process_peak_mb(candidate, *args), 1),
                  "ref_peak_rss_mb": round(fresh_process_peak_mb(reference, *args), 1)}
    return row(
        f"{label} vs {ref_name}", seconds, ref_seconds, unit="s", higher_is_better=False,
        s_min=low, s_max=high, per_second=f"{unit_count / seconds:,.0f} {unit}/s", **memory,
    )


def synthetic_inputs(folder: Path, n: int = 300, seed: int = 0) -> tuple[list[str], list[str]]:
    """A small DeepBind .seq.gz and a labelled FASTA.gz, for a quick run without ../shared/data."""
    rng = np.random.default_rng(seed)
    sequences = ["".join(rng.choice(list("ACGT"), 101)) for _ in range(n)]
    seq_path, fasta_path = folder / "synthetic_AC.seq.gz", folder / "synthetic_train.fa.gz"
    with gzip.open(seq_path, "wt") as handle:
        handle.write("FoldID\tEventID\tseq\tBound\n")
        handle.writelines(f"A\tpeak{i}\t{s}\t1\n" for i, s in enumerate(sequences))
    with gzip.open(fasta_path, "wt") as handle:
        handle.writelines(f">chr1,+,{100 * i},{100 * i + 101}; class:{i % 2}\n{s}\n" for i, s in enumerate(sequences))
    return [str(seq_path)], [str(fasta_path)]


def run(quick: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        if ENCODE and RBP:
            encode_files = [str(p) for p in (ENCODE[:1] if quick else ENCODE)]
            rbp_files = [str(p) for p in (RBP[:1] if quick else RBP)]
        elif quick:
            encode_files, rbp_files = synthetic_inputs(Path(folder))
        else:
            return {"title": "Reading data into SeqData", "rows": [], "notes": f"data not found under {DATA_DIR}"}
        return _measure(encode_files, rbp_files, quick)


def _measure(encode_files: list[str], rbp_files: list[str], quick: bool) -> dict:
    repeat = 1 if quick else 5
    memory = not quick
    n_encode = sum(sum(1 for _ in gzip.open(p, "rt")) - 1 for p in encode_files)
    n_rbp = sum(sum(1 for line in gzip.open(p, "rt") if line.startswith(">")) for p in rbp_files)
    rows = [
        _timed_rows(f"{len(encode_files)} ENCODE AC .seq.gz ({n_encode:,} rows) read_data", motifnet_read, naive_read,
                    "plain-Python per-sequence baseline", (encode_files,), quick, n_encode, "rows"),
        _timed_rows(f"{len(encode_files)} ENCODE AC .seq.gz read_data", motifnet_read, pandas_read,
                    "pandas.read_csv + encode_batch", (encode_files,), quick, n_encode, "rows"),
        _timed_rows(f"{len(rbp_files)} RBP-31 train.fa.gz ({n_rbp:,} records) read_data", motifnet_read, biopython_fasta,
                    "Biopython SeqIO + regex + encode_batch", (rbp_files,), quick, n_rbp, "records"),
    ]
    if not quick and GENOME.exists():
        rows.append(_timed_rows("E. coli genome (4.94 Mbp gz) iter_fasta", motifnet_genome, biopython_genome,
                                "Biopython SeqIO.parse", (str(GENOME),), quick, 4_938_920, "bp"))
    with tempfile.TemporaryDirectory() as folder:
        from motifnet.data import concatenate, save
        from motifnet.io import read_data

        store = Path(folder) / "encode_store"
        save(concatenate([read_data(p) for p in encode_files]), store)
        times = interleaved_seconds({"load": lambda: store_load(str(store)), "read": lambda: motifnet_read(encode_files)},
                                    repeat=repeat)
        peak = {"peak_rss_mb": round(fresh_process_peak_mb(store_load, str(store)), 1)} if memory else {}
        rows.append(row("load the same ENCODE data from a store folder (mmap) vs read_data of the files",
                        times["load"][0], times["read"][0], unit="s", higher_is_better=False, **peak))
    if memory:
        rows.append(row("imports only (python + numpy + motifnet.io), for the peak RSS above", 0.0, None, unit="s",
                        peak_rss_mb=round(fresh_process_peak_mb(imports_only), 1)))
    notes = (
        f"Data: {Path(encode_files[0]).parent}. value and ref are median wall seconds of {repeat} (round-robin after a warm-up); "
        "ratio = ref / value (above 1: motifnet faster). Peak RSS (MiB) of a fresh process running only that "
        "reader once, including interpreter and imports. Every reader returns the same checksum of the tokens "
        "(asserted). Timings depend on the machine's load (load_avg_1min)."
    )
    return {"title": "Reading data into SeqData (seconds, peak memory)", "rows": rows, "notes": notes}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
