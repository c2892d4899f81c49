"""Exact resume after an interruption, and distributed data parallel on two CPU processes."""

from __future__ import annotations

import multiprocessing
import os
import socket

import pytest
import torch
from training_support import motif_data, same_weights, tiny

from motifnet.errors import MotifnetError
from motifnet.runs import BEST_WEIGHTS, LAST_WEIGHTS, load_weights, read_json
from motifnet.training import fit

OPTIONS = dict(epochs=4, batch_size=16, lr=0.01, augment="rc,shift", negatives="dinuc-shuffle", schedule="cosine",
               device="cpu", quiet=True, seed=11, patience=None)


class Interrupted(Exception):
    pass


def _positives():
    data = motif_data(80)
    return data.subset([i for i in range(80) if data.targets[i, 0] == 1])


def test_a_run_interrupted_and_resumed_ends_with_the_same_weights(tmp_path):
    data = _positives()
    whole = fit(tiny(dropout=0.3), data, out_dir=tmp_path / "whole", **OPTIONS)

    def stop_after_two(epoch, row):
        if epoch == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        fit(tiny(dropout=0.3), data, out_dir=tmp_path / "cut", on_epoch_end=stop_after_two, **OPTIONS)
    assert read_json(tmp_path / "cut" / "state.json")["epoch"] == 2
    # a different initialisation: the resumed run must take everything from the checkpoint
    resumed = fit(tiny(dropout=0.3, seed=99), data, out_dir=tmp_path / "cut", resume=True, **OPTIONS)
    for name in (BEST_WEIGHTS, LAST_WEIGHTS):
        assert same_weights(load_weights(tmp_path / "whole" / name), load_weights(tmp_path / "cut" / name))
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert strip(resumed.history) == strip(whole.history) and resumed.best_epoch == whole.best_epoch
    assert (tmp_path / "cut" / "history.csv").read_text().count("\n") == 5


def test_resume_refuses_changed_settings_or_nothing_to_resume(tmp_path):
    data = _positives()
    with pytest.raises(MotifnetError, match="nothing to resume"):
        fit(tiny(), data, out_dir=tmp_path / "none", resume=True, **OPTIONS)
    fit(tiny(), data, out_dir=tmp_path / "run", **dict(OPTIONS, epochs=1))
    with pytest.raises(MotifnetError, match="different settings \\(lr\\)"):
        fit(tiny(), data, out_dir=tmp_path / "run", resume=True, **dict(OPTIONS, lr=0.5))
    # more epochs is allowed: the run continues
    more = fit(tiny(), data, out_dir=tmp_path / "run", resume=True, **dict(OPTIONS, epochs=2))
    assert [row["epoch"] for row in more.history] == [1, 2]


def _ddp_worker(rank: int, port: int, out: str) -> None:
    """One process of two, with the environment torchrun would give it."""
    import torch.distributed as dist

    from motifnet.runs import save_weights

    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.set_num_threads(1)
    model = tiny(dropout=0.2, seed=rank)  # different on each rank: DDP broadcasts rank 0's weights
    result = fit(model, motif_data(96), out_dir=out, epochs=2, batch_size=16, lr=0.02, augment="rc",
                 device="cpu", quiet=True, seed=5)
    save_weights(model.state_dict(), f"{out}/rank{dist.get_rank()}.safetensors")
    assert dist.get_world_size() == 2 and result.metrics["n"] == 10
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_cpu_processes_train_with_ddp_to_identical_weights(tmp_path):
    """Two forked processes (gloo), each on its own shard, end with identical weights."""
    out = tmp_path / "ddp"
    context = multiprocessing.get_context("fork")
    port = _free_port()
    workers = [context.Process(target=_ddp_worker, args=(rank, port, str(out))) for rank in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    rank0, rank1 = load_weights(out / "rank0.safetensors"), load_weights(out / "rank1.safetensors")
    assert same_weights(rank0, rank1)
    assert same_weights(rank0, load_weights(out / BEST_WEIGHTS))  # rank 0 wrote the run folder
    assert not same_weights(rank0, tiny(dropout=0.2, seed=0).state_dict())  # training happened
