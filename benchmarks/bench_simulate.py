"""Synthetic data generation speed, and what the background holds by chance.

Speed rows: wall-clock seconds to generate each preset with :mod:`motifnet.simulate` (median of
repeats), against a per-sequence Python loop written the obvious way (NumPy random background,
instance drawn base by base with ``rng.choice``, rejection below the p < 1e-4 threshold, random
position and strand), timed on a subset and scaled per sequence. Target: 100,000
classroom sequences in under 10 s.

Chance-hit row: the share of 'none' rows of the classroom set that hold, by chance, a + strand
window scoring above some classroom motif's p < 1e-4 threshold, against the share expected from
the exact p-values of those thresholds, 1 - prod over motifs of (1 - p_m)^(L - W_m + 1). (The +
strand only: for palindromic motifs such as MAX's CACGTG both strands are one event.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import machine, median_seconds, row  # noqa: E402


def naive_classroom(n: int, motifs, thresholds, length: int = 100, seed: int = 0) -> tuple[np.ndarray, list]:
    """The per-sequence loop a first version would use (reference only)."""
    rng = np.random.default_rng(seed)
    n_classes = len(motifs) + 1
    tokens = np.empty((n, length), dtype=np.uint8)
    sites = []
    for i in range(n):
        label = i % n_classes
        sequence = rng.integers(0, 4, length).astype(np.uint8)
        if label < len(motifs):
            motif, threshold = motifs[label], thresholds[label]
            probabilities = motif.probabilities
            while True:
                instance = np.array([rng.choice(4, p=probabilities[:, j]) for j in range(motif.width)], dtype=np.uint8)
                if motif.score_tokens(instance[None])[0] >= threshold:
                    break
            strand = 1 if rng.random() < 0.5 else -1
            if strand < 0:
                instance = (3 - instance)[::-1]
            start = int(rng.integers(0, length - motif.width + 1))
            sequence[start : start + motif.width] = instance
            sites.append((i, label, start, start + motif.width, strand))
        tokens[i] = sequence
    return tokens, sites


def chance_hits(data, motifs) -> tuple[float, float]:
    """(observed, expected) share of 'none' rows with a + strand window above any motif's threshold."""
    from motifnet.sequence import one_hot

    none_rows = data.tokens[data.targets == len(motifs)]
    x = one_hot(none_rows)
    hit = np.zeros(len(none_rows), dtype=bool)
    miss_probability = 1.0
    for motif in motifs:
        threshold = motif.threshold(1e-4)
        hit |= motif.score(x)[:, 0].amax(dim=1).numpy() >= threshold - 1e-6
        miss_probability *= (1 - motif.pvalue(threshold)) ** (data.length - motif.width + 1)
    return float(hit.mean()), 1.0 - miss_probability


def run(quick: bool = False) -> dict:
    from motifnet import jaspar
    from motifnet.simulate import CLASSROOM_MOTIFS, binary, classroom, multilabel

    motifs = [jaspar.fetch(i) for i in CLASSROOM_MOTIFS]
    thresholds = [m.threshold(1e-4) for m in motifs]
    classroom(n_per_class=10)  # warm the JASPAR and threshold caches (not timed)
    n_classroom = 11_000 if quick else 100_001  # 9,091 per class x 11
    n_naive = 220 if quick else 2_200
    repeat = 2 if quick else 5

    seconds, low, high = median_seconds(lambda: classroom(n_per_class=n_classroom // 11), repeat=repeat)
    naive_seconds, naive_low, _ = median_seconds(lambda: naive_classroom(n_naive, motifs, thresholds), repeat=1, warmup=0)
    naive_scaled = naive_seconds * n_classroom / n_naive
    rows = [
        row(f"classroom, {n_classroom:,} x 100 bp", seconds, naive_scaled, unit="s", higher_is_better=False,
            min_s=low, max_s=high, sequences_per_s=n_classroom / seconds, target_s=10.0 * n_classroom / 100_001,
            ref_name=f"per-sequence Python loop ({n_naive:,} timed, scaled)"),
    ]
    n_multi = 2_500 if quick else 25_000
    seconds, low, high = median_seconds(lambda: multilabel(n=n_multi), repeat=repeat)
    rows.append(row(f"multilabel (Koo & Eddy), {n_multi:,} x 200 bp", seconds, None, unit="s",
                    higher_is_better=False, min_s=low, max_s=high, sequences_per_s=n_multi / seconds))
    n_binary = 500 if quick else 5_000
    for negatives in ("random", "shuffle"):
        seconds, low, high = median_seconds(lambda: binary(n_per_class=n_binary, negatives=negatives), repeat=repeat)
        rows.append(row(f"binary CTCF, negatives={negatives}, {2 * n_binary:,} x 100 bp", seconds, None, unit="s",
                        higher_is_better=False, min_s=low, max_s=high, sequences_per_s=2 * n_binary / seconds))

    data = classroom(n_per_class=300 if quick else 5000, seed=0)
    observed, expected = chance_hits(data, motifs)
    rows.append(row("classroom 'none' rows with a chance + strand p<1e-4 hit of any classroom motif", observed, expected,
                    unit="fraction", higher_is_better=False, ref_name="expected from exact p-values"))
    info = machine()
    notes = (
        f"Median of {repeat} runs after a warm-up (JASPAR look-ups and thresholds cached). ratio = reference / "
        "motifnet (above 1: motifnet faster). The per-sequence loop reference was timed once on "
        f"{n_naive:,} sequences and scaled linearly. binary with negatives=shuffle adds the "
        "Altschul-Erikson dinucleotide shuffle of motifnet.sequence (a compiled numba kernel). The chance-hit row's "
        "ratio is expected / observed: near 1 means the thresholds' p-values hold on the simulated background. "
        f"Machine: {info.get('cpu', '?')}, {info.get('cores', '?')} cores, load {info.get('load_avg_1min', '?')} "
        "(timings slow down with the load)."
    )
    return {"title": "Synthetic data generation (motifnet.simulate)", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
