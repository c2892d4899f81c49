"""The fast path's tables saved beside a run's weights, so that a later scan needs no torch.

A :class:`~motifnet.scan.fast.ConvPoolPlan` is read from the model, and loading the model imports
torch: about a second, a third of ``motifnet scan`` of a bacterial genome. ``motifnet scan`` of a
run on the fast path therefore leaves the plan in the run folder, as ``samtools faidx`` leaves a
``.fai`` beside a FASTA: ``model.scan.npz`` for the best weights, ``last.scan.npz`` for the last.
A later scan of the run reads it (NumPy and numba only) and scores what the model's fast path
scores, to the bit.

The file holds a digest of the run's config, its weights and the code that builds and runs the
plan (:func:`plan_digest`, taken before the model is loaded, so a plan is never filed under
weights newer than its own); a plan whose digest differs from the current one is not used (and
is replaced after the scan). Only plans with a dense head (:class:`~motifnet.scan.head.DenseStack`)
are saved: any other head needs torch anyway. Written atomically; a folder that cannot be written
is scanned all the same, without saving. The file is safe to delete.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.io.files import atomic_write
from motifnet.runs import CONFIG_FILE, ENSEMBLE_KEY, Run, read_config, weights_file
from motifnet.scan.fast import ConvPoolPlan, conv_pool_plan
from motifnet.scan.head import DenseStack
from motifnet.scan.windows import ScanPlan, core_and_strand_rule
from motifnet.strands import COMBINE

PLAN_FILES = {"best": "model.scan.npz", "last": "last.scan.npz"}
STRAND_RULES = ("none", *COMBINE)
PACKAGE = Path(__file__).resolve().parents[1]
PLAN_CODE = ("scan/*.py", "models/*.py", "strands.py")
"""The sources a plan depends on (relative to the package): the scan, the models it reads, the strand rule."""


def plan_path(run_dir: str | Path, weights: str = "best") -> Path:
    """Where the plan of the run's ``weights`` ("best" or "last") is saved.

    Raises:
        MotifnetError: another ``weights``.
    """
    weights_file(run_dir, weights)  # checks the name
    return Path(run_dir) / PLAN_FILES[weights]


def plan_digest(run_dir: str | Path, weights: str = "best") -> str | None:
    """sha256 of the run's config and weights files and of the code a plan depends on
    (:data:`PLAN_CODE`); None when a file cannot be read."""
    code = sorted(path for pattern in PLAN_CODE for path in PACKAGE.glob(pattern))
    digest = hashlib.sha256()
    try:
        for path in [Path(run_dir) / CONFIG_FILE, weights_file(run_dir, weights), *code]:
            digest.update(path.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def save_plan(run: Run, weights: str, window: int, digest: str | None) -> Path | None:
    """Save the fast-path plan of ``run`` (loaded with ``weights``) for windows of ``window`` bp,
    under ``digest``: :func:`plan_digest` taken before the run was loaded.

    Returns the file, or None where nothing is saved: no digest, an ensemble, a model off the fast
    path or without a dense head, or a folder that cannot be written.
    """
    if digest is None or run.config.get(ENSEMBLE_KEY):
        return None
    core, rule = core_and_strand_rule(run.model)
    plan = conv_pool_plan(core, window)
    if plan is None or plan.dense is None:
        return None
    arrays = {
        "digest": np.array(digest), "strand_rule": np.array(rule), "pool": np.array(plan.pool),
        "left_steps": plan.left_steps, "right_steps": plan.right_steps,
        "sizes": np.array([plan.n_filters, plan.filter_length, plan.pad_width], dtype=np.int64),
        "dense_widths": plan.dense.widths, "dense_params": plan.dense.params,
    }
    path = plan_path(run.path, weights)
    try:
        with atomic_write(path, "wb") as handle:
            np.savez(handle, **arrays)
    except MotifnetError:
        return None
    return path


def load_saved_run(run_dir: str | Path, weights: str = "best", window: int | None = None,
                   digest: str | None = None) -> Run | None:
    """The run as a :class:`Run` whose model is its :class:`~motifnet.scan.windows.ScanPlan`, if a plan saved under the
    current ``digest`` (default: :func:`plan_digest` now) scores windows of ``window`` bp (default:
    the run's input length); else None.

    Raises:
        MotifnetError: not a run folder (:func:`motifnet.runs.read_config`), or another ``weights``.
    """
    config = read_config(run_dir)
    path = plan_path(run_dir, weights)
    digest = plan_digest(run_dir, weights) if digest is None else digest
    if config.get(ENSEMBLE_KEY) or digest is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["digest"]) != digest:
                return None
            n_filters, filter_length, pad_width = (int(size) for size in saved["sizes"])
            plan = ConvPoolPlan(
                left_steps=saved["left_steps"], right_steps=saved["right_steps"], n_filters=n_filters,
                filter_length=filter_length, pad_width=pad_width, pool=str(saved["pool"]), head=None,
                dense=DenseStack(widths=saved["dense_widths"], params=saved["dense_params"]),
            )
            rule = str(saved["strand_rule"])
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile):
        return None  # empty, unreadable or of another layout: the model is loaded instead
    window = int(config["input_length"]) if window is None else window
    if rule not in STRAND_RULES or window < filter_length:
        return None
    return Run(path=Path(run_dir), model=ScanPlan(plan, rule), config=config)


__all__ = ["PLAN_CODE", "PLAN_FILES", "load_saved_run", "plan_digest", "plan_path", "save_plan"]
