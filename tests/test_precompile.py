"""The install-time precompile: each numba kernel is compiled in a fresh process and cached on
disk, so that the next process (the first scan, Tomtom, a TF-MoDISco run) loads it instead."""

from __future__ import annotations

import os
import subprocess
import sys

from motifnet.interpret.patterns import cache_modisco_kernels
from motifnet.precompile import precompile_patterns, precompile_tomtom


def _fresh_process(code: str, cache: str) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout


def test_precompile_compiles_the_pooling_kernel_that_a_head_other_than_a_dense_stack_needs(tmp_path):
    code = ("from motifnet.scan import fast; from motifnet.precompile import precompile_scan; "
            "precompile_scan(length=600); print(len(fast._pool_windows.signatures))")  # a fresh process: none compiled
    assert int(_fresh_process(code, str(tmp_path)).split()[-1]) == 1
    assert list(tmp_path.rglob("*.nbi")), "the scan kernels were not cached"


def test_precompile_tomtom_matches_each_query_to_itself():
    assert precompile_tomtom().tolist() == [0, 1]


def test_precompile_finds_the_planted_patterns_of_both_signs():
    assert precompile_patterns() == 3  # two positive 10-mers and one negative


def test_find_patterns_turns_on_numba_caching_for_modisco_lites_kernels(tmp_path):
    code = ("import numpy as np; from modiscolite.util import _seqlet_sums; "
            "print(type(_seqlet_sums._cache).__name__); "
            "from motifnet.interpret.patterns import find_patterns; "
            "find_patterns(np.zeros((3, 4, 60), np.float32), np.zeros((3, 4, 60), np.float32)); "
            "print(type(_seqlet_sums._cache).__name__)")
    assert _fresh_process(code, str(tmp_path)).split() == ["NullCache", "FunctionCache"]
    assert cache_modisco_kernels() >= 20  # every module's kernels, not one
