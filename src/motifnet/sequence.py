"""Alphabets, tokens, one-hot encoding, reverse complement, GC content, dinucleotide shuffle.

Tokens are uint8: A, C, G, T (U for RNA) = 0, 1, 2, 3; N and every other IUPAC ambiguity code
= 4 (:data:`N_TOKEN`). One-hot tensors are ``[batch, 4, length]`` in channel order A, C, G, T;
an N is an all-zero column. Because the channel order is A, C, G, T, the complement of a
channel is ``3 - channel``: reverse complement flips both the channel and the length axis.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from motifnet.errors import MotifnetError

ALPHABETS: dict[str, str] = {"DNA": "ACGT", "RNA": "ACGU"}
N_TOKEN = 4
IUPAC_AMBIGUOUS = "NRYSWKMBDHV"

_COMPLEMENT_TOKENS = np.array([3, 2, 1, 0, N_TOKEN], dtype=np.uint8)
_INVALID = 255


def _lookup_table() -> np.ndarray:
    table = np.full(256, _INVALID, dtype=np.uint8)
    for token, letters in enumerate(("A", "C", "G", "TU")):
        for letter in letters:
            table[ord(letter)] = table[ord(letter.lower())] = token
    for letter in IUPAC_AMBIGUOUS + ".-":
        table[ord(letter)] = table[ord(letter.lower())] = N_TOKEN
    return table


_ENCODE_TABLE = _lookup_table()
_ENCODE_BYTES = _ENCODE_TABLE.tobytes()


def _translate(raw: bytes) -> np.ndarray:
    """Bytes -> tokens through the 256-entry table (``bytes.translate``: one C pass, ~4x faster
    than NumPy fancy indexing). Invalid characters give 255."""
    return np.frombuffer(bytearray(raw.translate(_ENCODE_BYTES)), dtype=np.uint8)


def check_alphabet(alphabet: str) -> str:
    """Return the canonical alphabet name ('DNA' or 'RNA'); raise MotifnetError otherwise."""
    name = alphabet.upper()
    if name not in ALPHABETS:
        raise MotifnetError(f"unknown alphabet {alphabet!r}; expected one of {sorted(ALPHABETS)}")
    return name


def _invalid_message(text: bytes | str, tokens: np.ndarray) -> str:
    position = int(np.flatnonzero(tokens == _INVALID)[0])
    char = chr(text[position]) if isinstance(text, bytes) else text[position]
    return (
        f"character {char!r} at position {position + 1} is not a nucleotide or IUPAC code "
        "(expected A, C, G, T/U, N or R Y S W K M B D H V)"
    )


def encode(sequence: str | bytes, record: str | None = None) -> np.ndarray:
    """Encode one sequence to uint8 tokens ``[L]`` (case-insensitive; T and U both give 3).

    Raises:
        MotifnetError: a character is not a nucleotide or IUPAC code (``record`` names it).
    """
    raw = sequence.encode("ascii", "replace") if isinstance(sequence, str) else sequence
    tokens = _translate(bytes(raw))
    if tokens.size and tokens.max() == _INVALID:
        raise MotifnetError(_invalid_message(sequence, tokens), record=record)
    return tokens


class InvalidSequenceError(MotifnetError):
    """A sequence holds a character that is not a nucleotide or IUPAC code.

    Attributes:
        index: 0-based row of the offending sequence in the batch.
        position: 0-based position of the first bad character in that sequence.
    """

    def __init__(self, message: str, index: int, position: int, **where) -> None:
        self.index = index
        self.position = position
        super().__init__(message, **where)


def encode_batch(
    sequences: Sequence[str], length: int | None = None, record_ids: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Encode many sequences to a padded token matrix (one vectorised pass over all of them).

    Args:
        sequences: N strings.
        length: the padded length L (default: the longest sequence). Longer sequences raise.
        record_ids: names used in error messages (default ``#1``, ``#2``, ...).

    Returns:
        ``(tokens, lengths)``: uint8 ``[N, L]`` padded with :data:`N_TOKEN`, int64 ``[N]``.

    Raises:
        InvalidSequenceError: an invalid character (a :class:`MotifnetError` naming the record).
        MotifnetError: a sequence longer than ``length``.
    """
    n = len(sequences)
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=n)
    width = int(lengths.max(initial=0)) if length is None else int(length)

    def name(i: int) -> str:
        return str(record_ids[i]) if record_ids is not None else f"#{i + 1}"

    too_long = np.flatnonzero(lengths > width)
    if too_long.size:
        i = int(too_long[0])
        raise MotifnetError(f"sequence of length {lengths[i]} exceeds {width}", record=name(i))
    joined = "".join(sequences).encode("ascii", "replace")
    flat = _translate(joined)
    if flat.size and flat.max() == _INVALID:
        first = int(np.argmax(flat == _INVALID))
        i = int(np.searchsorted(np.cumsum(lengths), first, side="right"))
        position = first - int(lengths[:i].sum())
        raise InvalidSequenceError(
            _invalid_message(sequences[i], flat[first - position : first - position + lengths[i]]),
            index=i, position=position, record=name(i),
        )
    if n and (lengths == width).all():
        return flat.reshape(n, width), lengths
    tokens = np.full((n, width), N_TOKEN, dtype=np.uint8)
    tokens[np.arange(width) < lengths[:, None]] = flat
    return tokens, lengths


def decode(tokens: np.ndarray | Iterable[int], alphabet: str = "DNA") -> str:
    """Decode one token vector ``[L]`` to a string; token 4 becomes 'N'."""
    letters = np.frombuffer((ALPHABETS[check_alphabet(alphabet)] + "N").encode(), dtype=np.uint8)
    return letters[np.asarray(tokens, dtype=np.int64)].tobytes().decode()


def one_hot(tokens, device=None, dtype=None):
    """One-hot encode tokens ``[B, L]`` (or ``[L]``) to a tensor ``[B, 4, L]`` (or ``[4, L]``).

    Works on NumPy arrays or torch tensors; the tensor is made on ``device`` (default: the
    tensor's own, or CPU) so that a batch crosses to a GPU as compact uint8 and expands there.
    N (token 4) gives an all-zero column. ``dtype`` defaults to float32.

    On CPU the output is allocated by NumPy (large buffers get transparent huge pages: far
    fewer first-touch page faults than ``torch.empty``) and filled one channel at a time with
    single-threaded ``np.equal`` (no OpenMP waits on a loaded machine); see
    benchmarks/bench_onehot.py.
    """
    import torch

    dtype = dtype or torch.float32
    on_cpu = (device is None or torch.device(device).type == "cpu") and (
        not isinstance(tokens, torch.Tensor) or tokens.device.type == "cpu"
    )
    numpy_dtype = _numpy_dtype(dtype) if on_cpu else None
    if numpy_dtype is not None:
        array = tokens.numpy() if isinstance(tokens, torch.Tensor) else np.asarray(tokens)
        array = np.ascontiguousarray(array)
        out = np.empty((*array.shape[:-1], 4, array.shape[-1]), numpy_dtype)
        for channel in range(4):
            np.equal(array, channel, out=out[..., channel, :], casting="unsafe")
        return torch.from_numpy(out)
    if not isinstance(tokens, torch.Tensor):
        tokens = torch.from_numpy(np.ascontiguousarray(tokens))
    tokens = tokens.to(device=device, non_blocking=True) if device is not None else tokens
    channels = torch.arange(4, device=tokens.device, dtype=tokens.dtype)
    return (tokens.unsqueeze(-2) == channels.view(4, 1)).to(dtype)


def _numpy_dtype(dtype):
    """The NumPy dtype of a torch dtype, or None where NumPy has none (bfloat16)."""
    import torch

    try:
        return torch.empty((), dtype=dtype).numpy().dtype
    except TypeError:
        return None


def reverse_complement_tokens(tokens: np.ndarray) -> np.ndarray:
    """Reverse complement of tokens ``[..., L]`` (N stays N). Padding moves to the front."""
    return _COMPLEMENT_TOKENS[np.asarray(tokens)][..., ::-1].copy()


def reverse_complement_one_hot(x):
    """Reverse complement of a one-hot tensor or array ``[..., 4, L]`` (A,C,G,T order).

    Raises:
        MotifnetError: more than the 4 base channels (structure channels have no reverse complement).
    """
    import torch

    if x.shape[-2] != 4:
        raise MotifnetError(f"the reverse complement needs the 4 base channels alone, got {x.shape[-2]} channels")

    if isinstance(x, torch.Tensor):
        return x.flip((-2, -1))
    return np.ascontiguousarray(np.asarray(x)[..., ::-1, ::-1])


def with_reverse_complement(x):
    """One-hot tensor ``[B, 4, L]`` and its reverse complement stacked along the batch: ``[2B, 4, L]``
    (the forward strand first), one pass of a model over both strands."""
    import torch

    return torch.cat([x, reverse_complement_one_hot(x)], dim=0)


def reverse_complement(sequence: str) -> str:
    """Reverse complement of a DNA string (case kept; IUPAC ambiguity codes complemented)."""
    return sequence.translate(_STRING_COMPLEMENT)[::-1]


_STRING_COMPLEMENT = str.maketrans("ACGTUNRYSWKMBDHVacgtunryswkmbdhv", "TGCAANYRSWMKVHDBtgcaanyrswmkvhdb")


def gc_content(tokens: np.ndarray) -> np.ndarray:
    """Fraction of G or C among the A/C/G/T bases of each row of tokens ``[..., L]`` (NaN if none)."""
    tokens = np.asarray(tokens)
    gc = ((tokens == 1) | (tokens == 2)).sum(axis=-1)
    called = (tokens < N_TOKEN).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return gc / called


def dinucleotide_counts(tokens: np.ndarray) -> np.ndarray:
    """Counts of each ordered pair of adjacent tokens: int64 ``[5, 5]`` for a ``[L]`` vector."""
    tokens = np.asarray(tokens, dtype=np.int64)
    counts = np.zeros(25, dtype=np.int64)
    np.add.at(counts, tokens[:-1] * 5 + tokens[1:], 1)
    return counts.reshape(5, 5)


def _shuffle_rows(tokens, lengths, seed):  # compiled with numba by _shuffle_kernel
    """Altschul-Erikson shuffle of each row's first ``lengths[r]`` tokens (values 0..4): a random
    Eulerian walk of the row's pair graph from its first to its last base.

    For each row: list every vertex's out-edges (successors in order of appearance); draw a
    last exit edge for every vertex but the final base until those edges form a tree rooted at
    it (following last edges from any vertex reaches the final base: rejection, as in Altschul &
    Erikson); shuffle each vertex's other edges (Fisher-Yates) and put its last edge at the end;
    walk from the first base taking each vertex's edges in that order.
    """
    np.random.seed(seed)
    out = tokens.copy()
    n_rows, width = tokens.shape
    succ = np.empty((5, max(width, 1)), dtype=np.uint8)
    count = np.zeros(5, dtype=np.int64)
    last_edge = np.empty(5, dtype=np.int64)
    used = np.zeros(5, dtype=np.int64)
    for r in range(n_rows):
        n = lengths[r]
        if n <= 2:
            continue
        seq = tokens[r]
        count[:] = 0
        for i in range(n - 1):
            a = seq[i]
            succ[a, count[a]] = seq[i + 1]
            count[a] += 1
        first = seq[0]
        last = seq[n - 1]
        while True:
            for v in range(5):
                last_edge[v] = -1
                if v != last and count[v] > 0:
                    last_edge[v] = np.random.randint(count[v])
            ok = True
            for v in range(5):
                if v == last or count[v] == 0:
                    continue
                u = v
                steps = 0
                while u != last and steps < 6 and count[u] > 0:  # a cycle never reaches `last`
                    u = succ[u, last_edge[u]]
                    steps += 1
                if u != last:
                    ok = False
                    break
            if ok:
                break
        for v in range(5):
            k = count[v]
            if k == 0:
                continue
            end = k
            if v != last:
                j = last_edge[v]
                succ[v, j], succ[v, k - 1] = succ[v, k - 1], succ[v, j]
                end = k - 1
            for i in range(end - 1, 0, -1):
                j = np.random.randint(i + 1)
                succ[v, i], succ[v, j] = succ[v, j], succ[v, i]
        used[:] = 0
        current = first
        out[r, 0] = first
        for i in range(1, n):
            following = succ[current, used[current]]
            used[current] += 1
            out[r, i] = following
            current = following
    return out


_SHUFFLE_KERNEL = None


def _shuffle_kernel():
    """:func:`_shuffle_rows` compiled with numba (on first use, cached on disk: importing this
    module stays light)."""
    global _SHUFFLE_KERNEL
    if _SHUFFLE_KERNEL is None:
        import numba

        _SHUFFLE_KERNEL = numba.njit(cache=True, nogil=True)(_shuffle_rows)
    return _SHUFFLE_KERNEL


def dinucleotide_shuffle(
    tokens: np.ndarray,
    lengths: np.ndarray | None = None,
    seed: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Shuffle each sequence keeping its dinucleotide counts exactly (Altschul & Erikson 1985).

    The first and last bases are kept. Each row's padding (beyond ``lengths``) stays in place.
    Compiled with numba (about 50x faster than the pure-Python loop it replaced in 0.1.0, whose
    outputs for a given seed differ from these; the first call in a fresh environment compiles
    it once, then it is cached on disk).

    Args:
        tokens: uint8 ``[L]`` or ``[N, L]``, values 0..4.
        lengths: true lengths ``[N]`` (default: the full width).
        seed: an int seed or a ``numpy.random.Generator`` (one draw is taken from it); the same
            seed gives the same result.

    Returns:
        A new array of the same shape and dtype.

    Raises:
        MotifnetError: a token outside 0..4, or a length outside 0..L.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    array = np.asarray(tokens)
    rows = array.reshape(1, -1) if array.ndim == 1 else array
    if rows.ndim != 2:
        raise MotifnetError(f"dinucleotide_shuffle takes tokens [L] or [N, L], not {array.ndim} dimensions")
    if rows.size and (rows.min() < 0 or rows.max() > N_TOKEN):
        raise MotifnetError(f"tokens must lie in 0..{N_TOKEN} (A, C, G, T/U, N)")
    width = rows.shape[1]
    if lengths is None:
        lengths = np.full(len(rows), width, np.int64)
    else:
        lengths = np.asarray(lengths, np.int64).reshape(-1)
        if len(lengths) != len(rows) or (len(lengths) and (lengths.min() < 0 or lengths.max() > width)):
            raise MotifnetError(f"lengths must give one value in 0..{width} per sequence")
    kernel_seed = int(rng.integers(2**32))
    shuffled = _shuffle_kernel()(np.ascontiguousarray(rows, dtype=np.uint8), lengths, kernel_seed)
    return shuffled.astype(array.dtype, copy=False).reshape(array.shape)
