"""Training state for exact resume, stored without pickle.

The optimizer's state dict is split into its tensors (``optimizer.safetensors``) and everything
else (param groups, scheduler, progress, history: ``state.json``). Randomness in training is a
pure function of ``(seed, epoch)``, so no RNG state needs saving: resuming after epoch ``k``
replays epochs ``k+1, ...`` exactly as an uninterrupted run would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from motifnet.errors import MotifnetError
from motifnet.runs import LAST_WEIGHTS, OPTIMIZER_FILE, STATE_FILE, load_state_dict_into, load_weights, read_json
from motifnet.runs import save_weights, write_json

STATE_FORMAT = "motifnet.training-state"


def _split_optimizer_state(state_dict: dict) -> tuple[dict, dict]:
    """Optimizer state dict -> (tensors by flat name, JSON-able rest)."""
    import torch

    tensors: dict[str, Any] = {}
    plain: dict[str, dict] = {}
    for index, values in state_dict["state"].items():
        plain[str(index)] = {}
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{index}.{name}"] = value
            else:
                plain[str(index)][name] = value
    return tensors, {"param_groups": state_dict["param_groups"], "plain_state": plain}


def _join_optimizer_state(tensors: dict, rest: dict) -> dict:
    state: dict[int, dict] = {int(index): dict(values) for index, values in rest["plain_state"].items()}
    for flat, tensor in tensors.items():
        _, index, name = flat.split(".", 2)
        state.setdefault(int(index), {})[name] = tensor
    return {"state": state, "param_groups": rest["param_groups"]}


def save_training_state(run_dir: str | Path, model, optimizer, scheduler, progress: dict) -> None:
    """Write last weights, optimizer tensors and ``state.json`` (progress + scheduler) atomically,
    each file complete or absent; ``state.json`` is written last and names a consistent set."""
    run_dir = Path(run_dir)
    tensors, rest = _split_optimizer_state(optimizer.state_dict())
    save_weights(model.state_dict(), run_dir / LAST_WEIGHTS)
    save_weights(tensors, run_dir / OPTIMIZER_FILE)
    write_json(
        run_dir / STATE_FILE,
        {
            "format": STATE_FORMAT,
            "optimizer": rest,
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            **progress,
        },
    )


def load_training_state(run_dir: str | Path, model, optimizer, scheduler, device) -> dict:
    """Restore model, optimizer and scheduler from a run folder; return the saved progress.

    Raises:
        MotifnetError: missing, corrupt or foreign files, or a state that does not fit the model.
    """
    run_dir = Path(run_dir)
    state = read_json(run_dir / STATE_FILE)
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise MotifnetError("not a motifnet training state", path=run_dir / STATE_FILE)
    load_state_dict_into(model, load_weights(run_dir / LAST_WEIGHTS, device=device), run_dir / LAST_WEIGHTS)
    tensors = load_weights(run_dir / OPTIMIZER_FILE, device=device)
    try:
        optimizer.load_state_dict(_join_optimizer_state(tensors, state["optimizer"]))
        if scheduler is not None and state.get("scheduler") is not None:
            scheduler.load_state_dict(state["scheduler"])
    except (KeyError, ValueError, TypeError, RuntimeError) as error:
        raise MotifnetError(f"optimizer state does not fit this model or optimizer ({error})", path=run_dir) from None
    return state
