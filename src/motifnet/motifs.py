"""Position frequency matrices: counts, probabilities, log-odds, information, sampling, scoring.

A :class:`Motif` holds a ``[4, W]`` matrix with rows A, C, G, T (U for RNA), either counts
(a JASPAR matrix, the columns sum to the number of sites) or probabilities (columns sum to 1).
Log-odds are in bits (log2). Backgrounds are given as ``None`` (uniform), a GC fraction, or a
vector of 4 probabilities (see :func:`background_vector`).

Scoring runs on one-hot tensors ``[B, 4, L]`` with :func:`torch.nn.functional.conv1d` over both
strands; :meth:`Motif.threshold` turns a p-value into a score cut-off from the exact score
distribution of a random sequence (dynamic programming over rounded scores, as FIMO and MOODS
do).
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from motifnet.errors import MotifnetError

BASES = "ACGT"
DEFAULT_PSEUDOCOUNT = 0.1
"""Pseudocount added to the counts (spread by the background) before taking log-odds, as FIMO's
``--motif-pseudo``."""
DEFAULT_NSITES = 20
"""Number of sites assumed when a motif is given as probabilities only (MEME's default)."""
SCORE_RESOLUTION = 0.001
"""Score bin width in bits for the exact score distribution of :meth:`Motif.threshold`."""


def consensus(matrix: np.ndarray, alphabet: str = "DNA") -> str:
    """The most probable base of each column of a ``[4, W]`` matrix (ties: first of A, C, G, T/U)."""
    letters = "ACGU" if alphabet == "RNA" else BASES
    return "".join(letters[i] for i in np.asarray(matrix).argmax(axis=0))


def background_vector(background: None | float | Sequence[float] | np.ndarray = None) -> np.ndarray:
    """Background probabilities of A, C, G, T as float64 ``[4]``.

    Args:
        background: ``None`` (uniform), a GC fraction in (0, 1), or 4 probabilities (normalised).

    Raises:
        MotifnetError: a GC fraction outside (0, 1) or a vector that is not 4 positive numbers.
    """
    if background is None:
        return np.full(4, 0.25)
    if np.isscalar(background):
        gc = float(background)
        if not 0.0 < gc < 1.0:
            raise MotifnetError(f"GC content must be between 0 and 1 (exclusive), got {gc}")
        return np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    vector = np.asarray(background, dtype=np.float64).reshape(-1)
    if vector.shape != (4,) or not np.all(np.isfinite(vector)) or (vector <= 0).any():
        raise MotifnetError(f"a background must be 4 positive probabilities (A, C, G, T), got {list(vector)}")
    return vector / vector.sum()



def information_content(probabilities: np.ndarray) -> np.ndarray:
    """Bits per column ``[..., W]`` of probability matrices ``[..., 4, W]`` against a uniform
    background: 2 minus the column's entropy (0..2)."""
    p = np.asarray(probabilities, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log2(p), 0.0).sum(axis=-2)
    return 2.0 - entropy

class Motif:
    """A DNA/RNA motif as a ``[4, W]`` matrix (rows A, C, G, T).

    Args:
        matrix: counts or probabilities ``[4, W]`` (non-negative, every column with a positive sum).
        id: an identifier such as a JASPAR matrix id ('MA0139.2').
        name: a readable name ('CTCF'); default: ``id``.
        is_counts: whether ``matrix`` holds counts; default: guessed (counts unless every column
            sums to 1).
        nsites: number of sites behind a probability matrix (default :data:`DEFAULT_NSITES`);
            ignored for counts, whose column sum is the number of sites.

    Raises:
        MotifnetError: a matrix that is not ``[4, W]`` with W >= 1, negative or non-finite
            entries, or an all-zero column.
    """

    def __init__(
        self,
        matrix: np.ndarray | Sequence[Sequence[float]],
        id: str = "motif",
        name: str | None = None,
        is_counts: bool | None = None,
        nsites: float | None = None,
    ) -> None:
        matrix = np.array(matrix, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[0] != 4 or matrix.shape[1] < 1:
            raise MotifnetError(f"a motif matrix must be [4, W] (rows A, C, G, T), got shape {matrix.shape}", record=id)
        if not np.all(np.isfinite(matrix)) or (matrix < 0).any():
            raise MotifnetError("a motif matrix must hold non-negative finite numbers", record=id)
        sums = matrix.sum(axis=0)
        if (sums <= 0).any():
            column = int(np.flatnonzero(sums <= 0)[0]) + 1
            raise MotifnetError(f"motif column {column} is all zero", record=id)
        if is_counts is None:
            is_counts = not np.allclose(sums, 1.0, atol=1e-3)
        self.id = str(id)
        self.name = str(name) if name else self.id
        self.is_counts = bool(is_counts)
        self._matrix = matrix
        self._matrix.setflags(write=False)
        self.nsites = float(sums.mean()) if is_counts else float(nsites or DEFAULT_NSITES)

    # -- basic views ------------------------------------------------------------------------

    @property
    def width(self) -> int:
        """The motif width W."""
        return int(self._matrix.shape[1])

    def __len__(self) -> int:
        return self.width

    def __repr__(self) -> str:
        return f"Motif(id={self.id!r}, name={self.name!r}, width={self.width}, consensus={self.consensus!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Motif):
            return NotImplemented
        return (self.id, self.name) == (other.id, other.name) and np.allclose(self.probabilities, other.probabilities)

    def __hash__(self) -> int:
        return hash((self.id, self.name, self.width))

    @property
    def probabilities(self) -> np.ndarray:
        """Base probabilities float64 ``[4, W]`` (each column sums to 1; no pseudocount)."""
        return self._matrix / self._matrix.sum(axis=0, keepdims=True)

    @property
    def counts(self) -> np.ndarray:
        """Counts float64 ``[4, W]``: the matrix given, or probabilities times ``nsites``."""
        return self._matrix.copy() if self.is_counts else self.probabilities * self.nsites

    def log_odds(self, pseudocount: float = DEFAULT_PSEUDOCOUNT, background=None) -> np.ndarray:
        """Log-odds in bits float64 ``[4, W]``: ``log2(p' / background)`` with
        ``p' = (counts + pseudocount * background) / (nsites + pseudocount)`` per column.

        Raises:
            MotifnetError: a negative pseudocount, or a zero probability with no pseudocount.
        """
        if pseudocount < 0:
            raise MotifnetError(f"pseudocount must be >= 0, got {pseudocount}")
        bg = background_vector(background)[:, None]
        counts = self.counts
        smoothed = (counts + pseudocount * bg) / (counts.sum(axis=0, keepdims=True) + pseudocount)
        if (smoothed <= 0).any():
            raise MotifnetError("zero probabilities give -inf log-odds; use a positive pseudocount", record=self.id)
        return np.log2(smoothed / bg)

    @property
    def information_content(self) -> np.ndarray:
        """Information per position in bits float64 ``[W]`` (2 minus the entropy; 0..2).
        The total is ``information_content.sum()`` (also :attr:`total_information`)."""
        return information_content(self.probabilities)

    @property
    def total_information(self) -> float:
        """Total information content in bits (sum over positions)."""
        return float(self.information_content.sum())

    @property
    def consensus(self) -> str:
        """The most probable base at each position (ties: first of A, C, G, T)."""
        return consensus(self.probabilities)

    # -- derived motifs ---------------------------------------------------------------------

    def _like(self, matrix: np.ndarray, id: str | None = None) -> "Motif":
        return Motif(matrix, self.id if id is None else id, self.name, self.is_counts, self.nsites)

    def reverse_complement(self) -> "Motif":
        """The motif of the opposite strand (rows and columns reversed); same id and name."""
        return self._like(self._matrix[::-1, ::-1])

    def trim(self, min_information: float = 0.25) -> "Motif":
        """Drop leading and trailing positions whose information is below ``min_information`` bits.

        Raises:
            MotifnetError: no position reaches ``min_information``.
        """
        keep = np.flatnonzero(self.information_content >= min_information)
        if keep.size == 0:
            raise MotifnetError(f"no position has {min_information} bits or more; nothing left after trimming",
                                record=self.id)
        return self._like(self._matrix[:, keep[0] : keep[-1] + 1])

    # -- sampling ---------------------------------------------------------------------------

    def sample(
        self,
        n: int,
        seed: int | np.random.Generator | None = 0,
        min_score: float | None = None,
        pseudocount: float = DEFAULT_PSEUDOCOUNT,
        background=None,
        max_rounds: int = 1000,
    ) -> np.ndarray:
        """Draw ``n`` instances from the motif's probabilities, each position independently.

        Args:
            n: number of instances.
            seed: an int seed or a ``numpy.random.Generator``.
            min_score: if given, keep only instances whose log-odds score (with ``pseudocount``
                and ``background``) is at least this (rejection sampling), e.g.
                ``motif.threshold(1e-4)``.
            max_rounds: rejection rounds before giving up.

        Returns:
            uint8 tokens ``[n, W]`` (A, C, G, T = 0..3).

        Raises:
            MotifnetError: ``min_score`` is above what the motif can reach, or too few instances
                pass it within ``max_rounds``.
        """
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        cumulative = np.cumsum(self.probabilities, axis=0)[:3].T  # [W, 3]

        def draw(m: int) -> np.ndarray:
            uniform = rng.random((m, self.width, 1))
            return (uniform >= cumulative[None]).sum(axis=2).astype(np.uint8)

        if min_score is None:
            return draw(n)
        table = self.log_odds(pseudocount, background)
        if table.max(axis=0).sum() < min_score - 1e-9:
            raise MotifnetError(f"min_score {min_score:.3f} is above the best score {table.max(axis=0).sum():.3f}",
                                record=self.id)
        kept: list[np.ndarray] = []
        have, rate = 0, 1.0
        for _ in range(max_rounds):
            batch = draw(min(max(64, int(1.2 * (n - have) / rate) + 16), 4_000_000 // self.width))
            passing = batch[_score_tokens(table, batch) >= min_score - 1e-9]
            rate = max(len(passing) / len(batch), 1e-4)
            kept.append(passing)
            have += len(passing)
            if have >= n:
                return np.concatenate(kept)[:n]
        raise MotifnetError(
            f"only {have} of {n} sampled instances reached score {min_score:.3f} in {max_rounds} rounds "
            "(use a lower min_score, or a larger site p-value)",
            record=self.id,
        )

    # -- scoring ----------------------------------------------------------------------------

    def score(self, one_hot, pseudocount: float = DEFAULT_PSEUDOCOUNT, background=None):
        """Log-odds scores of every window on both strands.

        Args:
            one_hot: float tensor or array ``[B, 4, L]`` (or ``[4, L]``), A, C, G, T channels; N
                columns (all zero) add nothing.

        Returns:
            float32 tensor ``[B, 2, L - W + 1]`` (``[2, L - W + 1]`` for a single sequence):
            channel 0 is the + strand, channel 1 the - strand; position i is the window
            ``[i, i + W)`` on the + strand coordinates in both cases.

        Raises:
            MotifnetError: a sequence shorter than the motif or not 4 channels.
        """
        import torch

        x = one_hot if isinstance(one_hot, torch.Tensor) else torch.from_numpy(np.asarray(one_hot))
        single = x.dim() == 2
        x = x.unsqueeze(0) if single else x
        if x.dim() != 3 or x.shape[1] != 4:
            raise MotifnetError(f"one-hot input must be [B, 4, L], got {tuple(x.shape)}", record=self.id)
        if x.shape[2] < self.width:
            raise MotifnetError(f"sequence length {x.shape[2]} is shorter than the motif ({self.width})",
                                record=self.id)
        table = self.log_odds(pseudocount, background)
        weight = torch.from_numpy(np.stack([table, table[::-1, ::-1]]).astype(np.float32)).to(x.device)
        scores = torch.nn.functional.conv1d(x.to(torch.float32), weight)
        return scores[0] if single else scores

    def score_tokens(self, tokens: np.ndarray, pseudocount: float = DEFAULT_PSEUDOCOUNT, background=None):
        """Scores float64 ``[N]`` of instances given as uint8 tokens ``[N, W]`` (N tokens add 0)."""
        tokens = np.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] != self.width:
            raise MotifnetError(f"instances must be tokens [N, {self.width}], got {tokens.shape}", record=self.id)
        return _score_tokens(self.log_odds(pseudocount, background), tokens)

    # -- score statistics -------------------------------------------------------------------

    def threshold(self, pvalue: float = 1e-4, background=None, pseudocount: float = DEFAULT_PSEUDOCOUNT) -> float:
        """The smallest score S with P(score >= S) <= ``pvalue`` for a random W-mer drawn from
        ``background`` (exact distribution over scores rounded to :data:`SCORE_RESOLUTION` bits).

        When even the best W-mer is more probable than ``pvalue`` (short motifs: a 6-mer has
        p >= 4**-6 = 2.4e-4 under a uniform background), the best score is returned, so that
        only the best-scoring W-mers pass.

        Raises:
            MotifnetError: ``pvalue`` outside (0, 1].
        """
        if not 0.0 < pvalue <= 1.0:
            raise MotifnetError(f"p-value must be in (0, 1], got {pvalue}")
        offset, survival = _score_distribution(self._key(pseudocount, background))
        passing = np.flatnonzero(survival <= pvalue * (1 + 1e-9))
        best = float(self.log_odds(pseudocount, background).max(axis=0).sum())
        if not passing.size:
            return best
        return min(float((passing[0] + offset) * SCORE_RESOLUTION), best)

    def pvalue(self, score: float | np.ndarray, background=None, pseudocount: float = DEFAULT_PSEUDOCOUNT):
        """P(score >= ``score``) for a random W-mer from ``background`` (same distribution as
        :meth:`threshold`, so exact up to the :data:`SCORE_RESOLUTION` rounding); works on
        scalars or arrays; 0 above the best score."""
        offset, survival = _score_distribution(self._key(pseudocount, background))
        score = np.asarray(score, dtype=np.float64)
        best = self.log_odds(pseudocount, background).max(axis=0).sum()
        index = np.clip(np.round(score / SCORE_RESOLUTION).astype(np.int64) - offset, 0, len(survival) - 1)
        result = np.where(score > best + 1e-4, 0.0, survival[index])  # 1e-4: float32 scores
        return float(result) if np.ndim(result) == 0 else result

    def _key(self, pseudocount: float, background) -> tuple:
        bg = background_vector(background)
        table = self.log_odds(pseudocount, bg)
        return (tuple(np.round(table / SCORE_RESOLUTION).astype(np.int64).ravel().tolist()), tuple(bg.tolist()))

    # -- display ----------------------------------------------------------------------------

    def text_logo(self, height: int = 8) -> str:
        """A terminal sequence logo: one column per position, letters stacked by their share of
        the position's information (``height`` rows = 2 bits), consensus and positions below."""
        p = self.probabilities
        info = self.information_content
        rows = [[" "] * self.width for _ in range(height)]
        for j in range(self.width):
            cells = np.round(p[:, j] * info[j] / 2.0 * height).astype(int)
            level = 0
            for base in np.argsort(p[:, j]):  # least probable at the bottom, the best on top
                for _ in range(int(cells[base])):
                    if level < height:
                        rows[height - 1 - level][j] = BASES[base]
                        level += 1
        lines = [f"{2.0 * (height - i) / height:4.1f} |" + " ".join(row) for i, row in enumerate(rows)]
        lines.append("     +" + "-" * (2 * self.width - 1))
        lines.append("      " + " ".join(self.consensus))
        lines.append("      " + " ".join(str((j + 1) % 10) for j in range(self.width)))
        return "\n".join(lines)


def _score_tokens(table: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Sum of ``table[token, position]`` per row of tokens ``[N, W]``; N tokens add 0."""
    padded = np.vstack([table, np.zeros((1, table.shape[1]))])
    return padded[np.minimum(tokens, 4).astype(np.int64), np.arange(table.shape[1])].sum(axis=1)


@functools.lru_cache(maxsize=512)
def _score_distribution(key: tuple) -> tuple[int, np.ndarray]:
    """Exact survival function of the rounded score of a random W-mer.

    Returns:
        ``(offset, survival)``: ``survival[k] = P(rounded score >= (k + offset) * resolution)``.
    """
    flat, bg = key
    scaled = np.asarray(flat, dtype=np.int64).reshape(4, -1)
    bg = np.asarray(bg)
    lowest = scaled.min(axis=0)
    shifted = scaled - lowest
    distribution = np.ones(1)
    for column in shifted.T:
        grown = np.zeros(len(distribution) + int(column.max()))
        for base in range(4):
            grown[column[base] : column[base] + len(distribution)] += bg[base] * distribution
        distribution = grown
    survival = np.cumsum(distribution[::-1])[::-1]
    return int(lowest.sum()), survival
