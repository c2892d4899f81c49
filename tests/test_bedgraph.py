"""bedGraph text: the compiled writer prints exactly what Python's "%.4g" prints for float32."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from motifnet.io.bedgraph import bedgraph_blocks, bedgraph_lines, bedgraph_text, print_keys

sys.path.insert(0, str(Path(__file__).parent))
from scan_support import python_bedgraph  # noqa: E402

EDGES = [0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, 0.5, 1e-4, 9.9995e-5, 0.99995, 0.12345, 1.0625, 12345.0, 99995.0,
         1e38, -3.4e38, 1e-38, 1.5e-5, 0.0001, 1000.0, 9999.5, 999.95, 123.45, 1e-45, -0.25, 7e10]


def _values() -> np.ndarray:
    rng = np.random.default_rng(0)
    spread = rng.normal(size=20000) * 10.0 ** rng.integers(-12, 12, 20000)  # every notation of %g
    return np.concatenate([rng.random(20000), spread, EDGES]).astype(np.float32)


def test_lines_equal_python_formatting():
    values = _values()
    begins = np.arange(len(values), dtype=np.int64) * 1_000_003  # digits of every length
    ends = begins + 7
    expected = "".join(f"chrÜ1\t{b}\t{e}\t{v:.4g}\n" for b, e, v in zip(begins, ends, values.astype(np.float64)))
    assert bedgraph_text("chrÜ1", begins, ends, values) == expected


def test_equal_keys_exactly_when_equal_text():
    rng = np.random.default_rng(1)
    values = np.concatenate([_values(), np.round(rng.random(20000), 4), np.round(rng.random(5000), 2)]).astype(np.float32)
    values = values[rng.permutation(len(values))]
    values = np.sort(values[np.isfinite(values)])  # neighbours that often print alike
    keys = print_keys(values)
    text = np.array([f"{v:.4g}" for v in values.astype(np.float64)])
    assert np.array_equal((keys[1:] == keys[:-1]).all(axis=1), text[1:] == text[:-1])
    assert (text[1:] == text[:-1]).sum() > 10000  # the check had ties to decide


@pytest.mark.parametrize("stride", [1, 5])
def test_chunk_text_equals_python_formatting_across_blocks(stride):
    """A scan chunk of 40,000 windows (several parallel text blocks): scores in and out of the
    table of probability texts, runs of equal scores to merge, a record name beyond ASCII."""
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.random(30000), np.round(rng.random(5000), 2), _values()[:5000]]).astype(np.float32)
    values[100:400] = 0.5  # one long run
    starts = 1_000_000 + np.arange(len(values), dtype=np.int64) * stride
    expected = python_bedgraph("chrÜ2", starts, values, 101, stride)
    blocks = bedgraph_blocks("chrÜ2", starts, values, 101, stride)
    assert len(blocks) > 1 and b"".join(blocks).decode() == expected
    assert bedgraph_lines("chrÜ2", starts, values, 101, stride) == expected
    assert bedgraph_blocks("c", starts[:0], values[:0], 101, stride) == [] and bedgraph_lines("c", starts[:0], values[:0], 101, 1) == ""
