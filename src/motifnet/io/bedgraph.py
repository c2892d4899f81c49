"""bedGraph text at the speed of a genome scan: values printed like Python's ``"%.4g"``, compiled.

A scan at stride 1 writes a line per base (4.9 million for E. coli); formatting them one by one
in Python took 15 times as long as the scan itself. Here the numbers are written into a byte
buffer by numba loops: integers digit by digit, values as 4 significant digits chosen exactly as
``"%.4g"`` chooses them for float32 inputs (their mantissa has 24 bits, so the decimal rounding
never lands on the wrong side of a half: tested against Python's formatting).

- :func:`print_keys`: per value, the integer pair that decides its printed text (equal keys,
  equal text), so that equal neighbours can be merged without printing them;
- :func:`bedgraph_text`: the lines ``record<TAB>begin<TAB>end<TAB>value``;
- :func:`bedgraph_blocks`: a genome scan's chunk of window scores as bedGraph bytes, each score on
  the bases around its window's centre (:func:`score_offset`, shared with the bigWig writer),
  equal neighbours merged, formatted in parallel blocks that a binary file takes without a copy;
  :func:`bedgraph_lines`: the same text as one string.

The texts of values from 1e-5 to 9.999 (probabilities) are copied from a table built once with
the same digit writer; powers of ten are looked up, not recomputed per value.
"""

from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np

_DIGITS = 4
"""Significant digits of a value, as in ``"%.4g"``."""

_ZERO, _MINUS_ZERO, _NAN, _INF, _MINUS_INF = 0, 1, 2, 3, 4
_CODE_TEXT = ("0", "-0", "nan", "inf", "-inf")


def print_keys(values: np.ndarray) -> np.ndarray:
    """int64 ``[n, 2]``: for each value, (signed 4-digit mantissa or a code for 0 / nan / inf,
    decimal exponent): two values print alike under ``"%.4g"`` exactly when their keys are equal."""
    return _keys(np.ascontiguousarray(values, dtype=np.float32), _BLOCK_ROWS, _powers_of_ten(), _POWERS_LOW)


def bedgraph_text(record: str, begins: np.ndarray, ends: np.ndarray, values: np.ndarray,
                  keys: np.ndarray | None = None) -> str:
    """``f"{record}\\t{begin}\\t{end}\\t{value:.4g}\\n"`` for each row, as one string.

    Args:
        record: the chromosome name. begins, ends: int ``[n]`` (non-negative). values: float ``[n]``,
            printed as float32 values are. keys: their :func:`print_keys`, if already computed.
    """
    keys = print_keys(values) if keys is None else keys
    rows = _text_blocks(_name_bytes(record), np.ascontiguousarray(begins, dtype=np.int64),
                        np.ascontiguousarray(ends, dtype=np.int64), np.ascontiguousarray(keys, dtype=np.int64))
    return _joined(rows)


def score_offset(window: int, stride: int) -> int:
    """Where a window's score goes: bases ``[s + offset, s + offset + stride)`` of the window
    starting at ``s``, the ``stride`` bases around its centre (with stride 1, the centre base)."""
    return max(0, (window - stride) // 2)


def bedgraph_blocks(record: str, starts: np.ndarray, values: np.ndarray, window: int,
                    stride: int) -> list[memoryview]:
    """bedGraph bytes for one chunk, as consecutive blocks (their concatenation is the text of
    :func:`bedgraph_lines`): write each to a binary file, with no copy into a string.

    Lines are formatted in parallel (numba threads), about 16,000 to a block.
    """
    if len(starts) == 0:
        return []
    begin = np.ascontiguousarray(starts, dtype=np.int64) + score_offset(window, stride)
    keys = print_keys(values)
    begins, ends, kept = _merge_equal(begin, keys, int(stride))
    return _text_blocks(_name_bytes(record), begins, ends, kept)


def bedgraph_lines(record: str, starts: np.ndarray, values: np.ndarray, window: int, stride: int) -> str:
    """bedGraph text for one chunk: each window's value on the ``stride`` bases around its centre
    (``[s + (L - S) // 2, ... + S)``; with stride 1, the centre base), equal neighbours merged.

    Intervals of consecutive windows tile the record without overlap. Values are printed as
    float32 with 4 significant digits (``"%.4g"``). The same bytes as :func:`bedgraph_blocks`.
    """
    return _joined(bedgraph_blocks(record, starts, values, window, stride))


_BLOCK_ROWS = 1 << 14
"""Rows per task of the parallel kernels (a text block of about 1 MB)."""

_TABLE_EXPONENTS = (-5, 0)
"""Decimal exponents of the values whose texts :func:`_value_texts` tabulates: 1e-5 to 9.999,
what a probability prints (others are formatted digit by digit)."""
_POWERS_LOW, _POWERS_HIGH = -60, 60
"""Decimal exponents of :func:`_powers_of_ten` (a float32 value's key needs -46 to 49)."""


def _name_bytes(record: str) -> np.ndarray:
    return np.frombuffer(record.encode(), dtype=np.uint8)


def _joined(blocks: list[memoryview]) -> str:
    return b"".join(blocks).decode()


def _text_blocks(name: np.ndarray, begins: np.ndarray, ends: np.ndarray, keys: np.ndarray) -> list[memoryview]:
    """The lines of these rows as memoryviews of consecutive blocks of text."""
    if len(begins) == 0:
        return []
    buffer, used = _write(name, begins, ends, keys, _BLOCK_ROWS, _value_texts(), _TABLE_EXPONENTS[0])
    return [memoryview(buffer[block, :size]) for block, size in enumerate(used.tolist())]


@lru_cache(maxsize=None)
def _value_texts() -> np.ndarray:
    """uint8 ``[n_exponents, 9000, 11]``: row ``[e - low, m - 1000]`` holds the length then the
    text of the positive value with key ``(m, e)`` (:data:`_TABLE_EXPONENTS`); built once: copying
    a value's text is faster than printing its digits."""
    return _tabulate(*_TABLE_EXPONENTS)


@lru_cache(maxsize=None)
def _powers_of_ten() -> np.ndarray:
    """float64 ``10.0 ** e`` for ``e`` from :data:`_POWERS_LOW` to :data:`_POWERS_HIGH`, as the
    kernels compute it (looked up: a power per value cost more than the rest of its key); built once."""
    return _powers(_POWERS_LOW, _POWERS_HIGH)


@numba.njit(cache=True)
def _powers(low, high):
    powers = np.empty(high - low + 1)
    for exponent in range(low, high + 1):
        powers[exponent - low] = 10.0 ** exponent
    return powers


@numba.njit(cache=True, parallel=True)
def _keys(values, block, powers, low):
    keys = np.empty((len(values), 2), dtype=np.int64)
    for b in numba.prange((len(values) + block - 1) // block):
        for i in range(b * block, min(len(values), (b + 1) * block)):
            keys[i, 0], keys[i, 1] = _key(np.float64(values[i]), powers, low)
    return keys


@numba.njit(cache=True, inline="always")
def _key(value, powers, low):
    """The :func:`print_keys` pair of one value; ``powers[e - low]`` is ``10.0 ** e``."""
    if value != value:
        return -_NAN, 0
    if value == 0.0:
        return (-_MINUS_ZERO if np.signbit(value) else -_ZERO), 0
    if np.isinf(value):
        return (-_INF if value > 0 else -_MINUS_INF), 0
    magnitude = abs(value)
    exponent = int(np.floor(np.log10(magnitude)))
    if magnitude >= powers[exponent + 1 - low]:  # log10 can be one off near powers of ten
        exponent += 1
    elif magnitude < powers[exponent - low]:
        exponent -= 1
    shift = _DIGITS - 1 - exponent
    scaled = magnitude * powers[shift - low] if shift >= 0 else magnitude / powers[-shift - low]
    mantissa = int(np.round(scaled))  # half to even, as printf rounds an exact half
    if mantissa >= 10 ** _DIGITS:
        mantissa //= 10
        exponent += 1
    return (mantissa if value > 0 else -mantissa - 10 ** _DIGITS), exponent  # negatives below every code


@numba.njit(cache=True)
def _merge_equal(begin, keys, stride):
    """Runs of consecutive rows with equal keys -> one row each: (begins, ends, keys) of the runs,
    a run ending ``stride`` bases after its last row's begin."""
    n = len(begin)
    first = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        if i == 0 or keys[i, 0] != keys[i - 1, 0] or keys[i, 1] != keys[i - 1, 1]:
            first[count] = i
            count += 1
    begins = np.empty(count, dtype=np.int64)
    ends = np.empty(count, dtype=np.int64)
    kept = np.empty((count, 2), dtype=np.int64)
    for r in range(count):
        i = first[r]
        last = first[r + 1] - 1 if r + 1 < count else n - 1
        begins[r] = begin[i]
        ends[r] = begin[last] + stride
        kept[r, 0], kept[r, 1] = keys[i, 0], keys[i, 1]
    return begins, ends, kept


@numba.njit(cache=True)
def _tabulate(low, high):
    """The table of :func:`_value_texts` for exponents ``low .. high``."""
    table = np.zeros((high - low + 1, 9 * 10 ** (_DIGITS - 1), 11), dtype=np.uint8)
    digits = np.empty(_DIGITS, dtype=np.int64)
    for exponent in range(low, high + 1):
        for mantissa in range(10 ** (_DIGITS - 1), 10 ** _DIGITS):
            row = table[exponent - low, mantissa - 10 ** (_DIGITS - 1)]
            row[0] = _write_value(row, 1, mantissa, exponent, digits) - 1
    return table


@numba.njit(cache=True, parallel=True)
def _write(name, begins, ends, keys, block, texts, low):
    """Rows ``[b * block, (b + 1) * block)`` into ``buffer[b, :used[b]]``, blocks in parallel;
    values with a row in ``texts`` (:func:`_value_texts`, exponents from ``low``) copied from it."""
    n_blocks = (len(begins) + block - 1) // block
    buffer = np.empty((n_blocks, block * (len(name) + 56)), dtype=np.uint8)  # 2 x 19 digits, 10-char value, 3 tabs, newline
    used = np.empty(n_blocks, dtype=np.int64)
    first = 10 ** (_DIGITS - 1)
    for b in numba.prange(n_blocks):
        out = buffer[b]
        digits = np.empty(_DIGITS, dtype=np.int64)  # one value's significant digits, reused
        at = 0
        for i in range(b * block, min(len(begins), (b + 1) * block)):
            out[at : at + len(name)] = name
            at += len(name)
            out[at] = 9  # tab
            at = _write_int(out, at + 1, begins[i])
            out[at] = 9
            at = _write_int(out, at + 1, ends[i])
            out[at] = 9
            at += 1
            mantissa, exponent = keys[i, 0], keys[i, 1]
            if mantissa >= first and 0 <= exponent - low < texts.shape[0]:  # a positive value in the table
                text = texts[exponent - low, mantissa - first]
                for k in range(text[0]):
                    out[at + k] = text[1 + k]
                at += text[0]
            else:
                at = _write_value(out, at, mantissa, exponent, digits)
            out[at] = 10  # newline
            at += 1
        used[b] = at
    return buffer, used


@numba.njit(cache=True, inline="always")
def _write_int(out, at, number):
    """Decimal digits of a non-negative integer at ``out[at:]``; returns the position after them."""
    digits = 1
    rest = number // 10
    while rest > 0:
        digits += 1
        rest //= 10
    for k in range(digits - 1, -1, -1):
        out[at + k] = 48 + number % 10
        number //= 10
    return at + digits


@numba.njit(cache=True)
def _write_value(out, at, mantissa, exponent, digits):
    """``"%.4g"`` of the value with this key (see :func:`_key`); ``digits`` is scratch ``[4]``."""
    if mantissa > -10 ** _DIGITS and mantissa <= 0:  # a code
        text = _CODE_TEXT[-mantissa]
        for k in range(len(text)):
            out[at + k] = ord(text[k])
        return at + len(text)
    if mantissa < 0:
        out[at] = 45  # minus
        at += 1
        mantissa = -(mantissa + 10 ** _DIGITS)
    for k in range(_DIGITS - 1, -1, -1):
        digits[k] = mantissa % 10
        mantissa //= 10
    used = _DIGITS  # significant digits left after stripping trailing zeros
    while used > 1 and digits[used - 1] == 0:
        used -= 1
    if -4 <= exponent < _DIGITS:  # fixed notation
        if exponent < 0:
            out[at] = 48
            out[at + 1] = 46  # "0."
            at += 2
            for _ in range(-exponent - 1):
                out[at] = 48
                at += 1
            for k in range(used):
                out[at] = 48 + digits[k]
                at += 1
            return at
        for k in range(max(used, exponent + 1)):
            if k == exponent + 1:
                out[at] = 46
                at += 1
            out[at] = 48 + digits[k]  # k < 4: exponent <= 3 here
            at += 1
        return at
    out[at] = 48 + digits[0]  # exponent notation: d.ddde+XX
    at += 1
    if used > 1:
        out[at] = 46
        at += 1
        for k in range(1, used):
            out[at] = 48 + digits[k]
            at += 1
    out[at] = 101  # e
    out[at + 1] = 43 if exponent >= 0 else 45
    at += 2
    size = abs(exponent)
    if size < 10:
        out[at] = 48
        at += 1
    return _write_int(out, at, size)
