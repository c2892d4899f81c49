"""Device names, the mixed-precision dtype, CPU cores and threads, and the single-process side of
distributed training (no process group of several processes, no GPU)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from motifnet.devices import autocast_dtype, available_cores, resolve_device, set_cpu_threads
from motifnet.errors import MotifnetError
from motifnet.training import distributed

CPU = torch.device("cpu")
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")

# ---------------------------------------------------------------------------------------------
# resolve_device


def test_a_device_object_is_kept_and_names_are_case_insensitive():
    device = torch.device("cpu", 0)
    assert resolve_device(device) is device
    assert resolve_device("CPU") == CPU and resolve_device(None) == CPU
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.parametrize("name", ["gpu", "", "tpu:x"])
def test_an_unknown_device_name_lists_the_valid_ones(name):
    with pytest.raises(MotifnetError) as error:
        resolve_device(name)
    assert str(error.value) == f"unknown device {name!r}; expected auto, cpu, cuda or cuda:N"


@NO_CUDA
@pytest.mark.parametrize("name", ["cuda", "cuda:1", "CUDA"])
def test_cuda_without_cuda_is_refused(name):
    with pytest.raises(MotifnetError, match=f"device {name!r} asked for, but CUDA is not available"):
        resolve_device(name)


# ---------------------------------------------------------------------------------------------
# autocast_dtype


@pytest.mark.parametrize("amp", [False, None, 0, "", "false", "False"])
def test_amp_off_means_full_precision(amp):
    assert autocast_dtype(CPU, amp) is None


@pytest.mark.parametrize("amp", [True, "true", "True", "bfloat16"])
def test_amp_on_cpu_is_bfloat16(amp):
    assert autocast_dtype(CPU, amp) is torch.bfloat16


def test_amp_by_name_on_cuda():
    cuda = torch.device("cuda")  # a device object needs no GPU
    assert autocast_dtype(cuda, "float16") is torch.float16 and autocast_dtype(cuda, "bfloat16") is torch.bfloat16


@pytest.mark.parametrize("supported, dtype", [(True, torch.bfloat16), (False, torch.float16)])
def test_amp_true_on_cuda_falls_back_to_float16_without_bfloat16(monkeypatch, supported, dtype):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: supported)
    assert autocast_dtype(torch.device("cuda"), True) is dtype


def test_float16_on_cpu_and_unknown_dtypes_are_refused():
    with pytest.raises(MotifnetError, match="amp='float16' needs CUDA; use 'bfloat16' on CPU"):
        autocast_dtype(CPU, "float16")
    with pytest.raises(MotifnetError, match="amp must be true, false, 'bfloat16' or 'float16', got 'fp8'"):
        autocast_dtype(CPU, "fp8")


# ---------------------------------------------------------------------------------------------
# CPU cores and threads


def test_available_cores_without_an_affinity_mask_is_the_cpu_count(monkeypatch):
    assert 1 <= available_cores() <= (os.cpu_count() or 1)
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert available_cores() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown: one core
    assert available_cores() == 1


def test_auto_threads_leave_busy_cores_alone(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(os, "getloadavg", lambda: (float(os.cpu_count() or 1) + 5, 0.0, 0.0))
        assert set_cpu_threads("auto") == 1 == torch.get_num_threads()  # every core busy: at least one
        assert set_cpu_threads("1") == 1  # an integer given as text (a YAML or CLI value)
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("threads", [-2, "1.5", "auto "])
def test_bad_thread_counts_are_refused(threads):
    with pytest.raises(MotifnetError, match=f"threads must be 'auto' or a positive integer, got {threads!r}"):
        set_cpu_threads(threads)


# ---------------------------------------------------------------------------------------------
# Distributed training, one process


def test_without_torchrun_there_is_one_process(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed.env_world_size() == 1
    assert distributed.init_from_env("cpu") is False  # nothing to join
    assert distributed.rank_and_size() == (0, 1)
    model = torch.nn.Linear(2, 1)
    assert distributed.wrap(model, CPU) is model
    distributed.barrier()  # a no-op, not an error
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert distributed.env_world_size() == 4


def test_local_device_is_the_gpu_of_this_process_only_under_torchrun(monkeypatch):
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert distributed.local_device(torch.device("cuda")) == torch.device("cuda")
    monkeypatch.setenv("LOCAL_RANK", "3")
    assert distributed.local_device(torch.device("cuda")) == torch.device("cuda", 3)
    assert distributed.local_device(CPU) == CPU


def test_one_process_trains_on_every_row_in_order():
    np.testing.assert_array_equal(distributed.shard(7, 0, 1, seed=3), np.arange(7))


def test_shards_are_equal_disjoint_seeded_and_sorted():
    n, size = 23, 3
    shards = [distributed.shard(n, rank, size, seed=5) for rank in range(size)]
    assert [len(s) for s in shards] == [n // size] * size
    rows = np.concatenate(shards)
    assert len(set(rows.tolist())) == len(rows) == n - n % size and rows.min() >= 0 and rows.max() < n
    assert all((np.diff(s) > 0).all() for s in shards)
    again = [distributed.shard(n, rank, size, seed=5) for rank in range(size)]
    assert all(np.array_equal(a, b) for a, b in zip(shards, again))
    other = [distributed.shard(n, rank, size, seed=6) for rank in range(size)]
    assert not all(np.array_equal(a, b) for a, b in zip(shards, other))  # another epoch, other shards


def test_any_rank_and_wrap_in_a_process_group_of_one(tmp_path):
    import torch.distributed as dist

    if not dist.is_available() or dist.is_initialized():
        pytest.skip("torch.distributed unavailable or already in use")
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        assert distributed.init_from_env("cpu") is True  # the caller's group counts
        assert distributed.rank_and_size() == (0, 1)
        assert distributed.any_rank(True, CPU) is True and distributed.any_rank(False, CPU) is False
        model = torch.nn.Linear(2, 1)
        assert distributed.wrap(model, CPU) is model  # one process: no DistributedDataParallel
        distributed.barrier()
    finally:
        dist.destroy_process_group()
    assert distributed.rank_and_size() == (0, 1)
