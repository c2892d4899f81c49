"""Run folders: a trained model's config, weights, metrics and history, saved without pickle.

A run folder holds:

- ``config.json``: everything needed to rebuild the model and reuse it: ``model`` (the model's own
  config, rebuilt by :func:`motifnet.models.build_from_config`), ``task``, ``target_names``,
  ``alphabet``, ``input_length``, ``training`` (the fit options) and ``seed``;
- ``model.safetensors`` (best weights by the validation metric) and ``last.safetensors``;
- ``optimizer.safetensors`` + ``state.json``: optimizer, scheduler and progress for ``resume``;
- ``metrics.json`` and ``history.csv`` (one row per epoch);
- after a scan on the fast path, ``model.scan.npz`` / ``last.scan.npz``: the scan's saved plan
  (:mod:`motifnet.scan.saved_plan`; safe to delete).

An *ensemble* folder (:func:`write_ensemble`) holds member run folders (``fold1/``, ...) and a
``config.json`` with an ``ensemble`` entry naming them; :func:`load_run` loads it as one model,
:class:`motifnet.models.ensemble.Ensemble`, that predicts the mean of the members' predictions.

Every file is written atomically. Weights are read with safetensors only: a file that is not a
safetensors file written by motifnet (a pickle, a truncated file, another tool's checkpoint) raises
:class:`~motifnet.errors.MotifnetError` and is never unpickled.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from motifnet.errors import MotifnetError
from motifnet.io.files import atomic_write
from motifnet.jsonio import json_safe, read_json, write_json  # noqa: F401  (re-exported)

RUN_FORMAT = "motifnet.run"
RUN_VERSION = 1
WEIGHTS_FORMAT = "motifnet.weights"
CONFIG_FILE = "config.json"
BEST_WEIGHTS = "model.safetensors"
LAST_WEIGHTS = "last.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
STATE_FILE = "state.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
ENSEMBLE_KEY = "ensemble"
SHARED_KEYS = ("task", "target_names", "alphabet", "folding", "input_length")
"""What the members of an ensemble must share."""


@dataclass
class Run:
    """A loaded run: the model (in eval mode, on the requested device) and its config."""

    path: Path
    model: Any
    config: dict

    @property
    def task(self) -> str:
        return self.config["task"]

    @property
    def target_names(self) -> list[str]:
        return list(self.config["target_names"])

    @property
    def alphabet(self) -> str:
        return self.config["alphabet"]

    @property
    def input_length(self) -> int:
        return int(self.config["input_length"])

    def require_sequence_only(self, command: str) -> None:
        """Refuse a run that reads RNA structure channels in a command that feeds sequence alone.

        Raises:
            MotifnetError: the run was trained with structure channels.
        """
        if self.config.get("folding"):
            raise MotifnetError(f"{command} reads models of the sequence alone; this run also reads RNA structure "
                                "channels (use a run trained without --structure)", path=self.path)

    @property
    def members(self) -> list[str]:
        """The member folders of an ensemble run (relative names; [] for a single model)."""
        return list((self.config.get(ENSEMBLE_KEY) or {}).get("members", []))

    @property
    def metrics(self) -> dict:
        """The run's metrics.json ({} if absent)."""
        path = self.path / METRICS_FILE
        return read_json(path) if path.exists() else {}


# ---------------------------------------------------------------------------------------------
# CSV (JSON: motifnet.jsonio)


def write_history(path: str | os.PathLike, history: Sequence[Mapping[str, Any]]) -> Path:
    """Write per-epoch rows as CSV atomically (columns: the union of keys, in first-seen order)."""
    columns: list[str] = []
    for row in history:
        columns += [key for key in row if key not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({key: _csv_value(row.get(key)) for key in columns})
    with atomic_write(path) as handle:
        handle.write(buffer.getvalue())
    return Path(path)


def _csv_value(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else value


# ---------------------------------------------------------------------------------------------
# Weights (safetensors, no pickle)


def save_weights(tensors: Mapping[str, Any], path: str | os.PathLike, metadata: Mapping[str, str] | None = None) -> Path:
    """Save a state dict (name -> tensor) as a safetensors file, atomically.

    Tensors are copied to contiguous CPU memory first; shared storage is allowed.

    Raises:
        MotifnetError: the file cannot be written.
    """
    from safetensors.torch import save

    tensors = {name: tensor.detach().to("cpu").contiguous().clone() for name, tensor in tensors.items()}
    meta = {"format": WEIGHTS_FORMAT, **(metadata or {})}
    blob = save(tensors, metadata=meta)
    with atomic_write(path, "wb") as handle:
        handle.write(blob)
    return Path(path)


def load_weights(path: str | os.PathLike, device=None) -> dict:
    """Load a motifnet safetensors file as a dict of tensors (on ``device``, default CPU).

    Never unpickles: a pickle, a truncated file or a safetensors file from another tool raises.

    Raises:
        MotifnetError: missing, corrupt, or not a motifnet weights file.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load

    path = Path(path)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise MotifnetError("no such weights file", path=path) from None
    except OSError as error:
        raise MotifnetError(f"cannot read: {error.strerror or error}", path=path) from None
    metadata = _safetensors_metadata(blob, path)
    if metadata.get("format") != WEIGHTS_FORMAT:
        raise MotifnetError("not a motifnet weights file (safetensors without motifnet metadata)", path=path)
    try:
        tensors = load(blob)
    except (SafetensorError, ValueError, RuntimeError) as error:
        raise MotifnetError(f"corrupt weights file ({error})", path=path) from None
    return {name: tensor.to(device) for name, tensor in tensors.items()} if device is not None else tensors


def _safetensors_metadata(blob: bytes, path: Path) -> dict:
    """Parse the safetensors header (8-byte little-endian size + JSON) without trusting it."""
    bad = MotifnetError("not a safetensors weights file (refused; checkpoints are never unpickled)", path=path)
    if len(blob) < 8:
        raise bad
    size = int.from_bytes(blob[:8], "little")
    if size <= 0 or size > len(blob) - 8 or blob[8:9] != b"{":
        raise bad
    try:
        header = json.loads(blob[8 : 8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad from None
    if not isinstance(header, dict):
        raise bad
    metadata = header.get("__metadata__") or {}
    return metadata if isinstance(metadata, dict) else {}


def load_state_dict_into(model, tensors: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Copy ``tensors`` into ``model`` strictly.

    Raises:
        MotifnetError: missing or unexpected names, or shapes that differ from the model's.
    """
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise MotifnetError(
            f"weights do not fit the model: missing {missing[:3]}, unexpected {unexpected[:3]}", path=path
        )
    for name, tensor in tensors.items():
        if tuple(tensor.shape) != tuple(expected[name].shape):
            raise MotifnetError(
                f"weights do not fit the model: {name} has shape {tuple(tensor.shape)}, "
                f"the model expects {tuple(expected[name].shape)}",
                path=path,
            )
    model.load_state_dict(dict(tensors))


# ---------------------------------------------------------------------------------------------
# Run folders


def read_config(path: str | os.PathLike) -> dict:
    """Read and check a run folder's config.json.

    Raises:
        MotifnetError: not a run folder, or one of a newer version.
    """
    path = Path(path)
    if not (path / CONFIG_FILE).is_file():
        raise MotifnetError("not a motifnet run folder (no config.json)", path=path)
    config = read_json(path / CONFIG_FILE)
    if not isinstance(config, dict) or config.get("format") != RUN_FORMAT:
        raise MotifnetError("not a motifnet run config", path=path / CONFIG_FILE)
    if config.get("version", 0) > RUN_VERSION:
        raise MotifnetError(f"run format version {config.get('version')} is newer than this motifnet", path=path)
    for key in ("task", "target_names", "alphabet", "input_length"):
        if key not in config:
            raise MotifnetError(f"run config lacks {key!r}", path=path / CONFIG_FILE)
    return config


def build_model(config: Mapping[str, Any]):
    """Rebuild the (untrained) model described by a run config's ``model`` entry.

    Raises:
        MotifnetError: the run was made with a model that is not a registered motifnet model.
    """
    model_config = config.get("model")
    if not model_config:
        raise MotifnetError(
            "the run's model is not a registered motifnet model (config.json has no model config); "
            "rebuild it yourself and load the weights with motifnet.runs.load_weights"
        )
    from motifnet.models import build_from_config

    return build_from_config(model_config)


def weights_file(path: str | os.PathLike, weights: str = "best") -> Path:
    """The run folder's weights file: ``"best"`` (model.safetensors) or ``"last"`` (last.safetensors).

    Raises:
        MotifnetError: another ``weights``.
    """
    if weights not in ("best", "last"):
        raise MotifnetError(f"weights must be 'best' or 'last', got {weights!r}")
    return Path(path) / (BEST_WEIGHTS if weights == "best" else LAST_WEIGHTS)


def load_run(path: str | os.PathLike, device=None, weights: str = "best") -> Run:
    """Load a run folder: rebuild its model, load its weights and put it in eval mode. An
    ensemble folder (:func:`write_ensemble`) loads every member, as one
    :class:`~motifnet.models.ensemble.Ensemble` (the mean of the members' predictions).

    Args:
        path: the run folder.
        device: where to put the model ("auto" = CUDA if available; default CPU).
        weights: "best" (model.safetensors) or "last" (last.safetensors); of every member.

    Raises:
        MotifnetError: not a run folder, missing/corrupt/foreign weights, weights that do not fit,
            an ensemble member that is missing or differs from the ensemble in task, targets,
            alphabet, structure folding or input length.
    """
    from motifnet.devices import resolve_device

    path = Path(path)
    config = read_config(path)
    file = weights_file(path, weights)
    if config.get(ENSEMBLE_KEY):
        model = _load_ensemble(path, config, weights)
    else:
        tensors = load_weights(file)
        model = build_model(config)
        load_state_dict_into(model, tensors, file)
    model.to(resolve_device(device or "cpu")).eval()
    return Run(path=path, model=model, config=config)


def _load_ensemble(path: Path, config: Mapping[str, Any], weights: str):
    from motifnet.models.ensemble import Ensemble

    names = config[ENSEMBLE_KEY].get("members") or []
    if not names:
        raise MotifnetError("the ensemble names no members", path=path / CONFIG_FILE)
    members = []
    for name in names:
        member = load_run(path / name, weights=weights)
        if member.config.get(ENSEMBLE_KEY):
            raise MotifnetError("an ensemble member is itself an ensemble", path=path / name)
        _check_member(member.config, config, path / name)
        members.append(member.model)
    loss = (config.get("training") or {}).get("regression_loss", "mse")
    return Ensemble(members, config["task"], loss)


def _check_member(member: Mapping[str, Any], ensemble: Mapping[str, Any], path: Path) -> None:
    for key in SHARED_KEYS:
        if member.get(key) != ensemble.get(key):
            raise MotifnetError(f"the member's {key} {member.get(key)!r} differs from the ensemble's "
                                f"{ensemble.get(key)!r}", path=path)


def write_ensemble(path: str | os.PathLike, members: Sequence[str], info: Mapping[str, Any] | None = None) -> Path:
    """Make ``path`` an ensemble run folder of the run folders ``path/<member>`` (relative names,
    so the folder can be moved and shared whole): write its ``config.json`` from the first
    member's (model, task, targets, alphabet, structure folding, input length, training options) plus
    ``ensemble: {members, combine}`` and the entries of ``info``.

    Raises:
        MotifnetError: no members, a member that is not a run folder, is an ensemble, or differs
            from the first in task, targets, alphabet, structure folding or input length.
    """
    path = Path(path)
    if not members:
        raise MotifnetError("an ensemble needs at least one member", path=path)
    configs = [read_config(path / name) for name in members]
    for name, member in zip(members, configs):
        if member.get(ENSEMBLE_KEY):
            raise MotifnetError("an ensemble member is itself an ensemble", path=path / name)
        _check_member(member, configs[0], path / name)
    first = configs[0]
    config = {
        "format": RUN_FORMAT,
        "version": RUN_VERSION,
        **{key: first.get(key) for key in SHARED_KEYS},
        "model": first.get("model"),
        "training": first.get("training", {}),
        "seed": first.get("seed"),
        ENSEMBLE_KEY: {"members": [str(name) for name in members], "combine": "mean of the members' predictions"},
        **(info or {}),
    }
    write_json(path / CONFIG_FILE, config)
    return path


def prepare_run_dir(path: str | os.PathLike, resume: bool = False, overwrite: bool = False) -> Path:
    """Create (or check) a run folder before training starts, so that a folder that cannot be
    written fails at once, not after an hour of training.

    Raises:
        MotifnetError: the folder holds another run and neither ``resume`` nor ``overwrite`` is set,
            ``resume`` is set but there is nothing to resume, or it cannot be created or written.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise MotifnetError("exists and is not a folder", path=path)
    has_run = (path / CONFIG_FILE).exists() or (path / STATE_FILE).exists()
    if resume and not (path / STATE_FILE).exists():
        raise MotifnetError("nothing to resume (no state.json)", path=path)
    if has_run and not (resume or overwrite):
        raise MotifnetError("already holds a run (use --resume to continue it, or choose another folder)", path=path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".motifnet-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise MotifnetError(f"cannot write the run folder: {error.strerror or error}", path=path) from None
    if overwrite and not resume:
        for name in (CONFIG_FILE, BEST_WEIGHTS, LAST_WEIGHTS, OPTIMIZER_FILE, STATE_FILE, METRICS_FILE, HISTORY_FILE):
            (path / name).unlink(missing_ok=True)
    return path


def check_compatible(run: Run, data, path: str | os.PathLike | None = None) -> None:
    """Check that ``data`` (SeqData) can be scored by ``run``: same alphabet, and for labelled
    evaluation the same task and targets (binary runs accept any single target name).

    Raises:
        MotifnetError: a different alphabet, task, or target list.
    """
    if data.alphabet != run.alphabet:
        raise MotifnetError(f"the run was trained on {run.alphabet}, the data are {data.alphabet}", path=path)
    if data.folding != run.config.get("folding"):
        raise MotifnetError(f"the run reads structure channels {run.config.get('folding')}, "
                            f"the data have {data.folding}", path=path)
    if data.task != run.task:
        raise MotifnetError(f"the run is {run.task} but the data are {data.task}", path=path)
    same_binary = run.task == "binary" and data.n_targets == 1
    if not same_binary and list(data.target_names) != run.target_names:
        raise MotifnetError(
            f"the data's targets {list(data.target_names)[:5]} differ from the run's {run.target_names[:5]}", path=path
        )
