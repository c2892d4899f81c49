"""bigWig writer: fixed-step runs, clipped at chromosome ends, written atomically."""

from __future__ import annotations

import numpy as np
import pytest

from motifnet.io.bigwig import bigwig_writer, is_bigwig


def test_runs_are_stored_and_the_last_step_is_cut_at_the_chromosome_end(tmp_path):
    import pyBigWig

    path = tmp_path / "t.bw"
    with bigwig_writer(path, [("c1", 100), ("c2", 95)]) as add:
        add("c1", 10, 1, np.array([0.5, 0.25], dtype=np.float32))
        add("c1", 12, 1, np.array([1.0]))
        add("c2", 20, 40, np.array([2.0, 3.0, 4.0]))  # [20, 60), [60, 100) cut to 95, [100, 140) outside
    track = pyBigWig.open(str(path))
    assert track.chroms() == {"c1": 100, "c2": 95}
    assert track.intervals("c1") == ((10, 11, 0.5), (11, 12, 0.25), (12, 13, 1.0))
    assert track.intervals("c2") == ((20, 60, 2.0), (60, 95, 3.0))
    assert is_bigwig("x.BigWig") and is_bigwig("x.bw") and not is_bigwig("x.bedgraph")


def test_nothing_is_left_when_writing_fails(tmp_path):
    path = tmp_path / "t.bw"
    with pytest.raises(KeyError):
        with bigwig_writer(path, [("c1", 100)]) as add:
            add("c1", 0, 1, np.ones(5))
            add("chrUnknown", 0, 1, np.ones(5))
    assert list(tmp_path.iterdir()) == []

