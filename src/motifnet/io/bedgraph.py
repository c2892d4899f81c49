"""bedGraph text at the speed of a genome scan: values printed like Python's ``"%.4g"``, compiled.

A scan at stride 1 writes a line per base (4.9 million for E. coli); formatting them one by one
in Python took 15 times as long as the scan itself. Here the numbers are written into a byte
buffer by numba loops: integers digit by digit, values as 4 significant digits chosen exactly as
``"%.4g"`` chooses them for float32 inputs (their mantissa has 24 bits, so the decimal rounding
never lands on the wrong side of a half: tested against Python's formatting).

- :func:`print_keys`: per value, the integer pair that decides its printed text (equal keys,
  equal text), so that equal neighbours can be merged without printing them;
- :func:`bedgraph_text`: the lines ``record<TAB>begin<TAB>end<TAB>value``;
- :func:`bedgraph_lines`: a genome scan's chunk of window scores as bedGraph lines, each score on
  the bases around its window's centre (:func:`score_offset`, shared with the bigWig writer).
"""

from __future__ import annotations

import numba
import numpy as np

_DIGITS = 4
"""Significant digits of a value, as in ``"%.4g"``."""

_ZERO, _MINUS_ZERO, _NAN, _INF, _MINUS_INF = 0, 1, 2, 3, 4
_CODE_TEXT = ("0", "-0", "nan", "inf", "-inf")


def print_keys(values: np.ndarray) -> np.ndarray:
    """int64 ``[n, 2]``: for each value, (signed 4-digit mantissa or a code for 0 / nan / inf,
    decimal exponent): two values print alike under ``"%.4g"`` exactly when their keys are equal."""
    return _keys(np.ascontiguousarray(values, dtype=np.float32).astype(np.float64))


def bedgraph_text(record: str, begins: np.ndarray, ends: np.ndarray, values: np.ndarray,
                  keys: np.ndarray | None = None) -> str:
    """``f"{record}\\t{begin}\\t{end}\\t{value:.4g}\\n"`` for each row, as one string.

    Args:
        record: the chromosome name. begins, ends: int ``[n]`` (non-negative). values: float ``[n]``,
            printed as float32 values are. keys: their :func:`print_keys`, if already computed.
    """
    keys = print_keys(values) if keys is None else keys
    name = record.encode()
    buffer = _write(np.frombuffer(name, dtype=np.uint8), np.ascontiguousarray(begins, dtype=np.int64),
                    np.ascontiguousarray(ends, dtype=np.int64), keys)
    return buffer.tobytes().decode()


def score_offset(window: int, stride: int) -> int:
    """Where a window's score goes: bases ``[s + offset, s + offset + stride)`` of the window
    starting at ``s``, the ``stride`` bases around its centre (with stride 1, the centre base)."""
    return max(0, (window - stride) // 2)


def bedgraph_lines(record: str, starts: np.ndarray, values: np.ndarray, window: int, stride: int) -> str:
    """bedGraph text for one chunk: each window's value on the ``stride`` bases around its centre
    (``[s + (L - S) // 2, ... + S)``; with stride 1, the centre base), equal neighbours merged.

    Intervals of consecutive windows tile the record without overlap. Values are printed as
    float32 with 4 significant digits (``"%.4g"``).
    """
    if len(starts) == 0:
        return ""
    begin = starts + score_offset(window, stride)
    values = np.asarray(values, dtype=np.float32)
    keys = print_keys(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    first = np.flatnonzero(keep)
    last = np.append(first[1:], len(values)) - 1
    return bedgraph_text(record, begin[first], begin[last] + stride, values[first], keys[first])


@numba.njit(cache=True)
def _keys(values):
    keys = np.empty((len(values), 2), dtype=np.int64)
    for i in range(len(values)):
        value = values[i]
        if value != value:
            keys[i, 0], keys[i, 1] = -_NAN, 0
        elif value == 0.0:
            keys[i, 0], keys[i, 1] = (-_MINUS_ZERO if np.signbit(value) else -_ZERO), 0
        elif np.isinf(value):
            keys[i, 0], keys[i, 1] = (-_INF if value > 0 else -_MINUS_INF), 0
        else:
            magnitude = abs(value)
            exponent = int(np.floor(np.log10(magnitude)))
            if magnitude >= 10.0 ** (exponent + 1):  # log10 can be one off near powers of ten
                exponent += 1
            elif magnitude < 10.0 ** exponent:
                exponent -= 1
            shift = _DIGITS - 1 - exponent
            scaled = magnitude * 10.0 ** shift if shift >= 0 else magnitude / 10.0 ** -shift
            mantissa = int(np.round(scaled))  # half to even, as printf rounds an exact half
            if mantissa >= 10 ** _DIGITS:
                mantissa //= 10
                exponent += 1
            keys[i, 0] = mantissa if value > 0 else -mantissa - 10 ** _DIGITS  # below every code
            keys[i, 1] = exponent
    return keys


@numba.njit(cache=True)
def _write(name, begins, ends, keys):
    out = np.empty(len(begins) * (len(name) + 56), dtype=np.uint8)  # 2 x 19 digits, 10-char value, 3 tabs, newline
    digits = np.empty(_DIGITS, dtype=np.int64)  # one value's significant digits, reused
    at = 0
    for i in range(len(begins)):
        out[at : at + len(name)] = name
        at += len(name)
        out[at] = 9  # tab
        at = _write_int(out, at + 1, begins[i])
        out[at] = 9
        at = _write_int(out, at + 1, ends[i])
        out[at] = 9
        at = _write_value(out, at + 1, keys[i, 0], keys[i, 1], digits)
        out[at] = 10  # newline
        at += 1
    return out[:at]


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
    """``"%.4g"`` of the value with this key (see :func:`_keys`); ``digits`` is scratch ``[4]``."""
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
