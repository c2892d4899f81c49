"""Fitting a model to SeqData: the training loop, validation, early stopping, checkpoints, resume.

Randomness is a pure function of ``(seed, epoch)``: the batch order, the fresh negatives, the
augmentation and dropout of epoch ``e`` are seeded from ``seed`` and ``e`` alone. A run resumed
after epoch ``k`` therefore ends with exactly the weights of an uninterrupted run.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from motifnet.data import SeqData, batches, random_split
from motifnet.errors import MotifnetError
from motifnet.training import distributed
from motifnet.training.options import FitOptions

CHECK_ROWS = 1 << 16
"""Rows of targets checked at a time (a memory-mapped store's are never read whole)."""

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        history: one dict per epoch (epoch, train_loss, valid_loss, valid_<metric>, lr, seconds).
        best_epoch: the epoch whose weights the model holds at the end (1-based).
        best_metric: the monitored validation value at that epoch (NaN without validation).
        monitor: the monitored metric's name.
        out_dir: the run folder, or None when trained in memory.
        metrics: the final validation metrics of the best model ({} without validation).
        seconds: training wall time (all epochs, this call and resumed ones).
        stopped_early: whether early stopping ended training.
    """

    history: list[dict]
    best_epoch: int
    best_metric: float
    monitor: str
    out_dir: Path | None
    metrics: dict = field(default_factory=dict)
    seconds: float = 0.0
    stopped_early: bool = False


class NonFiniteLoss(Exception):
    """Raised inside the loop when the loss is NaN or infinite."""


class NonFiniteLossError(MotifnetError):
    """What :func:`fit` raises when the training loss became NaN or infinite (a setting that
    diverges, e.g. too large a learning rate; a search counts it as a failed trial)."""


def epoch_seed(seed: int, epoch: int, purpose: int = 0) -> int:
    """A 63-bit seed for ``(seed, epoch, purpose)`` (purpose: 0 batches, 1 negatives, 2 torch)."""
    return int(np.random.SeedSequence([seed, epoch, purpose]).generate_state(2, np.uint64)[0] >> np.uint64(1))


def default_monitor(task: str) -> str:
    """auroc for binary/multilabel, accuracy for multiclass, loss for regression."""
    return {"binary": "auroc", "multilabel": "auroc", "multiclass": "accuracy"}.get(task, "loss")


def _check_data(name: str, data: SeqData, opts: FitOptions) -> None:
    if len(data) == 0:
        raise MotifnetError(f"the {name} data are empty (no sequences)")
    if data.n_targets == 0:
        raise MotifnetError(f"the {name} data have no labels (no target columns)")
    for begin in range(0, len(data), CHECK_ROWS):  # in chunks: targets may be a memory-mapped store's
        targets = np.asarray(data.targets[begin : begin + CHECK_ROWS])
        if data.task != "multiclass" and not np.isfinite(targets).all():
            raise MotifnetError(f"the {name} data have missing (NaN) labels")
        if data.task in ("binary", "multilabel") and not ((targets == 0) | (targets == 1)).all():
            raise MotifnetError(f"{data.task} labels in the {name} data must be 0 or 1")
        if data.task == "multiclass" and (targets.min() < 0 or targets.max() >= data.n_targets):
            raise MotifnetError(f"class indices in the {name} data must lie in 0..{data.n_targets - 1}")
    if opts.negatives and data.structure is not None:
        raise MotifnetError("shuffled negatives would lack structure channels: give labelled data with structure")
    if "rc" in opts.augment and data.alphabet != "DNA":
        raise MotifnetError("augment 'rc' (reverse complement) only applies to DNA; the data are RNA, which has "
                            "one strand (drop rc from augment)")


def _check_labels_present(train: SeqData, opts: FitOptions) -> None:
    """Binary data with a single class cannot be learned unless negatives are made."""
    if train.task != "binary" or opts.negatives:
        return
    labels = np.asarray(train.targets[:, 0])
    if (labels > 0.5).all():
        raise MotifnetError(
            "the training data hold only positives (label 1); add negatives "
            "(--negatives dinuc-shuffle, as DeepBind did) or give labelled data"
        )
    if (labels < 0.5).all():
        raise MotifnetError("the training data hold only negatives (label 0); labels are absent or wrong")


def _check_valid_classes(valid: SeqData) -> None:
    """AUROC/AUPRC need both classes in at least one validation target."""
    targets = np.asarray(valid.targets)
    if valid.task == "multiclass":
        both = len(np.unique(targets)) > 1
    else:
        both = bool(((targets > 0.5).any(axis=0) & (targets < 0.5).any(axis=0)).any())
    if not both:
        raise MotifnetError(
            "the validation data hold a single class, so AUROC is undefined; give validation data with "
            "both classes, use negatives='dinuc-shuffle' for positive-only data, or monitor='loss'"
        )


def _check_model(model: nn.Module, data: SeqData, device: torch.device) -> None:
    """A forward pass on two sequences (eval mode, no gradients): the output must be
    ``[2, n_targets]``.

    Raises:
        MotifnetError: the model cannot take the input, or its output does not fit the task.
    """
    import torch

    from motifnet.devices import eval_mode

    config = getattr(model, "config", None)
    reads = config.get("in_channels", 4) if isinstance(config, dict) else data.channels
    if reads != data.channels:
        raise MotifnetError(f"the model reads {reads} input channels but the data have {data.channels} "
                            f"(4 bases{' + structure' if data.structure is not None else ''}): "
                            f"build it with in_channels={data.channels}")
    x, _ = next(batches(data, 2, device=device))
    try:
        with eval_mode(model), torch.no_grad():
            out = model(x)
    except (RuntimeError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise MotifnetError(f"the model cannot take inputs of shape [B, {data.channels}, {data.length}]: {first}") from None
    if not isinstance(out, torch.Tensor) or out.shape != (x.shape[0], data.n_targets):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        what = "classes" if data.task == "multiclass" else "target(s)"
        raise MotifnetError(
            f"the model returns {shape} but the {data.task} data have {data.n_targets} {what} "
            f"(expected [B, {data.n_targets}]); build the model with n_targets={data.n_targets}"
        )


def _make_optimizer(model, opts: FitOptions):
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise MotifnetError("the model has no trainable parameters")
    if opts.optimizer in ("adam", "adamw"):
        kind = torch.optim.Adam if opts.optimizer == "adam" else torch.optim.AdamW
        # the fused kernel (CPU and CUDA) saves a loop over parameters at every step
        fused = all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in params)
        return kind(params, lr=opts.lr, weight_decay=opts.weight_decay, fused=fused or None)
    if opts.optimizer == "sgd":
        return torch.optim.SGD(params, lr=opts.lr, momentum=opts.momentum, weight_decay=opts.weight_decay)
    return torch.optim.RMSprop(params, lr=opts.lr, momentum=opts.momentum, weight_decay=opts.weight_decay)


def _make_scheduler(optimizer, opts: FitOptions, higher_is_better: bool):
    import torch

    if opts.schedule == "plateau":
        patience = max(1, (opts.patience or 4) // 2)
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="max" if higher_is_better else "min", factor=0.5, patience=patience
        )
    if opts.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=opts.epochs)
    return None


def _split(train: SeqData, valid: SeqData | None, opts: FitOptions) -> tuple[SeqData, SeqData | None]:
    """Positives-only data are split before negatives are added; the split is seeded and stratified."""
    if valid is not None or opts.valid_fraction == 0:
        return train, valid
    if opts.negatives:
        from motifnet.negatives import positives_of

        train = positives_of(train)
    keep, held = random_split(train, (1 - opts.valid_fraction, opts.valid_fraction), seed=opts.seed)
    if len(keep) == 0 or len(held) == 0:
        raise MotifnetError(
            f"valid_fraction={opts.valid_fraction} of {len(train)} sequences leaves an empty split; "
            "give more data, another fraction, or separate validation data"
        )
    return train.subset(keep), train.subset(held)


def _prepare_valid(valid: SeqData | None, opts: FitOptions) -> SeqData | None:
    """Validation data get one fixed set of negatives when they hold positives only."""
    if valid is None or not opts.negatives:
        return valid
    labels = np.asarray(valid.targets[:, 0])
    if (labels > 0.5).all():
        from motifnet.negatives import with_negatives

        return with_negatives(valid, seed=epoch_seed(opts.seed, 0, 3), method=opts.negatives)
    return valid


def _is_better(value: float, best: float, higher_is_better: bool) -> bool:
    if math.isnan(value):
        return False
    if math.isnan(best):
        return True
    return value > best if higher_is_better else value < best


def _validate(model, loss_fn, valid: SeqData, opts: FitOptions, strands: str, amp_dtype) -> tuple[float, dict]:
    """(validation loss, metrics dict) of the current model."""
    import torch

    from motifnet.metrics import evaluate
    from motifnet.training.losses import activate
    from motifnet.training.predict import predict_logits

    logits = predict_logits(model, valid.inputs(), max(opts.batch_size, 512), strands, amp_dtype)
    if not bool(torch.isfinite(logits).all()):
        raise NonFiniteLossError("the model's validation outputs became NaN or infinite (the weights diverged); "
                                 "try a smaller lr, grad_clip, or check the targets")
    device = logits.device
    targets = torch.from_numpy(np.asarray(valid.targets)).to(device)
    probabilities = activate(valid.task, logits, opts.regression_loss)
    if strands == "both":
        loss = 0.5 * (float(loss_fn(logits[0], targets)) + float(loss_fn(logits[1], targets)))
        probabilities = probabilities.mean(dim=0)
    else:
        loss = float(loss_fn(logits, targets))
    metrics = evaluate(valid.task, np.asarray(valid.targets), probabilities.cpu().numpy(), valid.target_names)
    metrics["loss"] = loss
    return loss, metrics


def _monitored(metrics: dict, monitor: str) -> float:
    if monitor == "loss":
        return metrics["loss"]
    if monitor == "accuracy":
        return metrics.get("accuracy", float("nan"))
    return metrics["macro"][monitor]


def _train_epoch(net, data: SeqData, rows: np.ndarray, epoch: int, opts: FitOptions, loss_fn, optimizer, scaler,
                 amp_dtype, device, show: bool) -> float:
    """One pass over ``data.tokens[rows]`` in seeded random batches; returns the mean loss.

    Dropout, strand and shift draws are seeded from ``(opts.seed, epoch)``.

    Raises:
        NonFiniteLoss: the loss of a batch is NaN or infinite (before that batch's update).
    """
    import torch
    from tqdm.auto import tqdm

    from motifnet.training.augment import random_shift, random_strand

    torch.manual_seed(epoch_seed(opts.seed, epoch, 2))
    generator = torch.Generator(device=device).manual_seed(epoch_seed(opts.seed, epoch, 4))
    parameters = [p for p in net.parameters() if p.requires_grad]
    net.train()
    total, count = 0.0, 0
    progress = tqdm(
        batches(data, opts.batch_size, shuffle=True, seed=epoch_seed(opts.seed, epoch, 0), device=device, indices=rows),
        total=-(-len(rows) // opts.batch_size), disable=not show, desc=f"epoch {epoch}/{opts.epochs}", leave=False,
    )
    with progress:
        for step, (x, y) in enumerate(progress, start=1):
            if "rc" in opts.augment:
                x = random_strand(x, generator)
            if "shift" in opts.augment:
                x = random_shift(x, opts.max_shift, generator)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                logits = net(x)
            loss = loss_fn(logits.float(), y)
            value = loss.item()  # checked before the update, so the weights never take a NaN step
            if not math.isfinite(value):
                raise NonFiniteLoss(f"epoch {epoch}, step {step}")
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if opts.grad_clip:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(parameters, opts.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            total += value * len(y)
            count += len(y)
            if show and step % 20 == 0:
                progress.set_postfix(loss=f"{total / count:.4f}")
    return total / max(count, 1)


@dataclass
class _Setup:
    """Everything fixed before the first epoch (:func:`_setup`)."""

    opts: FitOptions
    train: SeqData
    valid: SeqData | None
    device: Any
    rank: int
    world_size: int
    amp_dtype: Any
    monitor: str
    higher_is_better: bool
    strands: str
    loss_fn: Any
    optimizer: Any
    scheduler: Any
    scaler: Any

    @property
    def is_main(self) -> bool:
        return self.rank == 0


@dataclass
class _Progress:
    """What changes from epoch to epoch and is checkpointed (``state.json``); ``best_state``:
    the best weights of this call (None before an improvement, or when resumed past it)."""

    history: list[dict] = field(default_factory=list)
    best_metric: float = float("nan")
    best_epoch: int = 0
    bad_epochs: int = 0
    start_epoch: int = 1
    seconds_before: float = 0.0
    stopped_early: bool = False
    best_state: dict | None = None

    def state(self, epoch: int, seconds: float) -> dict:
        """The checkpointed state after ``epoch`` (``seconds``: training time so far)."""
        return {"epoch": epoch, "history": self.history, "best_metric": self.best_metric,
                "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs, "seconds": seconds,
                "stopped_early": self.stopped_early}


def fit(
    model: nn.Module,
    train: SeqData,
    valid: SeqData | None = None,
    *,
    out_dir: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = True,
    run_info: dict | None = None,
    on_epoch_end: Callable[[int, dict], Any] | None = None,
    **options: Any,
) -> FitResult:
    """Train ``model`` on ``train``; early-stop on ``valid``; keep the best weights in ``model``.

    Args:
        model: an ``nn.Module`` taking one-hot ``[B, 4, L]`` and returning logits ``[B, T]``
            (T = ``train.n_targets``). A motifnet model's ``config`` is saved so the run reloads.
        train: training data (positives only with ``negatives="dinuc-shuffle"``).
        valid: validation data; default a seeded stratified ``valid_fraction`` of ``train``.
        out_dir: run folder (config.json, model.safetensors, last.safetensors, optimizer state,
            state.json, metrics.json, history.csv); None trains in memory.
        resume: continue the run in ``out_dir`` from its last completed epoch (same options).
        overwrite: replace a run already in ``out_dir``.
        quiet: no progress bar or epoch lines (default True; ``motifnet train`` shows them).
        run_info: extra JSON entries for config.json (data paths, model name...).
        on_epoch_end: called as ``on_epoch_end(epoch, history_row)`` after each checkpoint.
        **options: see :class:`~motifnet.training.options.FitOptions` (epochs, batch_size, lr,
            optimizer, weight_decay, schedule, grad_clip, patience, monitor, class_weights,
            augment, negatives, valid_fraction, seed, device, amp, ...).

    Returns:
        A :class:`FitResult`; ``model`` holds the best weights (by the monitored metric), in eval mode.

    Raises:
        MotifnetError: bad options, empty or unlabelled data, a model whose output does not fit the
            task, an unwritable or occupied ``out_dir``, nothing to resume, or a NaN/infinite loss
            (the last good checkpoint is kept).
    """
    from tqdm.auto import tqdm

    setup = _setup(model, train, valid, FitOptions.from_dict(options))
    out_dir = Path(out_dir) if out_dir is not None else None
    progress = _open_run(model, setup, out_dir, resume, overwrite, run_info)
    net = distributed.wrap(model, setup.device)
    show = not quiet and setup.is_main
    epoch = progress.start_epoch - 1
    clock = time.perf_counter()
    for epoch in range(progress.start_epoch, setup.opts.epochs + 1):
        if progress.stopped_early:
            break
        started = time.perf_counter()
        train_loss = _run_epoch(net, setup, epoch, out_dir, show)
        row, value = _validation_row(model, setup, epoch, train_loss)
        row["seconds"] = round(time.perf_counter() - started, 3)
        _record_epoch(model, setup, progress, row, value, out_dir)
        elapsed = progress.seconds_before + time.perf_counter() - clock
        _decide_stop(setup, progress, elapsed, time.perf_counter() - started)
        _checkpoint(model, setup, progress, out_dir, epoch, elapsed)
        if show:
            tqdm.write(", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
        if on_epoch_end is not None:
            on_epoch_end(epoch, row)
    seconds = progress.seconds_before + time.perf_counter() - clock
    return _finish(model, setup, progress, out_dir, epoch, seconds)


def _setup(model: nn.Module, train: SeqData, valid: SeqData | None, opts: FitOptions) -> _Setup:
    """Check the data and model, make the validation split and fixed negatives, place the model
    on its device (and process group), choose the monitored metric and validation strands, and
    build the loss, optimizer, scheduler and gradient scaler.

    Raises:
        MotifnetError: bad data, options or model (see :func:`fit`).
    """
    import torch

    from motifnet.strands import check_strands, default_strands, reads_both_strands
    from motifnet.training.devices import autocast_dtype, resolve_device
    from motifnet.training.losses import make_loss

    _check_data("training", train, opts)
    train, valid = _split(train, valid, opts)
    if valid is not None:
        _check_data("validation", valid, opts)
        if (valid.task, valid.target_names, valid.alphabet, valid.folding) != (
                train.task, train.target_names, train.alphabet, train.folding):
            raise MotifnetError("validation data differ from the training data in task, targets, alphabet or structure")
    _check_labels_present(train, opts)
    if opts.negatives:
        from motifnet.negatives import positives_of

        train = positives_of(train)
    valid = _prepare_valid(valid, opts)

    device = resolve_device(opts.device)
    distributed.init_from_env(device.type)
    device = distributed.local_device(device)
    rank, world_size = distributed.rank_and_size()
    amp_dtype = autocast_dtype(device, opts.amp)
    model.to(device)
    _check_model(model, train, device)

    monitor = _choose_monitor(train, valid, opts)
    higher_is_better = monitor != "loss"
    strands = opts.valid_strands if opts.valid_strands != "auto" else default_strands(train.alphabet, opts.augment)
    check_strands(strands, ("forward", "both"), train.alphabet)
    if train.alphabet == "RNA" and reads_both_strands(model):
        raise MotifnetError("the model reads both strands itself (strands: both), but RNA has one strand; "
                            "build it with strands=forward")
    optimizer = _make_optimizer(model, opts)
    return _Setup(
        opts=opts, train=train, valid=valid, device=device, rank=rank, world_size=world_size, amp_dtype=amp_dtype,
        monitor=monitor, higher_is_better=higher_is_better, strands=strands,
        loss_fn=make_loss(train.task, train.n_targets, opts.class_weights, opts.regression_loss, device),
        optimizer=optimizer, scheduler=_make_scheduler(optimizer, opts, higher_is_better),
        scaler=torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16),
    )


def _choose_monitor(train: SeqData, valid: SeqData | None, opts: FitOptions) -> str:
    """The monitored metric: ``opts.monitor`` or the task's default; loss without validation.

    Raises:
        MotifnetError: a metric the task does not have, or single-class validation data for AUROC.
    """
    monitor = default_monitor(train.task) if opts.monitor == "auto" else opts.monitor
    if valid is None:
        monitor = "loss"
    if monitor == "accuracy" and train.task != "multiclass":
        raise MotifnetError("monitor 'accuracy' needs multiclass data")
    if monitor in ("auroc", "auprc") and train.task == "regression":
        raise MotifnetError(f"monitor {monitor!r} needs classification data")
    if monitor in ("auroc", "auprc"):
        _check_valid_classes(valid)
    return monitor


def _run_config(model: nn.Module, setup: _Setup, run_info: dict | None) -> dict:
    """config.json of the run folder: the model, data description and training options."""
    from motifnet import runs

    train = setup.train
    return {
        "format": runs.RUN_FORMAT,
        "version": runs.RUN_VERSION,
        "model": getattr(model, "config", None),
        "task": train.task,
        "target_names": train.target_names,
        "alphabet": train.alphabet,
        "folding": train.folding,
        "input_length": train.length,
        "training": setup.opts.to_dict(),
        "seed": setup.opts.seed,
        **(run_info or {}),
    }


def _open_run(model: nn.Module, setup: _Setup, out_dir: Path | None, resume: bool, overwrite: bool,
              run_info: dict | None) -> _Progress:
    """Prepare the run folder (write config.json) and, with ``resume``, load the model, optimizer,
    scheduler and progress of its last completed epoch.

    Raises:
        MotifnetError: resume without ``out_dir`` or with changed settings, nothing to resume, an
            unwritable or occupied folder.
    """
    from motifnet import runs
    from motifnet.training.checkpoint import load_training_state

    if resume and out_dir is None:
        raise MotifnetError("resume needs out_dir (the run folder to continue)")
    progress = _Progress()
    if out_dir is None:
        return progress
    config = _run_config(model, setup, run_info)
    if setup.is_main:
        runs.prepare_run_dir(out_dir, resume=resume, overwrite=overwrite)
    distributed.barrier()
    if resume:
        saved = runs.read_config(out_dir)
        ignore = ("epochs", "device", "max_seconds")
        old = {k: v for k, v in saved.get("training", {}).items() if k not in ignore}
        new = {k: v for k, v in runs.json_safe(setup.opts.to_dict()).items() if k not in ignore}
        if old != new or saved.get("model") != runs.json_safe(config["model"]):
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)) or ["model"]
            raise MotifnetError(f"cannot resume with different settings ({', '.join(changed)})", path=out_dir)
        state = load_training_state(out_dir, model, setup.optimizer, setup.scheduler, setup.device)
        progress = _Progress(
            history=state["history"],
            best_metric=float("nan") if state["best_metric"] is None else state["best_metric"],
            best_epoch=state["best_epoch"], bad_epochs=state["bad_epochs"], start_epoch=state["epoch"] + 1,
            seconds_before=state["seconds"], stopped_early=state.get("stopped_early", False),
        )
    if setup.is_main:  # on resume: the same settings, possibly more epochs
        runs.write_json(out_dir / runs.CONFIG_FILE, config)
    return progress


def _run_epoch(net: nn.Module, setup: _Setup, epoch: int, out_dir: Path | None, show: bool) -> float:
    """One training epoch on this rank's shard (fresh negatives of the epoch, if any); the mean loss.

    Raises:
        MotifnetError: the loss became NaN or infinite (the last good checkpoint is kept).
    """
    opts = setup.opts
    epoch_data = setup.train
    if opts.negatives:
        from motifnet.negatives import with_negatives

        epoch_data = with_negatives(setup.train, seed=epoch_seed(opts.seed, epoch, 1), method=opts.negatives)
    rows = distributed.shard(len(epoch_data), setup.rank, setup.world_size, epoch_seed(opts.seed, epoch, 5))
    try:
        return _train_epoch(net, epoch_data, rows, epoch, opts, setup.loss_fn, setup.optimizer, setup.scaler,
                            setup.amp_dtype, setup.device, show=show)
    except NonFiniteLoss as where:
        kept = f"; the last good checkpoint (epoch {epoch - 1}) is kept in {out_dir}" if out_dir and epoch > 1 else ""
        raise NonFiniteLossError(
            f"the training loss became NaN or infinite at {where}{kept}; "
            "try a smaller lr, grad_clip, or check the targets"
        ) from None


def _validation_row(model: nn.Module, setup: _Setup, epoch: int, train_loss: float) -> tuple[dict, float]:
    """The epoch's history row (epoch, train_loss, valid_loss, valid_<monitor>, valid_accuracy
    for multiclass, lr) and the monitored value (the training loss without validation)."""
    row: dict = {"epoch": epoch, "train_loss": train_loss}
    valid, monitor = setup.valid, setup.monitor
    if valid is not None:
        valid_loss, valid_metrics = _validate(model, setup.loss_fn, valid, setup.opts, setup.strands, setup.amp_dtype)
        row["valid_loss"] = valid_loss
        if monitor != "loss":
            row[f"valid_{monitor}"] = _monitored(valid_metrics, monitor)
        if valid.task == "multiclass" and monitor != "accuracy":  # always shown in curves and reports
            row["valid_accuracy"] = _monitored(valid_metrics, "accuracy")
        value = _monitored(valid_metrics, monitor)
    else:
        value = row["train_loss"]
    row["lr"] = setup.optimizer.param_groups[0]["lr"]
    return row, value


def _record_epoch(model: nn.Module, setup: _Setup, progress: _Progress, row: dict, value: float,
                  out_dir: Path | None) -> None:
    """Append ``row`` to the history, step the scheduler, and keep the weights (in memory and as
    model.safetensors) when ``value`` improves on the best, else count a bad epoch."""
    from motifnet import runs

    progress.history.append(row)
    scheduler = setup.scheduler
    if scheduler is not None:
        scheduler.step(value) if setup.opts.schedule == "plateau" else scheduler.step()
    if _is_better(value, progress.best_metric, setup.higher_is_better):
        progress.best_metric, progress.best_epoch, progress.bad_epochs = value, row["epoch"], 0
        progress.best_state = copy.deepcopy(model.state_dict())
        if out_dir is not None and setup.is_main:
            runs.save_weights(progress.best_state, out_dir / runs.BEST_WEIGHTS)
    else:
        progress.bad_epochs += 1


def _decide_stop(setup: _Setup, progress: _Progress, elapsed: float, epoch_seconds: float) -> None:
    """Early stopping: ``patience`` epochs without improvement, or a next epoch as long as this
    one would end past ``max_seconds``; agreed between ranks."""
    opts = setup.opts
    if setup.valid is not None and opts.patience is not None and progress.bad_epochs >= opts.patience:
        progress.stopped_early = True
    if opts.max_seconds is not None and elapsed + epoch_seconds > opts.max_seconds:
        progress.stopped_early = True
    if setup.world_size > 1:
        progress.stopped_early = distributed.any_rank(progress.stopped_early, setup.device)  # time limits differ


def _checkpoint(model: nn.Module, setup: _Setup, progress: _Progress, out_dir: Path | None, epoch: int,
                elapsed: float) -> None:
    """The training state after ``epoch`` (last weights, optimizer, scheduler, progress) and
    history.csv, on the main rank of a run with a folder."""
    from motifnet import runs
    from motifnet.training.checkpoint import save_training_state

    if out_dir is None or not setup.is_main:
        return
    save_training_state(out_dir, model, setup.optimizer, setup.scheduler, progress.state(epoch, elapsed))
    runs.write_history(out_dir / runs.HISTORY_FILE, progress.history)


def _finish(model: nn.Module, setup: _Setup, progress: _Progress, out_dir: Path | None, epoch: int,
            seconds: float) -> FitResult:
    """Load the best weights into ``model`` (eval mode), validate it once more, write metrics.json."""
    from motifnet import runs

    if progress.best_state is not None:
        model.load_state_dict(progress.best_state)
    elif progress.best_epoch and out_dir is not None:  # resumed: the best epoch may predate this call
        model.load_state_dict(runs.load_weights(out_dir / runs.BEST_WEIGHTS, device=setup.device))
    model.eval()
    metrics: dict = {}
    if setup.valid is not None:
        _, metrics = _validate(model, setup.loss_fn, setup.valid, setup.opts, setup.strands, setup.amp_dtype)
    result = FitResult(progress.history, progress.best_epoch, progress.best_metric, setup.monitor, out_dir, metrics,
                       seconds, progress.stopped_early)
    if out_dir is not None and setup.is_main:
        runs.write_json(
            out_dir / runs.METRICS_FILE,
            {"best_epoch": progress.best_epoch, "monitor": setup.monitor, "best_metric": progress.best_metric,
             "epochs_run": epoch, "stopped_early": progress.stopped_early, "train_seconds": round(seconds, 3),
             "valid": metrics},
        )
    distributed.barrier()
    return result
