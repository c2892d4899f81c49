"""Distributed data parallel training through ``torch.distributed`` (torchrun-compatible).

Launch any training command with ``torchrun --nproc_per_node N ...`` (or set RANK, WORLD_SIZE,
MASTER_ADDR and MASTER_PORT yourself): :func:`init_from_env` joins the process group (gloo on CPU,
NCCL on CUDA), every process trains on its own shard of each epoch's shuffled rows, gradients are
averaged by :class:`torch.nn.parallel.DistributedDataParallel`, and only rank 0 writes files.
"""

from __future__ import annotations

import os

import numpy as np


def env_world_size() -> int:
    """WORLD_SIZE from the environment (1 when not launched by torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def init_from_env(device_type: str = "cpu") -> bool:
    """Join the process group described by the environment if WORLD_SIZE > 1.

    Returns:
        Whether a process group (ours or the caller's) is active.
    """
    import torch.distributed as dist

    if dist.is_available() and not dist.is_initialized() and env_world_size() > 1:
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return dist.is_available() and dist.is_initialized()


def rank_and_size() -> tuple[int, int]:
    """``(rank, world_size)`` of this process; ``(0, 1)`` without a process group."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def local_device(device):
    """On CUDA under torchrun, the GPU of this process (LOCAL_RANK); otherwise ``device``."""
    import torch

    if device.type == "cuda" and "LOCAL_RANK" in os.environ:
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return device


def shard(n: int, rank: int, world_size: int, seed: int) -> np.ndarray:
    """This rank's rows of a seeded permutation of ``range(n)``: equal-sized, disjoint shards
    (the last ``n % world_size`` rows of the permutation are left out this epoch)."""
    if world_size == 1:
        return np.arange(n)
    order = np.random.default_rng(seed).permutation(n)
    per_rank = n // world_size
    return np.sort(order[rank * per_rank : (rank + 1) * per_rank])


def wrap(model, device):
    """Wrap ``model`` in DistributedDataParallel when a process group is active."""
    from torch.nn.parallel import DistributedDataParallel

    _, size = rank_and_size()
    if size == 1:
        return model
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def barrier() -> None:
    """Wait for every process (no-op without a process group)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def any_rank(flag: bool, device) -> bool:
    """Whether ``flag`` is true on any process (so that all stop together)."""
    import torch
    import torch.distributed as dist

    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)
