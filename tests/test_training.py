"""fit(): learning, tasks, options, augmentation, negatives, mixed precision, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from training_support import motif_data, same_weights, tiny

from motifnet.data import SeqData
from motifnet.errors import MotifnetError
from motifnet.negatives import make_negatives, with_negatives
from motifnet.sequence import dinucleotide_counts, one_hot, reverse_complement_one_hot, reverse_complement_tokens
from motifnet.training import fit, predict
from motifnet.training.augment import random_shift, random_strand

FAST = {"epochs": 6, "batch_size": 32, "lr": 0.02, "device": "cpu", "quiet": True}


def test_fit_learns_a_planted_motif_and_keeps_the_best_weights():
    data = motif_data(240)
    model = tiny()
    result = fit(model, data, **FAST)
    assert result.monitor == "auroc"
    assert result.metrics["macro"]["auroc"] > 0.9
    assert result.best_metric == max(row["valid_auroc"] for row in result.history)
    assert result.history[result.best_epoch - 1]["valid_auroc"] == result.best_metric
    assert not model.training
    # the model holds the best epoch's weights: its validation AUROC is the best one
    assert math.isclose(result.metrics["macro"]["auroc"], result.best_metric)


def test_same_seed_same_weights_and_history_different_seed_differs():
    data = motif_data(120)
    options = dict(FAST, epochs=2, augment="rc,shift", negatives=None)
    a, b, c = tiny(dropout=0.3), tiny(dropout=0.3), tiny(dropout=0.3)
    history_a = fit(a, data, seed=3, **options).history
    history_b = fit(b, data, seed=3, **options).history
    fit(c, data, seed=4, **options)
    assert same_weights(a.state_dict(), b.state_dict())
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in history_a] == [
        {k: v for k, v in r.items() if k != "seconds"} for r in history_b
    ]
    assert not same_weights(a.state_dict(), c.state_dict())


@pytest.mark.parametrize(
    "task, n_targets, options, metric",
    [
        ("multiclass", 3, {}, "accuracy"),
        ("multiclass", 3, {"monitor": "auroc"}, "auroc"),
        ("multilabel", 2, {}, "auroc"),
        ("regression", 1, {}, "loss"),
        ("regression", 1, {"regression_loss": "poisson"}, "loss"),
    ],
)
def test_every_task_trains_and_lowers_its_loss(task, n_targets, options, metric):
    data = motif_data(180, task=task)
    result = fit(tiny(n_targets), data, **dict(FAST, epochs=5, **options))
    assert result.monitor == metric
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    if task == "multiclass":
        assert result.metrics["accuracy"] > 0.6 and len(result.metrics["confusion_matrix"]) == 3
        by_loss = fit(tiny(n_targets), data, **dict(FAST, epochs=2, monitor="loss"))
        assert by_loss.monitor == "loss" and all(0 <= row["valid_accuracy"] <= 1 for row in by_loss.history)


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop"])
def test_optimizers_train(optimizer):
    data = motif_data(120)
    lr = {"sgd": 0.1, "rmsprop": 0.005}.get(optimizer, 0.02)
    result = fit(tiny(), data, **dict(FAST, epochs=4, lr=lr, optimizer=optimizer, weight_decay=1e-4))
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_schedules_change_the_learning_rate():
    data = motif_data(60)
    cosine = fit(tiny(), data, **dict(FAST, epochs=4, schedule="cosine", patience=None)).history
    assert [row["lr"] for row in cosine] == pytest.approx([0.02 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)])
    # plateau halves the lr once the monitored metric stops improving (SGD with a vanishing lr)
    plateau = fit(tiny(), data, **dict(FAST, epochs=5, lr=1e-7, optimizer="sgd", schedule="plateau", patience=None,
                                       monitor="loss")).history
    assert plateau[0]["lr"] == 1e-7 and plateau[-1]["lr"] == pytest.approx(5e-8)


def test_early_stopping_after_patience_epochs_without_improvement():
    data = motif_data(60)
    result = fit(tiny(), data, **dict(FAST, epochs=20, lr=1e-30, optimizer="sgd", patience=2, monitor="loss"))
    assert result.stopped_early and result.best_epoch == 1 and len(result.history) == 3


def test_gradient_clipping_bounds_the_update():
    data = motif_data(40)
    before = tiny()
    start = {k: v.clone() for k, v in before.state_dict().items()}
    fit(before, data, **dict(FAST, epochs=1, batch_size=40, lr=1.0, optimizer="sgd", momentum=0.0, grad_clip=1e-3,
                             valid_fraction=0.0))
    step = torch.cat([(before.state_dict()[k] - start[k]).ravel() for k in start])
    assert step.norm() <= 1e-3 * 1.0001


def test_class_weights_change_training_and_are_checked():
    data = motif_data(80)
    plain, weighted = tiny(), tiny()
    fit(plain, data, **dict(FAST, epochs=1))
    fit(weighted, data, **dict(FAST, epochs=1, class_weights=[5.0]))
    assert not same_weights(plain.state_dict(), weighted.state_dict())
    with pytest.raises(MotifnetError, match="class_weights"):
        fit(tiny(), data, **dict(FAST, class_weights=[1.0, 2.0]))


def test_random_strand_reverse_complements_a_random_half():
    x = one_hot(np.random.default_rng(0).integers(0, 4, (64, 20)).astype(np.uint8))
    out = random_strand(x, torch.Generator().manual_seed(0))
    flipped = torch.tensor([torch.equal(o, reverse_complement_one_hot(i)) for o, i in zip(out, x)])
    kept = torch.tensor([torch.equal(o, i) for o, i in zip(out, x)])
    assert bool((flipped | kept).all()) and 15 < int(flipped.sum()) < 49


def test_random_shift_moves_sequences_and_fills_with_n():
    x = one_hot(np.random.default_rng(1).integers(0, 4, (32, 20)).astype(np.uint8))
    out = random_shift(x, 3, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    shifts = set()
    for o, i in zip(out, x):
        found = [s for s in range(-3, 4) if torch.equal(o[:, max(s, 0) : 20 + min(s, 0)], i[:, max(-s, 0) : 20 - max(s, 0)])]
        assert found
        shifts.add(found[0])
        assert float(o.sum()) == 20 - abs(found[0])  # N columns are all zero
    assert len(shifts) > 3


def test_rc_augmentation_refused_for_rna():
    data = motif_data(40)
    rna = SeqData(data.tokens, data.targets, "binary", data.target_names, data.ids, "RNA")
    with pytest.raises(MotifnetError, match="DNA"):
        fit(tiny(), rna, **dict(FAST, augment=["rc"]))


def test_dinucleotide_negatives_keep_pair_counts_and_are_seeded():
    positives = motif_data(20).subset(np.arange(1, 20, 2))
    negatives = make_negatives(positives, seed=1)
    assert (negatives.targets == 0).all() and all(i.endswith("_shuf") for i in negatives.ids)
    for p, n in zip(positives.tokens, negatives.tokens):
        assert (dinucleotide_counts(p) == dinucleotide_counts(n)).all()
    assert (negatives.tokens != positives.tokens).any()
    assert (make_negatives(positives, seed=1).tokens == negatives.tokens).all()
    assert (make_negatives(positives, seed=2).tokens != negatives.tokens).any()
    both = with_negatives(positives, seed=1)
    assert len(both) == 20 and both.targets[:, 0].tolist() == [1.0] * 10 + [0.0] * 10


def test_positive_only_data_train_with_fresh_negatives_each_epoch(monkeypatch):
    import motifnet.negatives as negatives

    data = motif_data(240)
    positives = data.subset(np.flatnonzero(data.targets[:, 0] == 1))
    seeds = []
    original = negatives.with_negatives
    monkeypatch.setattr(negatives, "with_negatives", lambda d, seed, method: seeds.append(seed) or original(d, seed, method))
    result = fit(tiny(), positives, **dict(FAST, epochs=4, negatives="dinuc-shuffle", augment="rc"))
    assert len(set(seeds[1:])) == 4  # one validation set, then fresh negatives each epoch
    assert result.metrics["macro"]["auroc"] > 0.85
    assert result.metrics["n"] == 24  # 12 held-out positives + their 12 shuffles


def test_amp_runs_the_bfloat16_autocast_path_on_cpu():
    seen = []

    class Recording(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = tiny()

        def forward(self, x):
            features = self.inner.conv(x)
            seen.append(features.dtype)
            return self.inner.linear(torch.relu(features).amax(-1))

    result = fit(Recording(), motif_data(80), **dict(FAST, epochs=2, amp=True))
    assert torch.bfloat16 in seen
    assert all(math.isfinite(row["train_loss"]) for row in result.history)


def test_predict_probabilities_strands_and_mode():
    data = motif_data(50, task="multiclass")
    model = tiny(3).train()
    forward = predict(model, data, batch_size=16)
    assert forward.shape == (50, 3) and np.allclose(forward.sum(1), 1, atol=1e-5)
    assert model.training  # predict restores the mode it found
    both = predict(model, data, strands="both")
    reverse = predict(model, reverse_complement_tokens(data.tokens), task="multiclass")
    assert np.allclose(both, (forward + reverse) / 2, atol=1e-6)
    binary = predict(tiny(), motif_data(10))
    assert binary.shape == (10, 1) and ((binary > 0) & (binary < 1)).all()


# ---------------------------------------------------------------------------------------------
# Bad input


def test_model_task_mismatch_is_one_clear_error():
    data = motif_data(60, task="multiclass")
    eleven = SeqData(data.tokens, data.targets, "multiclass", [str(i) for i in range(11)], data.ids)
    with pytest.raises(MotifnetError, match=r"returns \(2, 1\).*11 classes.*n_targets=11"):
        fit(tiny(1), eleven, **FAST)


def test_model_that_cannot_take_the_input_length():
    class Flat(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4 * 50, 1)

        def forward(self, x):
            return self.linear(x.flatten(1))

    with pytest.raises(MotifnetError, match=r"cannot take inputs of shape \[B, 4, 30\]"):
        fit(Flat(), motif_data(20), **FAST)


def test_empty_and_unlabelled_data_are_refused():
    data = motif_data(40)
    with pytest.raises(MotifnetError, match="training data are empty"):
        fit(tiny(), data.subset([]), **FAST)
    with pytest.raises(MotifnetError, match="validation data are empty"):
        fit(tiny(), data, data.subset([]), **FAST)
    with pytest.raises(MotifnetError, match="empty split"):
        fit(tiny(), data.subset([0, 1]), **dict(FAST, valid_fraction=0.2))
    positives = data.subset(np.flatnonzero(data.targets[:, 0] == 1))
    with pytest.raises(MotifnetError, match="only positives.*dinuc-shuffle"):
        fit(tiny(), positives, **FAST)
    with pytest.raises(MotifnetError, match="single class"):
        fit(tiny(), data, positives, **FAST)
    missing = SeqData(data.tokens, np.full_like(data.targets, np.nan), "binary", ["bound"], data.ids)
    with pytest.raises(MotifnetError, match="missing"):
        fit(tiny(), missing, **FAST)
    no_targets = SeqData(data.tokens, np.zeros((40, 0), np.float32), "multilabel", [], data.ids)
    with pytest.raises(MotifnetError, match="no labels"):
        fit(tiny(), no_targets, **FAST)


def test_unknown_or_bad_options_are_refused():
    data = motif_data(20)
    with pytest.raises(MotifnetError, match="unknown training option"):
        fit(tiny(), data, epoch=3)
    for bad in ({"optimizer": "lbfgs"}, {"epochs": 0}, {"augment": "flip"}, {"negatives": "shuffle"}, {"lr": -1}):
        with pytest.raises(MotifnetError):
            fit(tiny(), data, **dict(FAST, **bad))


def test_nan_loss_stops_with_a_message_and_keeps_the_last_good_checkpoint(tmp_path):
    from motifnet.runs import LAST_WEIGHTS, METRICS_FILE, load_weights

    class Explodes(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = tiny()
            self.calls = 0

        def forward(self, x):
            if self.training:
                self.calls += 1
            out = self.inner(x)
            return out * float("nan") if self.calls > 5 else out

    model = Explodes()
    with pytest.raises(MotifnetError, match="NaN or infinite at epoch 2.*last good checkpoint \\(epoch 1\\)"):
        fit(model, motif_data(80), **dict(FAST, batch_size=24, valid_fraction=0.1), out_dir=tmp_path / "run")
    kept = load_weights(tmp_path / "run" / LAST_WEIGHTS)
    assert all(torch.isfinite(t).all() for t in kept.values())
    assert not (tmp_path / "run" / METRICS_FILE).exists()


def test_unwritable_or_occupied_run_dir_fails_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(MotifnetError, match="cannot write the run folder|not a folder"):
        fit(tiny(), motif_data(20), **FAST, out_dir=blocker / "run")
    with pytest.raises(MotifnetError, match="not a folder"):
        fit(tiny(), motif_data(20), **FAST, out_dir=blocker)
    fit(tiny(), motif_data(20), **dict(FAST, epochs=1), out_dir=tmp_path / "run")
    with pytest.raises(MotifnetError, match="already holds a run"):
        fit(tiny(), motif_data(20), **FAST, out_dir=tmp_path / "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "run"]


def test_negatives_shuffle_every_row_within_its_length_uniformly_over_walks():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 5, (300, 40)).astype(np.uint8)
    lengths = rng.integers(1, 41, 300)
    tokens[np.arange(40) >= lengths[:, None]] = 4
    positives = SeqData(tokens, np.ones((300, 1), np.float32), "binary", ["bound"], np.arange(300).astype(str),
                        "DNA", lengths)
    out = make_negatives(positives, seed=1).tokens
    for row, shuffled, n in zip(tokens, out, lengths):
        assert (dinucleotide_counts(row[:n]) == dinucleotide_counts(shuffled[:n])).all()
        assert (row[n:] == shuffled[n:]).all() and row[0] == shuffled[0] and row[n - 1] == shuffled[n - 1]
    assert (out != tokens).any()
    # ACAGACA has three Eulerian walks (the order of A's exits C, G, C): each about a third of the time
    one = np.repeat(np.array([[0, 1, 0, 2, 0, 1, 0]], np.uint8), 3000, axis=0)
    many = SeqData(one, np.ones((3000, 1), np.float32), "binary", ["bound"], np.arange(3000).astype(str), "DNA",
                   np.full(3000, 7))
    walks, counts = np.unique(make_negatives(many, seed=3).tokens, axis=0, return_counts=True)
    assert len(walks) == 3 and (np.abs(counts / 3000 - 1 / 3) < 0.035).all()


def test_a_full_disk_mid_run_is_one_error_and_leaves_the_last_complete_checkpoint(tmp_path, monkeypatch):
    import errno
    import os

    import motifnet.io.files as files
    from motifnet.runs import read_json

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    full = {"now": False}
    real_open = open  # atomic_write opens its temporary file with the builtin open
    monkeypatch.setattr(files, "open", lambda path, *a, **k: FullDisk(real_open(path, *a, **k)) if full["now"]
                        else real_open(path, *a, **k), raising=False)
    run = tmp_path / "run"
    with pytest.raises(MotifnetError, match="No space left on device"):
        fit(tiny(), motif_data(60), out_dir=run, on_epoch_end=lambda epoch, row: full.update(now=True), **FAST)
    assert read_json(run / "state.json")["epoch"] == 1
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
    assert not (run / "metrics.json").exists()


def test_cpu_threads_auto_explicit_and_refused():
    from motifnet.training.devices import set_cpu_threads

    default = torch.get_num_threads()
    try:
        assert set_cpu_threads(1) == 1 == torch.get_num_threads()
        assert 1 <= set_cpu_threads("auto") <= max(1, default)
        assert set_cpu_threads(None) == torch.get_num_threads()
        with pytest.raises(MotifnetError, match="threads"):
            set_cpu_threads("many")
        with pytest.raises(MotifnetError, match="threads"):
            set_cpu_threads(0)
    finally:
        torch.set_num_threads(default)


def test_same_seed_same_run_folder_bit_for_bit(tmp_path):
    """Two fits with the same seed (early stopping, plateau schedule, a run folder) give the same
    history, weights, checkpoint state and metrics, bit for bit."""
    import json

    from motifnet.runs import load_weights

    data = motif_data(120)
    options = dict(FAST, epochs=4, patience=1, schedule="plateau", augment="rc", seed=5)
    results = []
    for name in ("a", "b"):
        torch.manual_seed(0)
        model = tiny(dropout=0.3)
        result = fit(model, data, out_dir=tmp_path / name, **options)
        results.append((model, result))
    (a, ra), (b, rb) = results
    assert same_weights(a.state_dict(), b.state_dict())
    strip = [[{k: v for k, v in row.items() if k != "seconds"} for row in r.history] for r in (ra, rb)]
    assert strip[0] == strip[1] and (ra.best_epoch, ra.stopped_early) == (rb.best_epoch, rb.stopped_early)
    for file in ("model.safetensors", "last.safetensors"):
        assert same_weights(load_weights(tmp_path / "a" / file), load_weights(tmp_path / "b" / file))
    metrics = [json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("a", "b")]
    for saved in metrics:
        saved.pop("train_seconds")
    assert metrics[0] == metrics[1]
