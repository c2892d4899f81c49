"""Seconds to the same validation AUROC: motifnet's ``fit`` beside a PyTorch Lightning ``Trainer``.

One ENCODE ChIP-seq experiment (``EXPERIMENT`` from ../shared/data/deepbind_encode): its AC peaks
plus one fixed set of dinucleotide-shuffled negatives, split once 90/10 (stratified, seed 0) into
training and validation data that both engines see. Per model (DeepBind preset ``encode``; DanQ
preset ``classroom``), both engines start from copies of one initial model and train it with Adam
(same lr), batch 128, BCE with logits, a fixed number of epochs (no early stopping), one torch
thread, validation AUROC after every epoch:

- motifnet: ``motifnet.training.fit(model, train, valid, ...)`` (token batches one-hot encoded a
  whole batch at a time);
- Lightning: what a Lightning user writes: a ``LightningModule`` around the same model
  (``self.log`` of the training loss, ``torchmetrics`` ``BinaryAUROC`` on validation), the
  sequences one-hot encoded once into a float32 ``TensorDataset``, ``DataLoader`` (shuffled,
  default collation, no workers), ``Trainer(accelerator="cpu", devices=1, ...)`` with checkpoints,
  logger, progress bar and model summary off, otherwise its defaults (so 2 sanity-check
  validation batches).

Clocks (wall and process CPU) start when an engine is called (Lightning: before the one-hot
encoding of its tensors) and are read when each epoch's validation AUROC is known. The target
AUROC is the best validation AUROC of the engine whose best is lower; each row gives the seconds
each engine took to first reach it (ratio > 1: motifnet got there faster). Engines alternate in
order over the repeats; times are medians over repeats. CPU seconds (one thread) are the
load-robust cross-check of the wall seconds on a shared machine. Finally a near-zero model (one
linear layer) measures each engine's own cost per step: where Lightning's time goes.
"""

from __future__ import annotations

import copy
import logging
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import DATA_DIR, row  # noqa: E402

EXPERIMENT = "CTCFL_K562_CTCFL_(SC-98982)_HudsonAlpha"
ENCODE_DIR = DATA_DIR / "deepbind_encode"
BATCH_SIZE = 128
VALID_BATCH_SIZE = 512
"""Validation batch of both engines (what ``fit`` uses for a training batch of 128)."""
MODELS = [  # (row label, build arguments, lr, epochs)
    ("DeepBind (encode: 128 x 24 filters, max+avg pool, hidden 32)",
     {"name": "deepbind", "preset": "encode"}, 3e-3, 5),
    ("DanQ (classroom: conv 96 x 19, pool 10, BiLSTM 48, max over positions, dense 64)",
     {"name": "danq", "preset": "classroom"}, 3e-3, 4),
]
REPEAT = 3
QUICK = {"n": 1024, "epochs": 2, "repeat": 1}
WARMUP = 1024
"""Training sequences of the untimed one-epoch warm-up of each engine and model."""


def encode_data(quick: bool):
    """``(train, valid, source)``: the experiment's peaks with one shuffled negative each, split 90/10;
    in quick mode (or without the data) a small synthetic set with a planted motif."""
    from motifnet.data import random_split

    path = ENCODE_DIR / f"{EXPERIMENT}_AC.seq.gz"
    if path.exists() and not quick:
        from motifnet.io import read_data
        from motifnet.negatives import with_negatives

        data = with_negatives(read_data(path), seed=0)
        source = f"{EXPERIMENT} AC peaks + dinucleotide-shuffled negatives"
    else:
        data = synthetic(QUICK["n"])
        source = "synthetic: random 101 bp, CACGTG planted in the positives (quick mode or data absent)"
    keep, held = random_split(data, (0.9, 0.1), seed=0)
    return data.subset(keep), data.subset(held), source


def synthetic(n: int, length: int = 101, seed: int = 0):
    """``n`` random sequences, half of them positives holding CACGTG at a random position."""
    from motifnet.data import SeqData

    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    strings = []
    for label in labels:
        letters = rng.choice(list("ACGT"), length)
        if label:
            start = rng.integers(0, length - 6)
            letters[start:start + 6] = list("CACGTG")
        strings.append("".join(letters))
    return SeqData.from_strings(strings, labels, "binary")


def loader(data, batch_size: int, shuffle: bool, seed: int = 0):
    """A ``DataLoader`` over a ``TensorDataset`` of one-hot float32 ``[N, 4, L]`` inputs and float32
    ``[N, 1]`` targets (default collation, no workers)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from motifnet.sequence import one_hot

    dataset = TensorDataset(one_hot(data.tokens), torch.from_numpy(np.asarray(data.targets, dtype=np.float32)))
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


class Clock:
    """Wall and process CPU seconds since creation, and one training run's per-epoch marks."""

    def __init__(self) -> None:
        self.start, self.cpu_start = time.perf_counter(), time.process_time()
        self.marks: dict[str, list[float]] = {"wall": [], "cpu": [], "auroc": []}

    def now(self) -> float:
        return time.perf_counter() - self.start

    def mark(self, auroc: float) -> None:
        """An epoch's validation AUROC is known."""
        self.marks["wall"].append(self.now())
        self.marks["cpu"].append(time.process_time() - self.cpu_start)
        self.marks["auroc"].append(float(auroc))

    def result(self, **extra) -> dict:
        """The marks, ``epoch_s`` (wall per epoch) and ``total_s`` (wall so far)."""
        epoch_s = np.diff([0.0] + self.marks["wall"]).tolist()
        return {**self.marks, "epoch_s": epoch_s, "total_s": self.now(), **extra}


# ---------------------------------------------------------------------------------------------
# The two engines


def motifnet_run(model, train, valid, epochs: int, lr: float) -> dict:
    """Train with ``fit``; returns :meth:`Clock.result`."""
    from motifnet.training import fit

    clock = Clock()
    fit(model, train, valid, epochs=epochs, batch_size=BATCH_SIZE, lr=lr, optimizer="adam", patience=None, seed=0,
        device="cpu", quiet=True, on_epoch_end=lambda epoch, history_row: clock.mark(history_row["valid_auroc"]))
    return clock.result()


def lightning_run(model, train, valid, epochs: int, lr: float) -> dict:
    """Train with a Lightning ``Trainer``; returns :meth:`Clock.result` plus ``train_s`` /
    ``valid_s`` (the two parts of each epoch) and ``threads`` (torch threads inside the Trainer)."""
    import lightning.pytorch as pl
    import torch
    from lightning.fabric.utilities.warnings import PossibleUserWarning
    from torchmetrics.classification import BinaryAUROC

    phases: dict = {"train_s": [], "valid_s": []}

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = model
            self.loss_fn = torch.nn.BCEWithLogitsLoss()
            self.auroc = BinaryAUROC()

        def forward(self, x):
            return self.model(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = self.loss_fn(self(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.auroc.update(torch.sigmoid(self(x))[:, 0], y[:, 0].long())

        def on_validation_epoch_end(self):
            auroc = self.auroc.compute()
            self.auroc.reset()
            self.log("val_auroc", auroc)
            if not self.trainer.sanity_checking:
                clock.mark(auroc)
                phases["valid_s"].append(clock.now() - phases["valid_start"])

        def on_validation_epoch_start(self):
            phases["valid_start"] = clock.now()
            if not self.trainer.sanity_checking:
                phases["train_s"].append(phases["valid_start"] - phases["train_start"])

        def on_train_epoch_start(self):
            phases["train_start"] = clock.now()
            phases["threads"] = torch.get_num_threads()

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=lr)

    clock = Clock()
    pl.seed_everything(0, verbose=False)
    train_loader = loader(train, BATCH_SIZE, shuffle=True)
    valid_loader = loader(valid, VALID_BATCH_SIZE, shuffle=False)
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=epochs, enable_checkpointing=False, logger=False,
                         enable_progress_bar=False, enable_model_summary=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PossibleUserWarning)  # "no workers", "few batches" in quick mode
        warnings.filterwarnings("ignore", ".*LeafSpec.*")  # Lightning's pytree use, deprecated in torch
        trainer.fit(Module(), train_loader, valid_loader)
    return clock.result(train_s=phases["train_s"], valid_s=phases["valid_s"], threads=phases["threads"])


# ---------------------------------------------------------------------------------------------
# Where the time goes: each engine's own cost per step, with a near-zero model


def plain_epoch_seconds(model, train, lr: float) -> float:
    """One training epoch of the usual ``zero_grad / loss / backward / step`` loop over the same
    ``DataLoader`` the Trainer reads (no Trainer)."""
    import torch

    batches = loader(train, BATCH_SIZE, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    start = time.perf_counter()
    for x, y in batches:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return time.perf_counter() - start


def pass_seconds(batches) -> float:
    """Seconds to iterate over ``batches`` doing nothing."""
    start = time.perf_counter()
    for _ in batches:
        pass
    return time.perf_counter() - start


def step_costs(train, valid, repeat: int, with_lightning: bool) -> dict:
    """Milliseconds per training step with a near-zero model (one linear layer on the flattened
    one-hot input), so that what is left is each engine's own cost per step: ``fit`` (its whole
    epoch, validation included), a plain loop over the ``DataLoader``, the Lightning Trainer (its
    training part), and bare passes over each engine's batches; medians, engines round-robin."""
    import torch

    from motifnet.data import batches

    torch.manual_seed(0)
    base = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * train.length, 1))
    steps = -(-len(train) // BATCH_SIZE)
    fns = {
        "step_ms_motifnet_fit": lambda: statistics.median(
            motifnet_run(copy.deepcopy(base), train, valid, 2, 1e-3)["epoch_s"]),
        "step_ms_plain_loop": lambda: plain_epoch_seconds(copy.deepcopy(base), train, 1e-3),
        "batch_ms_motifnet_batches": lambda: pass_seconds(batches(train, BATCH_SIZE, shuffle=True)),
        "batch_ms_dataloader": lambda: pass_seconds(loader(train, BATCH_SIZE, shuffle=True)),
    }
    if with_lightning:
        fns["step_ms_lightning_trainer"] = lambda: statistics.median(
            lightning_run(copy.deepcopy(base), train, valid, 2, 1e-3)["train_s"])
    seconds: dict[str, list[float]] = {name: [] for name in fns}
    for r in range(repeat + 1):  # the first round is a warm-up
        for name, fn in fns.items():
            value = fn()
            if r:
                seconds[name].append(value)
    return {name: statistics.median(values) / steps * 1e3 for name, values in seconds.items()}


def import_seconds(module: str) -> float:
    """Seconds to import ``module`` in a fresh interpreter after ``torch`` is already imported."""
    code = f"import time, torch; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.split()[-1])


# ---------------------------------------------------------------------------------------------


def to_target(runs: list[dict], target: float) -> dict:
    """The first epoch whose (median) validation AUROC reaches ``target``, and the median wall
    and CPU seconds to the end of it; Nones if no epoch does."""
    curve = [statistics.median(values) for values in zip(*(r["auroc"] for r in runs))]
    epoch = next((e for e, auroc in enumerate(curve) if auroc >= target - 1e-12), None)
    if epoch is None:
        return {"epoch": None, "wall": None, "cpu": None}
    return {"epoch": epoch + 1, "wall": statistics.median(r["wall"][epoch] for r in runs),
            "cpu": statistics.median(r["cpu"][epoch] for r in runs)}


def compare(label: str, build_args: dict, lr: float, epochs: int, train, valid, repeat: int,
            with_lightning: bool) -> tuple[dict, dict]:
    """Both engines on one model: its result row and the runs behind it."""
    import torch

    from motifnet.models import build

    torch.manual_seed(0)
    base = build(n_targets=1, input_length=train.length, **build_args)
    engines = {"motifnet": motifnet_run} | ({"lightning": lightning_run} if with_lightning else {})
    sample = train.subset(np.random.default_rng(0).permutation(len(train))[:WARMUP])
    for engine in engines.values():  # warm-up, untimed: first-call costs fall on neither engine's clock
        engine(copy.deepcopy(base), sample, valid, 1, lr)
    runs: dict[str, list[dict]] = {name: [] for name in engines}
    for r in range(repeat):
        for name in (list(engines) if r % 2 == 0 else list(engines)[::-1]):
            runs[name].append(engines[name](copy.deepcopy(base), train, valid, epochs, lr))
    target = min(max(statistics.median(v) for v in zip(*(r["auroc"] for r in results))) for results in runs.values())
    reached = {name: to_target(results, target) for name, results in runs.items()}

    def median(name: str, key: str) -> float:
        values = [v for r in runs[name] for v in (r[key] if isinstance(r[key], list) else [r[key]])]
        return statistics.median(values)

    ours = reached["motifnet"]
    columns = dict(target_auroc=target, epochs_to_target=ours["epoch"], auroc=runs["motifnet"][0]["auroc"][-1],
                   cpu_s=ours["cpu"], epoch_s=median("motifnet", "epoch_s"), total_s=median("motifnet", "total_s"))
    theirs = reached.get("lightning", {"wall": None})
    if with_lightning:
        columns |= dict(ref_epochs_to_target=theirs["epoch"], ref_auroc=runs["lightning"][0]["auroc"][-1],
                        ref_cpu_s=theirs["cpu"],
                        cpu_ratio=theirs["cpu"] / ours["cpu"] if ours["cpu"] and theirs["cpu"] else None,
                        ref_epoch_s=median("lightning", "epoch_s"), ref_train_s=median("lightning", "train_s"),
                        ref_valid_s=median("lightning", "valid_s"), ref_total_s=median("lightning", "total_s"))
    name = f"{label}, {epochs} epochs: seconds to validation AUROC {target:.4f}"
    detail = {"runs": runs, "curves_identical_over_repeats": all(
        len({tuple(r["auroc"]) for r in results}) == 1 for results in runs.values())}
    return row(name, ours["wall"], theirs["wall"], unit="s", higher_is_better=False, **columns), detail


def run(quick: bool = False) -> dict:
    import torch

    from motifnet.devices import set_cpu_threads

    set_cpu_threads(1)
    try:
        import lightning
        import torchmetrics

        reference = f"lightning {lightning.__version__} (torchmetrics {torchmetrics.__version__})"
    except ImportError:
        reference = None
    for name in ("lightning.pytorch", "lightning.fabric"):  # "GPU available: False" and tips
        logging.getLogger(name).setLevel(logging.WARNING)
    train, valid, source = encode_data(quick)
    repeat = QUICK["repeat"] if quick else REPEAT
    rows, details = [], {}
    for label, build_args, lr, epochs in MODELS:
        result, detail = compare(label, build_args, lr, QUICK["epochs"] if quick else epochs, train, valid, repeat,
                                 with_lightning=reference is not None)
        rows.append(result)
        details[build_args["name"]] = detail
    summary = {"torch_threads": torch.get_num_threads(), "auroc_curves_identical_over_repeats": all(
        d["curves_identical_over_repeats"] for d in details.values())}
    if reference:
        summary |= {"torch_threads_in_trainer": details["deepbind"]["runs"]["lightning"][0]["threads"],
                    "import_lightning_s": import_seconds("lightning")}
    summary |= step_costs(train, valid, repeat + 1, with_lightning=reference is not None)
    return {"title": "Training to the same validation AUROC: motifnet fit vs PyTorch Lightning Trainer",
            "rows": rows, "notes": notes(source, train, valid, repeat, reference, rows, summary, details),
            "summary": summary, "details": details}


def notes(source: str, train, valid, repeat: int, reference: str | None, rows: list[dict], summary: dict,
          details: dict) -> str:
    """The notes under the table, with what the per-step costs say about the ratios."""
    steps = -(-len(train) // BATCH_SIZE)
    waits: dict[str, list[float]] = {}
    for detail in details.values():
        for engine, runs in detail["runs"].items():
            waits.setdefault(engine, []).extend(r["wall"][-1] / r["cpu"][-1] for r in runs)
    text = (
        f"Data: {source}; {len(train):,} training / {len(valid):,} validation sequences of {train.length} bp "
        f"(one split for both engines). Batch {BATCH_SIZE} (validation {VALID_BATCH_SIZE}), Adam (fit: torch's fused "
        "kernel; the LightningModule: torch.optim.Adam as written, same lr), BCE with logits, "
        "no early stopping, copies of one initial model, 1 torch thread. value = motifnet fit, ref = "
        f"{reference or 'Lightning, not installed (pip install lightning -c <(echo torch==2.13.0))'}: wall seconds "
        "from the call until the epoch whose validation AUROC first reaches the target (the lower of the two "
        f"engines' best AUROCs); cpu_s / ref_cpu_s: the same in process CPU seconds (cpu_ratio: their ratio, less "
        f"sensitive to other load); median of {repeat} run(s) per engine, engines alternating, after one untimed "
        f"epoch of each on {WARMUP:,} sequences. epoch_s: training + validation per epoch; ref_train_s / "
        "ref_valid_s: Lightning's training and validation parts of an epoch; total_s: the whole call (Lightning: "
        "one-hot TensorDataset, Trainer, 2 sanity-check batches, epochs; fit: setup, epochs, a final validation of "
        "the best weights). import_lightning_s: `import lightning` in a fresh interpreter after torch. "
        f"step_ms_* / batch_ms_* (summary): per step of {steps} with a near-zero model (one linear layer), i.e. "
        "each engine's own cost: fit's whole epoch (validation included), a plain zero_grad/backward/step loop over "
        "the same DataLoader, the Trainer's training part; bare passes over the DataLoader and over motifnet's "
        "batches (no model). Wall / CPU seconds of the timed runs: "
        + ", ".join(f"{engine} {min(w):.2f} to {max(w):.2f}" for engine, w in waits.items())
        + " (above 1: waiting for a core taken by other work)."
    )
    if reference:
        extra = summary["step_ms_lightning_trainer"] - summary["step_ms_motifnet_fit"]
        shares = ", ".join(f"{r['name'].split(' (')[0]} {r['epoch_s'] / steps * 1e3:.0f} ms "
                           f"({extra / (r['epoch_s'] / steps * 1e3):.0%})" for r in rows)
        text += (
            f" Lightning costs {extra:.2f} ms per step more than fit: "
            f"{summary['step_ms_lightning_trainer'] - summary['step_ms_plain_loop']:.2f} ms of Trainer over the plain "
            f"loop, {summary['batch_ms_dataloader'] - summary['batch_ms_motifnet_batches']:.2f} ms of DataLoader "
            "(per-item indexing and default collation) over motifnet's batches, against a whole step of "
            f"{shares}; the rest of the gap is per call (tensors, Trainer, sanity check) and per validation."
        )
    return text


if __name__ == "__main__":
    import json

    print(json.dumps(run("--quick" in sys.argv), indent=2))
