"""Run folders: reload by config, safetensors only, refusal of corrupt or foreign files."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch
from training_support import motif_data, same_weights, tiny

from motifnet.errors import MotifnetError
from motifnet.models import build
from motifnet.runs import BEST_WEIGHTS, load_run, load_weights, read_config, save_weights
from motifnet.training import fit, predict
from motifnet.training.checkpoint import _join_optimizer_state, _split_optimizer_state

SMALL = dict(n_filters=4, filter_length=6, hidden=0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    data = motif_data(80)
    torch.manual_seed(0)
    model = build("deepbind", n_targets=1, input_length=data.length, **SMALL)
    fit(model, data, out_dir=out, epochs=2, batch_size=16, device="cpu", quiet=True, augment="rc")
    return out, model, data


def test_load_run_rebuilds_the_model_with_its_weights(trained):
    out, model, data = trained
    run = load_run(out)
    assert (run.task, run.target_names, run.alphabet, run.input_length) == ("binary", ["bound"], "DNA", 30)
    assert not run.model.training
    assert same_weights(run.model.state_dict(), model.state_dict())
    assert np.array_equal(predict(run.model, data), predict(model, data))
    assert run.config["training"]["augment"] == ["rc"] and run.metrics["best_epoch"] >= 1
    last = load_run(out, weights="last")
    assert same_weights(last.model.state_dict(), load_weights(out / "last.safetensors"))


def test_a_pickle_is_refused_and_never_unpickled(tmp_path, trained):
    out, _, _ = trained
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    run = tmp_path / "evil"
    run.mkdir()
    (run / "config.json").write_text((out / "config.json").read_text())
    (run / BEST_WEIGHTS).write_bytes(pickle.dumps({"conv.weight": Payload()}))
    with pytest.raises(MotifnetError, match="not a safetensors weights file"):
        load_run(run)
    torch.save({"conv.weight": torch.zeros(2)}, run / BEST_WEIGHTS)  # torch's zip pickle format
    with pytest.raises(MotifnetError, match="not a safetensors weights file"):
        load_run(run)
    assert not marker.exists()


def test_truncated_and_foreign_weights_are_refused(tmp_path, trained):
    out, _, _ = trained
    blob = (out / BEST_WEIGHTS).read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(MotifnetError, match="corrupt|not a safetensors"):
        load_weights(tmp_path / "cut.safetensors")
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(3)}, tmp_path / "foreign.safetensors")
    with pytest.raises(MotifnetError, match="not a motifnet weights file"):
        load_weights(tmp_path / "foreign.safetensors")
    (tmp_path / "empty.safetensors").write_bytes(b"")
    with pytest.raises(MotifnetError):
        load_weights(tmp_path / "empty.safetensors")
    with pytest.raises(MotifnetError, match="no such"):
        load_weights(tmp_path / "missing.safetensors")


def test_weights_that_do_not_fit_the_model_are_refused(tmp_path, trained):
    out, _, _ = trained
    run = tmp_path / "other"
    run.mkdir()
    (run / "config.json").write_text((out / "config.json").read_text())
    bigger = build("deepbind", n_targets=1, input_length=30, **dict(SMALL, n_filters=5))
    save_weights(bigger.state_dict(), run / BEST_WEIGHTS)
    with pytest.raises(MotifnetError, match="shape"):
        load_run(run)


def test_not_a_run_newer_version_and_unregistered_models(tmp_path, trained):
    out, _, _ = trained
    with pytest.raises(MotifnetError, match="not a motifnet run folder"):
        load_run(tmp_path)
    config = json.loads((out / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(dict(config, version=99)))
    with pytest.raises(MotifnetError, match="newer"):
        read_config(tmp_path)
    plain = tmp_path / "plain"
    fit(tiny(), motif_data(40), out_dir=plain, epochs=1, device="cpu", quiet=True)
    with pytest.raises(MotifnetError, match="not a registered motifnet model"):
        load_run(plain)
    assert load_weights(plain / BEST_WEIGHTS).keys() == tiny().state_dict().keys()  # weights still usable


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_optimizer_state_round_trips_without_pickle(optimizer):
    model = tiny()
    make = {"adam": torch.optim.Adam, "sgd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
            "rmsprop": torch.optim.RMSprop}[optimizer]
    opt = make(model.parameters())
    model(torch.rand(3, 4, 20)).sum().backward()
    opt.step()
    tensors, rest = _split_optimizer_state(opt.state_dict())
    rest = json.loads(json.dumps(rest))
    fresh = make(tiny(seed=1).parameters())
    fresh.load_state_dict(_join_optimizer_state(tensors, rest))
    for a, b in zip(opt.state_dict()["state"].values(), fresh.state_dict()["state"].values()):
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
