"""Synthetic data sets: JASPAR motif instances embedded in background sequence, with the truth.

Every instance is drawn from its motif's probabilities (not the consensus) and, by default, kept
only if it scores at or above the motif's p < 1e-4 threshold against the background
(``site_pvalue``; rejection sampling), so each recorded site is a real binding site. Each
function returns a :class:`motifnet.data.SeqData` with

- ``sites``: one row per embedded instance (:data:`motifnet.data.SITE_DTYPE`: sequence row,
  motif index into ``motif_names``, 0-based ``[start, end)``, strand +1/-1);
- ``motif_names``: the motif of each index (JASPAR names, made unique with the matrix id);
- ``motif_ids``: the exact matrix of each index ('MA0466.2'), to compare learned motifs with;
- ``annotations["split"]``: 'train', 'valid' or 'test' per row (stratified by class when the
  task is multiclass or binary), e.g. ``np.flatnonzero(data.annotations["split"] == "train")``.

Presets (:data:`PRESETS`):

- :func:`classroom`: 10 JASPAR2024 CORE vertebrate motifs of distinct families, one instance per
  100 bp sequence, plus a "none" class: 11 balanced classes (multiclass).
- :func:`binary`: one motif vs background (DeepBind-style); negatives random or
  dinucleotide-shuffled positives.
- :func:`multilabel`: Koo & Eddy (2019): 12 JASPAR motifs, 1-5 per 200 bp sequence with
  probabilities 0.50/0.25/0.17/0.05/0.03, multi-hot labels, 25,000 sequences, split 70/10/20.
- :func:`position`: one motif per sequence; say whether it is there (binary) or which of
  ``n_bins`` position bins holds it (multiclass): the pooling / resolution homework.

Backgrounds (:func:`make_background`): uniform, a GC fraction, or a Markov chain of order k
fitted on real sequences (:class:`MarkovBackground`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from motifnet.data import SITE_DTYPE, SeqData, random_split
from motifnet.errors import MotifnetError
from motifnet.motifs import Motif, background_vector
from motifnet.sequence import N_TOKEN, dinucleotide_shuffle, reverse_complement_tokens

CLASSROOM_MOTIFS = (
    "MA0139.2", "MA0080.7", "MA0466.4", "MA0138.3", "MA0106.3",
    "MA1494.2", "MA0088.2", "MA0112.4", "MA0105.4", "MA0509.3",
)  # fmt: skip
"""CTCF, SPI1, CEBPB, REST, TP53, HNF4A (the 14 bp DR1 matrix), ZNF143, ESR1, NFKB1, RFX1.

Chosen so that the task is well posed and each motif can be found again: the Bayes-optimal
accuracy of the classroom set is 0.991 (``benchmarks/classroom_ceiling.py``), and the embedded
instances of every motif have that motif as their best Tomtom match in JASPAR2024 CORE
vertebrates, one motif per family. The first set (with MAX, SOX2, GATA1, FOXA1 and HNF4A
MA0114) had a ceiling of 0.973 (short motifs occur by chance in other classes' sequences) and
two motifs that no learner can identify (only the consensus of 6-7 bp motifs reaches p < 1e-4,
and CACGTG / ACAATGG best match Mlxip / Sox3); see docs/motifs.md."""

KOO_EDDY_MOTIFS = (
    "MA0151.1", "MA0466.2", "MA0477.1", "MA0062.2", "MA0496.1", "MA0058.3",
    "MA0052.3", "MA0502.1", "MA0079.3", "MA0083.3", "MA0137.3", "MA0095.2",
)  # fmt: skip
"""Arid3a, CEBPB, FOSL1, Gabpa, MAFK, MAX, MEF2A, NFYB, SP1, SRF, STAT1, YY1: the versions of
JASPAR 2016 CORE vertebrates, whose mixed-case names ('Arid3a', 'Gabpa') match the list in Koo &
Eddy's data-generation notebook."""

KOO_EDDY_COUNT_PROBABILITIES = (0.50, 0.25, 0.17, 0.05, 0.03)
"""Probabilities of 1, 2, 3, 4, 5 motifs per sequence (Koo & Eddy 2019)."""

CLASSROOM_N_PER_CLASS = 1000
"""11 classes x 1,000 = 11,000 sequences of 100 bp (8,800 to train): enough for a small CNN to
reach high accuracy in a few epochs, small enough that five models train in minutes on 2 cores."""


# ---------------------------------------------------------------------------------------------
# Backgrounds


@dataclass(frozen=True)
class MarkovBackground:
    """A Markov chain of order k over A, C, G, T.

    Attributes:
        order: k (0 = independent bases with a fitted composition).
        transitions: float64 ``[4**k, 4]``: P(next base | previous k bases), the state being the
            k previous tokens read as a base-4 number (oldest first).
        initial: float64 ``[4**k]``: probabilities of the first k bases (k-mer frequencies).
    """

    order: int
    transitions: np.ndarray
    initial: np.ndarray

    @classmethod
    def fit(
        cls, tokens: np.ndarray, order: int = 1, lengths: np.ndarray | None = None, pseudocount: float = 1.0
    ) -> "MarkovBackground":
        """Fit on tokens ``[N, L]`` (or ``[L]``); windows with N or beyond ``lengths`` are skipped.

        Raises:
            MotifnetError: a negative order, or no window of ``order + 1`` called bases.
        """
        if order < 0 or order > 8:
            raise MotifnetError(f"Markov order must be between 0 and 8, got {order}")
        tokens = np.atleast_2d(np.asarray(tokens))
        if lengths is not None:
            beyond = np.arange(tokens.shape[1])[None, :] >= np.asarray(lengths)[:, None]
            tokens = np.where(beyond, N_TOKEN, tokens)
        width = order + 1
        if tokens.shape[1] < width:
            raise MotifnetError(f"sequences of length {tokens.shape[1]} are too short for a Markov chain of order {order}")
        windows = np.lib.stride_tricks.sliding_window_view(tokens, width, axis=1).reshape(-1, width)
        windows = windows[(windows < 4).all(axis=1)].astype(np.int64)
        if not len(windows):
            raise MotifnetError("no A/C/G/T windows to fit a Markov background on")
        codes = windows @ (4 ** np.arange(order, -1, -1))
        counts = np.bincount(codes, minlength=4**width).reshape(4**order, 4) + pseudocount
        transitions = counts / counts.sum(axis=1, keepdims=True)
        initial = counts.sum(axis=1) / counts.sum()
        return cls(order, transitions, initial)

    @property
    def composition(self) -> np.ndarray:
        """Base frequencies float64 ``[4]`` of the fitted data (used for motif p-values)."""
        joint = self.initial[:, None] * self.transitions
        return joint.sum(axis=0) / joint.sum()

    def sample(self, n: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """Draw uint8 tokens ``[n, length]``."""
        out = np.empty((n, length), dtype=np.uint8)
        k = min(self.order, length)
        states = rng.choice(len(self.initial), size=n, p=self.initial)
        for j in range(k):  # the first k bases: digits of the initial k-mer, oldest first
            out[:, j] = (states // 4 ** (self.order - 1 - j)) % 4
        cumulative = np.cumsum(self.transitions, axis=1)[:, :3]
        modulus = 4 ** max(self.order - 1, 0)
        uniform = rng.random((length - k, n))
        for j in range(k, length):
            base = (uniform[j - k][:, None] >= cumulative[states]).sum(axis=1)
            out[:, j] = base
            states = (states % modulus) * 4 + base if self.order else states
        return out


def make_background(background=None, order: int = 1) -> tuple[Callable, np.ndarray]:
    """A background sampler and its base composition.

    Args:
        background: ``None`` or 'uniform'; a GC fraction (float); a :class:`MarkovBackground`;
            or real sequences (uint8 tokens ``[N, L]`` or a SeqData) to fit a Markov chain of
            ``order`` on.

    Returns:
        ``(sample, composition)``: ``sample(n, length, rng) -> uint8 [n, length]`` and the
        float64 ``[4]`` A, C, G, T composition used for motif thresholds.

    Raises:
        MotifnetError: an unrecognised background.
    """
    if background is None or (isinstance(background, str) and background.lower() == "uniform"):
        composition = background_vector(None)
    elif isinstance(background, (int, float)) and not isinstance(background, bool):
        composition = background_vector(float(background))
    elif isinstance(background, MarkovBackground):
        return background.sample, background.composition
    elif isinstance(background, SeqData):
        return make_background(MarkovBackground.fit(background.tokens, order, background.lengths))
    elif isinstance(background, np.ndarray) and background.dtype == np.uint8:
        return make_background(MarkovBackground.fit(background, order))
    else:
        raise MotifnetError(
            f"unknown background {background!r}: expected 'uniform', a GC fraction, a MarkovBackground "
            "or sequences (tokens or SeqData) to fit one on"
        )
    cumulative = np.cumsum(composition)[:3]

    def sample(n: int, length: int, rng: np.random.Generator) -> np.ndarray:
        if np.allclose(composition, 0.25):
            return rng.integers(0, 4, size=(n, length), dtype=np.uint8)
        return np.searchsorted(cumulative, rng.random((n, length)), side="right").astype(np.uint8)

    return sample, composition


# ---------------------------------------------------------------------------------------------
# Embedding instances


def _positions(rows: np.ndarray, widths: np.ndarray, length: int, allow_overlap: bool, rng: np.random.Generator):
    """Start positions for sites (``rows``, ``widths`` ``[K]``), uniform among placements where
    the sites of a row do not overlap (unless ``allow_overlap``).

    Raises:
        MotifnetError: a motif longer than the sequence, or motifs of a row that cannot fit.
    """
    if (widths > length).any():
        raise MotifnetError(f"a motif of width {int(widths.max())} is longer than the sequences ({length} bp)")
    if allow_overlap or len(rows) == 0:
        return rng.integers(0, length - widths + 1)
    order = np.lexsort((rng.random(len(rows)), rows))  # sites of a row together, in random order
    sorted_rows, sorted_widths = rows[order], widths[order]
    unique_rows, first, per_row = np.unique(sorted_rows, return_index=True, return_counts=True)
    if per_row.max() == 1:
        return rng.integers(0, length - widths + 1)
    total_width = np.add.reduceat(sorted_widths, first)
    free = length - total_width
    if (free < 0).any():
        bad = int(unique_rows[np.flatnonzero(free < 0)[0]])
        raise MotifnetError(
            f"the motifs of sequence {bad + 1} ({int(total_width[free < 0][0])} bp together) do not fit "
            f"in {length} bp without overlapping (pass allow_overlap=True or use longer sequences)"
        )
    # Stars and bars: k distinct slots c_1 < ... < c_k among free + k give the gaps between sites.
    k_max = int(per_row.max())
    keys = rng.random((len(unique_rows), int(free.max()) + k_max), dtype=np.float32)
    keys[np.arange(keys.shape[1])[None, :] >= (free + per_row)[:, None]] = np.inf
    picked = np.argsort(keys, axis=1)[:, :k_max]  # the k_max random slots with the smallest keys
    picked[np.arange(k_max)[None, :] >= per_row[:, None]] = np.iinfo(np.int64).max  # a row keeps its own k
    slots = np.sort(picked, axis=1)
    rank = np.arange(len(rows)) - np.repeat(first, per_row)  # index of each site within its row
    group = np.repeat(np.arange(len(unique_rows)), per_row)
    widths_before = np.cumsum(sorted_widths) - sorted_widths - np.repeat(np.cumsum(sorted_widths)[first] - sorted_widths[first], per_row)
    starts_sorted = slots[group, rank] - rank + widths_before
    starts = np.empty(len(rows), dtype=np.int64)
    starts[order] = starts_sorted
    return starts


def embed(
    tokens: np.ndarray,
    motifs: Sequence[Motif],
    rows: np.ndarray,
    motif_index: np.ndarray,
    rng: np.random.Generator,
    strand: str = "random",
    site_pvalue: float | None = 1e-4,
    background=None,
    allow_overlap: bool = False,
    starts: np.ndarray | None = None,
) -> np.ndarray:
    """Write motif instances into ``tokens`` in place and return their sites.

    Args:
        tokens: uint8 ``[N, L]`` background sequences (modified).
        motifs: the motifs indexed by ``motif_index``.
        rows, motif_index: int ``[K]``: one site per entry (a row may get several).
        strand: 'random' (+ or - with equal chance), '+' or '-'.
        site_pvalue: keep only instances scoring at or above the motif's threshold at this
            p-value against ``background`` (a composition, see
            :func:`motifnet.motifs.background_vector`); None keeps every sampled instance.
        allow_overlap: let the sites of a row overlap (later ones overwrite earlier ones).
        starts: int ``[K]`` 0-based start of each site (default: uniform among the placements
            that fit, see ``allow_overlap``).

    Returns:
        Sites ``[K]`` (:data:`motifnet.data.SITE_DTYPE`), sorted by row then start.

    Raises:
        MotifnetError: a bad ``strand``, a motif longer than the sequence, or sites that do not fit.
    """
    if strand not in ("random", "+", "-"):
        raise MotifnetError(f"strand must be 'random', '+' or '-', got {strand!r}")
    rows = np.asarray(rows, dtype=np.int64)
    motif_index = np.asarray(motif_index, dtype=np.int64)
    widths = np.array([m.width for m in motifs], dtype=np.int64)[motif_index]
    if starts is None:
        starts = _positions(rows, widths, tokens.shape[1], allow_overlap, rng)
    else:
        starts = np.asarray(starts, dtype=np.int64)
        if starts.shape != rows.shape or (starts < 0).any() or (starts + widths > tokens.shape[1]).any():
            raise MotifnetError(f"site starts must be one per site, within 0..{tokens.shape[1]} - motif width")
    strands = np.ones(len(rows), dtype=np.int8) if strand == "+" else -np.ones(len(rows), dtype=np.int8)
    if strand == "random":
        strands = np.where(rng.random(len(rows)) < 0.5, 1, -1).astype(np.int8)
    for index, motif in enumerate(motifs):
        chosen = np.flatnonzero(motif_index == index)
        if not len(chosen):
            continue
        min_score = None if site_pvalue is None else motif.threshold(site_pvalue, background)
        instances = motif.sample(len(chosen), rng, min_score=min_score, background=background)
        minus = strands[chosen] < 0
        instances[minus] = reverse_complement_tokens(instances[minus])
        columns = starts[chosen, None] + np.arange(motif.width)
        tokens[rows[chosen, None], columns] = instances
    sites = np.empty(len(rows), dtype=SITE_DTYPE)
    sites["sequence"], sites["motif"], sites["start"] = rows, motif_index, starts
    sites["end"], sites["strand"] = starts + widths, strands
    return sites[np.lexsort((sites["start"], sites["sequence"]))]


def _unique_names(motifs: Sequence[Motif]) -> list[str]:
    names = [m.name for m in motifs]
    return [f"{m.name}_{m.id}" if names.count(m.name) > 1 else m.name for m in motifs]


def _finish(
    tokens, targets, task, target_names, motifs, sites, split, seed, shuffle_rows: bool, rng, prefix: str
) -> SeqData:
    """Shuffle rows (keeping sites in step), name them, and add the split column."""
    n = len(tokens)
    if shuffle_rows:
        order = rng.permutation(n)
        new_row = np.empty(n, dtype=np.int64)
        new_row[order] = np.arange(n)
        tokens, targets = tokens[order], targets[order]
        sites = sites.copy()
        sites["sequence"] = new_row[sites["sequence"]]
        sites = sites[np.lexsort((sites["start"], sites["sequence"]))]
    ids = np.char.add(f"{prefix}", (np.arange(n) + 1).astype(str))
    data = SeqData(tokens, targets, task, list(target_names), ids, sites=sites, motif_names=_unique_names(motifs),
                   motif_ids=[m.id for m in motifs])
    fractions = np.asarray(split, dtype=float)
    if fractions.shape != (3,):
        raise MotifnetError(f"split must be three fractions (train, valid, test), got {list(split)}")
    labels = np.empty(n, dtype="<U5")
    for name, part in zip(("train", "valid", "test"), random_split(data, fractions, seed=seed)):
        labels[part] = name
    data.annotations["split"] = labels
    return data


def _resolve(motifs, release: str) -> list[Motif]:
    from motifnet.jaspar import resolve

    resolved = resolve(motifs, release)
    if not resolved:
        raise MotifnetError("no motifs given")
    return resolved


# ---------------------------------------------------------------------------------------------
# Presets


def classroom(
    n_per_class: int = CLASSROOM_N_PER_CLASS,
    length: int = 100,
    motifs: Sequence[Motif | str] | str = CLASSROOM_MOTIFS,
    motifs_per_sequence: int = 1,
    none_class: bool = True,
    strand: str = "random",
    background=None,
    background_order: int = 1,
    site_pvalue: float | None = 1e-4,
    allow_overlap: bool = False,
    split: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    release: str = "JASPAR2024",
) -> SeqData:
    """Multiclass data: each sequence holds ``motifs_per_sequence`` instances of its class's motif,
    or none (class 'none'); exactly ``n_per_class`` sequences per class, rows in random order.

    Defaults: the 10 :data:`CLASSROOM_MOTIFS`, 1,000 per class, 100 bp, uniform background,
    random strand, instances at p < 1e-4, split 80/10/10 stratified. Targets: int64 ``[N]``
    indices into ``target_names`` = motif names (+ 'none').

    Raises:
        MotifnetError: unknown motifs, a motif longer than ``length``, bad counts or split.
    """
    motif_list = _resolve(motifs, release)
    if n_per_class < 1 or motifs_per_sequence < 1:
        raise MotifnetError("n_per_class and motifs_per_sequence must be at least 1")
    rng = np.random.default_rng(seed)
    sample_background, composition = make_background(background, background_order)
    n_classes = len(motif_list) + int(none_class)
    targets = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    tokens = sample_background(len(targets), length, rng)
    with_motif = np.flatnonzero(targets < len(motif_list))
    rows = np.repeat(with_motif, motifs_per_sequence)
    sites = embed(tokens, motif_list, rows, targets[rows], rng, strand, site_pvalue, composition, allow_overlap)
    names = _unique_names(motif_list) + (["none"] if none_class else [])
    return _finish(tokens, targets, "multiclass", names, motif_list, sites, split, seed, True, rng, "classroom")


def binary(
    motif: Motif | str | Sequence[Motif | str] = "MA0139",
    n_per_class: int = 5000,
    length: int = 100,
    negatives: str = "random",
    motifs_per_sequence: int = 1,
    strand: str = "random",
    background=None,
    background_order: int = 1,
    site_pvalue: float | None = 1e-4,
    allow_overlap: bool = False,
    split: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    release: str = "JASPAR2024",
) -> SeqData:
    """One motif vs background (DeepBind-style): ``n_per_class`` positives, each with
    ``motifs_per_sequence`` instances (of a motif drawn at random when several are given), and
    ``n_per_class`` negatives: fresh background (``negatives='random'``) or dinucleotide-shuffled
    positives (``'shuffle'``, which keeps each positive's dinucleotide counts). Targets float32
    ``[N, 1]``; target name 'bound'.

    Raises:
        MotifnetError: unknown motif, a bad ``negatives`` value, a motif longer than ``length``.
    """
    if negatives not in ("random", "shuffle"):
        raise MotifnetError(f"negatives must be 'random' or 'shuffle', got {negatives!r}")
    if n_per_class < 1 or motifs_per_sequence < 1:
        raise MotifnetError("n_per_class and motifs_per_sequence must be at least 1")
    motif_list = _resolve([motif] if isinstance(motif, Motif) else motif, release)
    rng = np.random.default_rng(seed)
    sample_background, composition = make_background(background, background_order)
    positives = sample_background(n_per_class, length, rng)
    rows = np.repeat(np.arange(n_per_class), motifs_per_sequence)
    which = rng.integers(0, len(motif_list), size=len(rows))
    sites = embed(positives, motif_list, rows, which, rng, strand, site_pvalue, composition, allow_overlap)
    if negatives == "random":
        negative_tokens = sample_background(n_per_class, length, rng)
    else:
        negative_tokens = dinucleotide_shuffle(positives, seed=rng)
    tokens = np.concatenate([positives, negative_tokens])
    targets = np.concatenate([np.ones(n_per_class), np.zeros(n_per_class)]).astype(np.float32)[:, None]
    return _finish(tokens, targets, "binary", ["bound"], motif_list, sites, split, seed, True, rng, "binary")


def multilabel(
    n: int = 25000,
    length: int = 200,
    motifs: Sequence[Motif | str] | str = KOO_EDDY_MOTIFS,
    count_probabilities: Sequence[float] = KOO_EDDY_COUNT_PROBABILITIES,
    distinct: bool = False,
    strand: str = "random",
    background=None,
    background_order: int = 1,
    site_pvalue: float | None = 1e-4,
    allow_overlap: bool = False,
    split: Sequence[float] = (0.7, 0.1, 0.2),
    seed: int = 0,
    release: str = "JASPAR2024",
) -> SeqData:
    """Multi-label data after Koo & Eddy (2019): each sequence gets k motif instances, k = 1..K
    with ``count_probabilities`` (default 0.50/0.25/0.17/0.05/0.03), each motif drawn uniformly
    with replacement as in their generator (``distinct=True``: k different motifs). Targets
    float32 ``[N, T]`` multi-hot over the motifs present. Defaults: the 12
    :data:`KOO_EDDY_MOTIFS`, 25,000 x 200 bp, split 70/10/20 (random; multi-label rows are not
    stratified). Koo & Eddy kept every sampled instance; pass ``site_pvalue=None`` to do the same.

    Raises:
        MotifnetError: probabilities that are negative or do not sum to 1, more distinct motifs
            per sequence than motifs, motifs that do not fit in ``length``.
    """
    motif_list = _resolve(motifs, release)
    probabilities = np.asarray(count_probabilities, dtype=float)
    if probabilities.ndim != 1 or (probabilities < 0).any() or not np.isclose(probabilities.sum(), 1.0):
        raise MotifnetError(f"count_probabilities must be non-negative and sum to 1, got {list(count_probabilities)}")
    if distinct and len(probabilities) > len(motif_list) and probabilities[len(motif_list):].sum() > 0:
        raise MotifnetError(f"cannot put {len(probabilities)} distinct motifs in a sequence: only {len(motif_list)} motifs")
    if n < 1:
        raise MotifnetError("n must be at least 1")
    rng = np.random.default_rng(seed)
    sample_background, composition = make_background(background, background_order)
    tokens = sample_background(n, length, rng)
    per_row = rng.choice(np.arange(1, len(probabilities) + 1), size=n, p=probabilities / probabilities.sum())
    rows = np.repeat(np.arange(n), per_row)
    if distinct:  # the first k of a random permutation of the motifs, per row
        ranking = np.argsort(rng.random((n, len(motif_list))), axis=1)
        which = ranking[rows, np.arange(len(rows)) - np.repeat(np.cumsum(per_row) - per_row, per_row)]
    else:
        which = rng.integers(0, len(motif_list), size=len(rows))
    sites = embed(tokens, motif_list, rows, which, rng, strand, site_pvalue, composition, allow_overlap)
    targets = np.zeros((n, len(motif_list)), dtype=np.float32)
    targets[rows, which] = 1.0
    names = _unique_names(motif_list)
    return _finish(tokens, targets, "multilabel", names, motif_list, sites, split, seed, False, rng, "multilabel")


def position(
    task: str = "position",
    motif: Motif | str = "MA0139",
    n: int = 6000,
    length: int = 100,
    n_bins: int = 10,
    strand: str = "random",
    background=None,
    background_order: int = 1,
    site_pvalue: float | None = 1e-4,
    split: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    release: str = "JASPAR2024",
) -> SeqData:
    """Where is the motif? One motif, once per sequence, for the pooling / resolution trade-off.

    The start positions at which the motif fits (``0 .. length - width``) are cut into
    ``n_bins`` equal bins. ``task='position'``: every sequence holds one instance, its start
    drawn uniformly within a bin chosen uniformly (balanced); multiclass targets int64 ``[N]``,
    the bin (target names 'bin1'..). ``task='presence'``: half the sequences hold one instance
    placed the same way, half none; binary targets float32 ``[N, 1]`` ('bound'). The same seed
    gives the same sequences, sites and bins in both tasks' motif-holding half.

    Raises:
        MotifnetError: an unknown task, fewer than 2 bins, more bins than start positions, or a
            motif longer than ``length``.
    """
    if task not in ("position", "presence"):
        raise MotifnetError(f"task must be 'position' or 'presence', got {task!r}")
    (motif_object,) = _resolve([motif] if isinstance(motif, Motif) else [motif], release)
    n_starts = length - motif_object.width + 1
    if n_starts < 1:
        raise MotifnetError(f"a motif of width {motif_object.width} is longer than the sequences ({length} bp)")
    if not 2 <= n_bins <= n_starts:
        raise MotifnetError(f"n_bins must be between 2 and {n_starts} (the start positions), got {n_bins}")
    if n < n_bins:
        raise MotifnetError(f"n must be at least n_bins ({n_bins})")
    rng = np.random.default_rng(seed)
    sample_background, composition = make_background(background, background_order)
    tokens = sample_background(n, length, rng)
    n_with = n if task == "position" else n // 2
    bins = rng.permutation(np.arange(n_with) % n_bins)
    edges = np.linspace(0, n_starts, n_bins + 1)
    low, high = np.ceil(edges[bins]).astype(np.int64), np.ceil(edges[bins + 1]).astype(np.int64)
    starts = low + np.floor(rng.random(n_with) * (high - low)).astype(np.int64)
    rows = np.arange(n_with)
    sites = embed(tokens, [motif_object], rows, np.zeros(n_with, dtype=np.int64), rng, strand, site_pvalue,
                  composition, starts=starts)
    if task == "position":
        targets, names = bins.astype(np.int64), [f"bin{b + 1}" for b in range(n_bins)]
        return _finish(tokens, targets, "multiclass", names, [motif_object], sites, split, seed, True, rng, "position")
    targets = (np.arange(n) < n_with).astype(np.float32)[:, None]
    return _finish(tokens, targets, "binary", ["bound"], [motif_object], sites, split, seed, True, rng, "presence")


PRESETS: dict[str, Callable[..., SeqData]] = {
    "classroom": classroom, "binary": binary, "multilabel": multilabel, "position": position,
}


def simulate(preset: str = "classroom", **options) -> SeqData:
    """Run a preset by name with keyword options (see :func:`classroom`, :func:`binary`,
    :func:`multilabel`, :func:`position`).

    Raises:
        MotifnetError: an unknown preset or option.
    """
    if preset not in PRESETS:
        raise MotifnetError(f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
    import inspect

    accepted = inspect.signature(PRESETS[preset]).parameters
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise MotifnetError(f"preset {preset!r} has no option {', '.join(unknown)}; options: {', '.join(accepted)}")
    return PRESETS[preset](**options)


def summary(data: SeqData) -> str:
    """A one-paragraph description of a simulated data set (sizes, classes, sites, split)."""
    split = data.annotations.get("split")
    parts = ""
    if split is not None:
        parts = ", ".join(f"{int((split == name).sum()):,} {name}" for name in ("train", "valid", "test"))
    n_sites = 0 if data.sites is None else len(data.sites)
    per_motif = "" if data.sites is None else ", ".join(
        f"{name} {int((data.sites['motif'] == i).sum()):,}" for i, name in enumerate(data.motif_names)
    )
    strands = "" if not n_sites else f" ({int((data.sites['strand'] > 0).sum()):,} on + strand)"
    return (
        f"{len(data):,} {data.task} sequences of {data.length} bp ({parts}); targets: {', '.join(data.target_names)}. "
        f"{n_sites:,} embedded motif sites{strands}: {per_motif}."
    )
