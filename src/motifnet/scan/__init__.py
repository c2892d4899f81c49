"""Genome scanning: a trained model's score of every window of long sequences, and what comes of it.

- :mod:`.windows`: the scan itself (:func:`scan_records`, :func:`scan_tokens`, the window path
  :func:`score_windows`), with one strand rule (:mod:`motifnet.strands`);
- :mod:`.fast`: the exact conv + pooling fast path, with its dense head (:mod:`.head`) and the
  SIMD value type both compile with (:mod:`.lanes`);
- :mod:`.peaks`: merged runs of windows above a threshold;
- :mod:`.motif_scan`: FIMO hits of a known motif (the baseline);
- :mod:`.variants`: reference vs alternative scores of the window centred on each variant.

bedGraph text is written by :mod:`motifnet.io.bedgraph`; probabilities come from
:mod:`motifnet.predict`. The names below are imported on first use, so ``import motifnet.scan``
stays cheap (numba and torch load when a scan runs).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DEFAULT_CHUNK_SIZE": "motifnet.scan.windows",
    "METHODS": "motifnet.scan.windows",
    "ScanChunk": "motifnet.scan.windows",
    "ScanPlan": "motifnet.scan.windows",
    "ScanSummary": "motifnet.scan.windows",
    "check_window": "motifnet.scan.windows",
    "fast_path_available": "motifnet.scan.windows",
    "scan_records": "motifnet.scan.windows",
    "scan_tokens": "motifnet.scan.windows",
    "score_windows": "motifnet.scan.windows",
    "target_index": "motifnet.scan.windows",
    "window_count": "motifnet.scan.windows",
    "Peak": "motifnet.scan.peaks",
    "PeakCaller": "motifnet.scan.peaks",
    "bedgraph_blocks": "motifnet.io.bedgraph",
    "bedgraph_lines": "motifnet.io.bedgraph",
    "score_offset": "motifnet.io.bedgraph",
    "probabilities": "motifnet.predict",
    "STRANDS": "motifnet.strands",
    "motif_hits": "motifnet.scan.motif_scan",
    "score_variants": "motifnet.scan.variants",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'motifnet.scan' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
