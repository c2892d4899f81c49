"""Helpers for the scan and variant tests: tiny run folders with random weights, FASTA/VCF files."""

from __future__ import annotations

import gzip
from pathlib import Path

import torch

from motifnet.models import build
from motifnet.runs import BEST_WEIGHTS, RUN_FORMAT, RUN_VERSION, save_weights, write_json


def make_run(folder: Path, alphabet: str = "DNA", input_length: int = 30, seed: int = 0, **params) -> Path:
    """A run folder holding a small random DeepBind (8 filters x 7 unless ``params`` say otherwise)."""
    torch.manual_seed(seed)
    params = {"n_filters": 8, "filter_length": 7, "hidden": 0, **params}
    model = build("deepbind", 1, input_length, **params)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "config.json", {
        "format": RUN_FORMAT, "version": RUN_VERSION, "model": model.config, "task": "binary",
        "target_names": ["bound"], "alphabet": alphabet, "input_length": input_length, "training": {}, "seed": seed,
    })
    save_weights(model.state_dict(), folder / BEST_WEIGHTS)
    return folder


def write_fasta(path: Path, records: dict[str, str], gz: bool = False) -> Path:
    """Write records as FASTA (60 bases per line), gzipped if ``gz``."""
    text = "".join(f">{name} test record\n" + "".join(seq[i:i + 60] + "\n" for i in range(0, len(seq), 60))
                   for name, seq in records.items())
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def python_bedgraph(record: str, starts, values, window: int, stride: int) -> str:
    """bedGraph lines of a chunk of window scores, formatted by Python one by one (the reference
    for the compiled writer): ``"%.4g"`` of the float32 scores, equal neighbours merged."""
    import numpy as np

    texts = [f"{value:.4g}" for value in np.asarray(values, dtype=np.float32).astype(np.float64)]
    begins = [int(start) + max(0, (window - stride) // 2) for start in starts]
    lines = []
    for i, text in enumerate(texts):
        if i and text == texts[i - 1]:
            lines[-1][1] = begins[i] + stride
        else:
            lines.append([begins[i], begins[i] + stride, text])
    return "".join(f"{record}\t{begin}\t{end}\t{text}\n" for begin, end, text in lines)
