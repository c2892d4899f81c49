"""RNA secondary structure as extra input channels, computed with ViennaRNA (RNAplfold).

For each position of each sequence, local folding (RNAplfold: a window of ``window`` nt, base
pairs spanning at most ``span`` nt) gives the probability that the base is paired, and, with
``kind="contexts"``, how its unpaired probability splits over the loop types, as GraphProt and
RNAcontext use them::

    paired      P(paired)
    exterior    P(unpaired, in the exterior loop)
    hairpin     P(unpaired, in a hairpin loop)
    interior    P(unpaired, in an interior loop or bulge)
    multiloop   P(unpaired, in a multi-branch loop)

(the five sum to 1). ``kind="paired"`` keeps the first channel only. Channels are float16
``[N, S, L]``, 0 beyond each sequence's true length; :func:`add_structure` puts them on a
:class:`~motifnet.data.SeqData`, whose batches then are ``[B, 4 + S, L]``.

ViennaRNA (``pip install viennarna``) is needed only here; without it a one-line error names it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from motifnet.errors import MotifnetError

if TYPE_CHECKING:
    from motifnet.data import SeqData

KINDS = {
    "paired": ("paired",),
    "contexts": ("paired", "exterior", "hairpin", "interior", "multiloop"),
}


@dataclass(frozen=True)
class Folding:
    """How structure channels are computed: ``kind`` (see :data:`KINDS`), RNAplfold's window
    ``window`` (W) and maximal base-pair span ``span`` (L), both capped at the sequence length."""

    kind: str = "contexts"
    window: int = 150
    span: int = 50

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise MotifnetError(f"unknown structure kind {self.kind!r}; expected one of {sorted(KINDS)}")
        if not (isinstance(self.window, int) and isinstance(self.span, int)) or self.window < 2 or self.span < 2:
            raise MotifnetError(f"structure window and span must be integers >= 2, got {self.window} and {self.span}")

    @property
    def channels(self) -> tuple[str, ...]:
        """The channel names, in order."""
        return KINDS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def parse(cls, value: "Folding | str | Mapping | None") -> "Folding | None":
        """A Folding from a kind name (``"contexts"``), a mapping of its fields, or None (none).

        Raises:
            MotifnetError: an unknown kind or key, or a bad window/span.
        """
        if value is None or isinstance(value, Folding):
            return value
        if isinstance(value, str):
            return cls(kind=value)
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - {"kind", "window", "span"})
            if unknown:
                raise MotifnetError(f"unknown structure setting(s) {unknown}; expected kind, window, span")
            return cls(**value)
        raise MotifnetError(f"structure must be a kind name or a mapping, got {type(value).__name__}")


def _vienna():
    """The ViennaRNA module, or a one-line error naming the package."""
    try:
        import RNA
    except ImportError:
        raise MotifnetError("structure channels need ViennaRNA: pip install viennarna") from None
    return RNA


def fold_one(sequence: str, folding: Folding) -> np.ndarray:
    """Channels of one sequence: float32 ``[S, len(sequence)]`` (see the module docstring)."""
    RNA = _vienna()
    n = len(sequence)
    unpaired = np.zeros((4, n), dtype=np.float32)  # exterior, hairpin, interior, multiloop
    if n < 2:
        unpaired[0] = 1.0
    else:
        loops = {RNA.EXT_LOOP: 0, RNA.HP_LOOP: 1, RNA.INT_LOOP: 2, RNA.MB_LOOP: 3}
        settings = RNA.md()
        settings.window_size = min(folding.window, n)
        settings.max_bp_span = min(folding.span, settings.window_size)
        compound = RNA.fold_compound(sequence, settings, RNA.OPTION_WINDOW)

        def collect(values, size, i, maxsize, what, data):
            loop = loops.get(what & ~RNA.PROBS_WINDOW_UP) if what & RNA.PROBS_WINDOW_UP else None
            if loop is not None and size >= 1 and values[1] is not None:
                unpaired[loop, i - 1] = values[1]

        compound.probs_window(1, RNA.PROBS_WINDOW_UP | RNA.PROBS_WINDOW_UP_SPLIT, collect, None)
    paired = np.clip(1.0 - unpaired.sum(axis=0), 0.0, 1.0)
    channels = np.vstack([paired[None], unpaired])
    return channels[: len(folding.channels)]


def _fold_chunk(job: tuple[list[str], Folding, int]) -> np.ndarray:
    """Worker: fold sequences into float16 ``[n, S, length]``."""
    sequences, folding, length = job
    out = np.zeros((len(sequences), len(folding.channels), length), dtype=np.float16)
    for row, sequence in enumerate(sequences):
        out[row, :, : len(sequence)] = fold_one(sequence, folding)
    return out


def _workers(jobs: int):
    """A pool of ``jobs`` spawned processes, or a context holding None for one job."""
    import contextlib

    if jobs < 2:
        return contextlib.nullcontext()
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))


def fold(sequences: list[str], folding: Folding, length: int | None = None, jobs: int = 1,
         quiet: bool = True) -> np.ndarray:
    """Structure channels of RNA sequences: float16 ``[N, S, length]`` (length: the longest).

    ``jobs`` > 1 folds in that many worker processes (spawned, so a multi-threaded parent is
    safe); the result does not depend on it.

    Raises:
        MotifnetError: ViennaRNA missing, ``jobs`` < 1, or a sequence longer than ``length``.
    """
    from tqdm.auto import tqdm

    _vienna()
    if jobs < 1:
        raise MotifnetError(f"jobs must be >= 1, got {jobs}")
    length = max((len(s) for s in sequences), default=0) if length is None else length
    if any(len(s) > length for s in sequences):
        raise MotifnetError(f"a sequence is longer than the padded length {length}")
    chunk = 256
    work = [(list(sequences[i : i + chunk]), folding, length) for i in range(0, len(sequences), chunk)]
    parts = []
    with _workers(min(jobs, len(work))) as pool, tqdm(total=len(sequences), disable=quiet, desc="folding",
                                                      unit="seq") as progress:
        for job, part in zip(work, (pool.map if pool else map)(_fold_chunk, work)):
            parts.append(part)
            progress.update(len(job[0]))
    if not parts:
        return np.zeros((0, len(folding.channels), length), dtype=np.float16)
    return np.concatenate(parts)


def add_structure(data: "SeqData", folding: "Folding | str | Mapping", jobs: int = 1, quiet: bool = True) -> "SeqData":
    """``data`` with structure channels computed by ``folding`` (a copy; the tokens are shared).

    Raises:
        MotifnetError: DNA data (read it with ``alphabet="RNA"``), ViennaRNA missing, or a bad
            ``folding``.
    """
    from dataclasses import replace

    from motifnet.sequence import decode

    folding = Folding.parse(folding)
    if data.alphabet != "RNA":
        raise MotifnetError("structure channels are RNA secondary structure: read the data as RNA (--alphabet RNA)")
    sequences = [decode(np.asarray(data.tokens[i, : int(data.lengths[i])]), "RNA") for i in range(len(data))]
    channels = fold(sequences, folding, length=data.length, jobs=jobs, quiet=quiet)
    return replace(data, structure=channels, folding=folding.to_dict())


__all__ = ["Folding", "KINDS", "add_structure", "fold", "fold_one"]
