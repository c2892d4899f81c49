"""The cost of RNA structure channels: sequences folded per second by :func:`motifnet.rna_structure.fold`.

Input: the first 500 sequences (101 nt) of RBP-31's PUM2 test set (../shared/data/rbp31), or
random RNA of that length when the data are absent. Rows: motifnet's default folding
(RNAplfold W 150, L 50, five context channels; ``paired`` alone costs the same) in 1 and 2
processes, and L 100 (wider pairs; no reference). The reference: a plain ViennaRNA loop of RNAfold's full partition function with base-pair
probabilities (``fold_compound(s).pf()`` then ``bpp()``; P(paired) only), the one-line way to get
pairing probabilities.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import DATA_DIR, median_seconds, row  # noqa: E402

TEST_SET = DATA_DIR / "rbp31" / "23_PARCLIP_PUM2_hg19" / "test.fa.gz"


def read_sequences(n: int) -> tuple[list[str], str]:
    """The first ``n`` sequences of the PUM2 test set (T read as U), or random RNA of 101 nt."""
    if TEST_SET.exists():
        with gzip.open(TEST_SET, "rt") as handle:
            records = handle.read().split(">")[1:]
        sequences = ["".join(r.splitlines()[1:]).upper().replace("T", "U") for r in records[:n]]
        return sequences, f"RBP-31 PUM2 test set ({TEST_SET.parent.name}), first {n:,} sequences"
    rng = np.random.default_rng(0)
    return ["".join(rng.choice(list("ACGU"), 101)) for _ in range(n)], f"{n:,} random RNA sequences of 101 nt"


def _rnafold_paired(sequences: list[str]) -> None:
    import RNA

    for sequence in sequences:
        compound = RNA.fold_compound(sequence)
        compound.pf()
        probabilities = np.array(compound.bpp())[1:, 1:]
        probabilities.sum(axis=0) + probabilities.sum(axis=1)


def run(quick: bool = False) -> dict:
    import RNA

    from motifnet.rna_structure import Folding, fold

    sequences, source = read_sequences(100 if quick else 500)
    repeat = 1 if quick else 3
    reference, _, _ = median_seconds(lambda: _rnafold_paired(sequences), repeat=repeat, warmup=0)
    n = len(sequences)
    cases = [  # (row, folding, processes, compared with the reference)
        ("RNAplfold W 150 L 50, 5 context channels, 1 process (default)", Folding(), 1, True),
        ("RNAplfold W 150 L 50, 5 context channels, 2 processes", Folding(), 2, True),
        ("RNAplfold W 150 L 100 (pairs twice as long), 1 process", Folding(span=100), 1, False),
    ]
    rows = []
    for name, folding, jobs, compared in cases:
        seconds, low, high = median_seconds(lambda: fold(sequences, folding, jobs=jobs), repeat=repeat, warmup=0)
        rows.append(row(name, n / seconds, n / reference if compared else None, unit="seq/s", seconds=seconds,
                        seconds_min=low, seconds_max=high))
    notes = (
        f"Input: {source}. value = sequences folded per second (median of {repeat}); ref = ViennaRNA "
        f"{RNA.__version__}'s full partition function per sequence (RNAfold -p: fold_compound(s).pf(), bpp()) in a "
        "Python loop, P(paired) only, in the same run. The 2-process row includes starting the processes. "
        "RBP-31's 40,000 sequences of one experiment take 40,000 / value seconds."
    )
    return {"title": "RNA structure channels: folding throughput", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
