"""The device paths, on every device this machine has: training in float32, bfloat16 autocast and
float16 with the gradient scaler; prediction, attributions and the window scan against the CPU's
numbers; DDP in a process group of one (NCCL on CUDA, gloo on the CPU). Without a GPU the CPU cases
(all but the attribution comparison) run in the unit suite; on a GPU machine
``benchmarks/gpu_check.sh`` runs this file first."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_models import random_tokens
from training_support import motif_data

from motifnet.models import build
from motifnet.predict import predict
from motifnet.runs import load_run
from motifnet.training import fit

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
DEVICES = ["cpu", pytest.param("cuda", marks=CUDA)]
SMALL = dict(n_filters=8, filter_length=8, hidden=16)
ATOL = 1e-4  # float32 on another device: the same numbers up to summation order


def _model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build("deepbind", n_targets=1, input_length=30, **SMALL)


@pytest.mark.parametrize("device, amp", [("cpu", False), ("cpu", "bfloat16"), pytest.param("cuda", False, marks=CUDA),
                                         pytest.param("cuda", "bfloat16", marks=CUDA),
                                         pytest.param("cuda", "float16", marks=CUDA)])
def test_training_learns_on_the_device_and_the_run_reloads_on_the_cpu(tmp_path, device, amp):
    data = motif_data(400)
    model = _model()
    result = fit(model, data, out_dir=tmp_path / "run", epochs=6, batch_size=32, lr=0.02, augment="rc",
                 device=device, amp=amp, quiet=True, patience=None)
    assert all(p.device.type == device for p in model.parameters())
    assert all(np.isfinite(row["train_loss"]) for row in result.history)
    assert result.metrics["macro"]["auroc"] > 0.9, result.history
    reloaded = load_run(tmp_path / "run", device="cpu")
    on_device = predict(model, data.tokens, device=device)
    assert np.allclose(on_device, predict(reloaded.model, data.tokens), atol=ATOL)


@pytest.mark.parametrize("device", [pytest.param("cuda", marks=CUDA)])  # the CPU would be compared with itself
@pytest.mark.parametrize("method", ["grad_x_input", "integrated_gradients", "deep_lift_shap"])
def test_attributions_on_the_device_match_the_cpu(device, method):
    from motifnet.interpret.attribution import attribute

    tokens = random_tokens(12, 30, with_n=False)
    options = {"integrated_gradients": dict(steps=4, n_baselines=2),
               "deep_lift_shap": dict(n_shuffles=3)}.get(method, {})
    cpu = attribute(_model(), tokens, method, target=0, **options)
    here = attribute(_model().to(device), tokens, method, target=0, **options)
    assert here.device.type == "cpu" and torch.allclose(here, cpu, atol=ATOL)


@pytest.mark.parametrize("device", DEVICES)
def test_the_window_scan_on_the_device_matches_the_cpu_fast_path(device):
    from motifnet.scan import scan_tokens

    tokens = random_tokens(1, 400)[0]
    fast = np.concatenate([c[1] for c in scan_tokens(_model(), tokens, 30, 1, "both", method="fast")])
    window = np.concatenate([c[1] for c in scan_tokens(_model().to(device), tokens, 30, 1, "both", method="window",
                                                       device=device)])
    assert window.shape == fast.shape == (371, 1) and np.allclose(window, fast, atol=ATOL)


@pytest.mark.parametrize("device", DEVICES)
def test_ddp_in_a_process_group_of_one_gives_the_plain_gradients(tmp_path, device):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from motifnet.training import distributed

    if dist.is_initialized():
        pytest.skip("a process group is already in use")
    dist.init_process_group("nccl" if device == "cuda" else "gloo", init_method=f"file://{tmp_path / 'store'}",
                            rank=0, world_size=1)
    try:
        plain, wrapped = _model().to(device).eval(), _model().to(device).eval()  # no dropout draws
        ddp = DistributedDataParallel(wrapped, device_ids=[0] if device == "cuda" else None)
        x = torch.nn.functional.one_hot(torch.from_numpy(random_tokens(16, 30, with_n=False)).long(), 4)
        x = x.transpose(1, 2).float().to(device)
        for net in (plain, ddp):
            net(x).square().mean().backward()  # DDP all-reduces the gradients over the group
        pairs = zip(plain.parameters(), wrapped.parameters())
        assert all(torch.allclose(a.grad, b.grad, atol=1e-6) for a, b in pairs)
        assert distributed.any_rank(True, torch.device(device)) and not distributed.any_rank(False, torch.device(device))
        result = fit(_model(), motif_data(96), epochs=1, batch_size=16, device=device, quiet=True)
        assert result.metrics["n"] == 10  # fit joins the caller's group and trains
        distributed.barrier()
    finally:
        dist.destroy_process_group()
