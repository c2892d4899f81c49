"""The experiment pipeline: data -> train -> evaluate -> interpret -> report, as resumable steps.

Output folder layout (``DIR`` = ``motifnet run ... --out DIR``)::

    DIR/experiment.json              the resolved experiment (after --set)
    DIR/data/<dataset>/              train/ valid/ test/ stores, summary.json
    DIR/train/<arm>/                 run/ (motifnet run folder: config, weights, history), train.json
    DIR/evaluate/<arm>/              scores.npy (test predictions [N, T]), metrics.json
    DIR/interpret/<arm>/             the files of motifnet interpret (interpret.json lists the figures)
    DIR/report/                      report.html (self-contained), results.json, results.md

Every step folder ends with ``DONE.json`` (see :mod:`motifnet.experiments.steps`).
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from motifnet.errors import MotifnetError
from motifnet.experiments.config import Arm, Experiment
from motifnet.experiments.steps import Step, StepRunner, slug
from motifnet.io.files import atomic_write

GRADIENT_BATCH = 256


@dataclass
class ExperimentResult:
    """What :func:`run_experiment` did.

    Attributes:
        out: the output folder; report: the HTML report.
        events: ``(step id, 'ran' | 'skipped', seconds)`` per step.
        seconds: wall time of this call.
    """

    out: Path
    report: Path
    events: list[tuple[str, str, float]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ran(self) -> list[str]:
        """Ids of the steps that ran (were not skipped)."""
        return [step for step, what, _ in self.events if what == "ran"]


def write_json(path: Path, obj: Any) -> None:
    """Indented JSON, atomically (NaN written as null)."""
    from motifnet.runs import write_json as runs_write_json

    runs_write_json(path, obj)


def read_json(path: Path) -> Any:
    from motifnet.runs import read_json as runs_read_json

    return runs_read_json(path)


def run_experiment(
    experiment: Experiment,
    out: str | Path,
    quiet: bool = False,
    log: Callable[[str], None] | None = print,
    jobs: int = 1,
) -> ExperimentResult:
    """Run (or resume) every step of ``experiment`` into ``out``.

    Args:
        experiment: from :func:`motifnet.experiments.load_experiment`.
        out: the output folder (created if needed; finished steps in it are reused).
        quiet: no progress bars (step lines still go to ``log``); always with ``jobs > 1``.
        log: called with one line per step; None for silence.
        jobs: steps run side by side, each in its own process (:meth:`StepRunner.run_all`);
            the outputs are the same for any ``jobs``.

    Returns:
        An :class:`ExperimentResult` with the report path and what ran.

    Raises:
        MotifnetError: invalid configuration, unreadable data, an unwritable folder.
    """
    start = time.perf_counter()
    out = Path(out)
    quiet = quiet or jobs > 1  # progress bars of parallel steps would interleave
    runner = StepRunner(out, log, before_step=_keep_threads())
    base = experiment.path.parent if experiment.path else None
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "experiment.json", experiment.raw)
    except OSError as error:
        raise MotifnetError(f"cannot write: {error.strerror or error}", path=out) from None

    arms = experiment.arms()
    shared_data = len({json.dumps(arm.data, sort_keys=True, default=str) for arm in arms}) == 1
    data_steps: dict[str, Step] = {}
    arm_steps: list[tuple[Arm, Step, Step, Step | None]] = []
    for arm in arms:
        data_key = json.dumps(arm.data, sort_keys=True, default=str)
        if data_key not in data_steps:
            name = "main" if shared_data and arm.replicate is None else data_step_name(experiment, arm)
            if any(step.name == name for step in data_steps.values()):
                name = f"{slug(arm.label)}_{name}"
            data_steps[data_key] = Step("data", name, arm.data, _data_work(arm.data, base, quiet))
        data_step = data_steps[data_key]
        train_step = Step("train", arm.name, {"model": arm.model, "train": arm.train}, _train_work(arm, data_step, quiet), [data_step])
        evaluate_step = Step("evaluate", arm.name, experiment.section("evaluate", arm.sweep_value),
                             _evaluate_work(arm, data_step, train_step, experiment.section("evaluate", arm.sweep_value)),
                             [data_step, train_step])
        interpret_step = None
        if arm.interpret:
            options = arm.interpret if isinstance(arm.interpret, dict) else {}
            interpret_step = Step("interpret", arm.name, options,
                                  _interpret_work(arm, options, data_step, train_step, quiet), [data_step, train_step])
        arm_steps.append((arm, train_step, evaluate_step, interpret_step))

    report_depends = [s for _, t, e, i in arm_steps for s in (t, e, i) if s is not None]
    report_config = {"report": experiment.raw.get("report", {}), "title": experiment.title,
                     "description": experiment.description, "sweep": experiment.sweep, "version": REPORT_VERSION}
    report_step = Step("report", "", report_config, _report_work(experiment, arm_steps, data_steps, runner), report_depends)
    runner.run_all([report_step], jobs)
    return ExperimentResult(out, runner.folder(report_step) / "report.html", runner.events, time.perf_counter() - start)


REPORT_VERSION = 2


def _keep_threads() -> Callable[[], int]:
    """Sets the CPU threads of the experiment's start again (:func:`motifnet.devices.set_cpu_threads`):
    each step trains on the threads asked for, whatever the steps before it did."""
    import torch

    from motifnet.devices import set_cpu_threads

    threads = torch.get_num_threads()
    return lambda: set_cpu_threads(threads)


def data_step_name(experiment: Experiment, arm: Arm) -> str:
    """The data folder of an arm when arms differ in data: sweep value, then replicate seed."""
    parts = [] if arm.sweep_value is None else [f"{experiment.sweep.get('name', 'sweep')}-{arm.sweep_value}"]
    if arm.replicate is not None:
        parts.append(f"seed{arm.replicate}")
    return "_".join(parts) or "main"


# ---------------------------------------------------------------------------------------------
# Step bodies


def _data_work(config: dict, base: Path | None, quiet: bool):
    def work(folder: Path, inputs: dict[str, Path]) -> dict:
        from motifnet.experiments.datasets import make_data

        summary = make_data(config, folder, base=base, quiet=quiet)
        return {split: info["n"] for split, info in summary["splits"].items()}

    return work


def load_split(data_dir: Path, name: str):
    """One split store of a data step folder, in memory."""
    from motifnet.data import load

    return load(data_dir / name, mmap=False)


def _train_work(arm: Arm, data_step: Step, quiet: bool):
    def work(folder: Path, inputs: dict[str, Path]) -> dict:
        import torch

        from motifnet.models import build
        from motifnet.training import fit

        data_dir = inputs[data_step.id]
        train, valid = load_split(data_dir, "train"), load_split(data_dir, "valid")
        seed = int(arm.train.get("seed", 0))
        torch.manual_seed(seed)
        params = dict(arm.model.get("params") or {})
        model = build(arm.model["name"], train.n_targets, train.length, arm.model.get("preset"), train.channels,
                      **params)
        rows = np.random.default_rng(seed).choice(len(train), min(GRADIENT_BATCH, len(train)), replace=False)
        probe = train.subset(np.sort(rows))
        gradient_norms = [{"epoch": 0, "first_layer_grad_norm": first_layer_gradient_norm(model, probe, seed)}]

        def on_epoch_end(epoch: int, row: dict) -> None:
            gradient_norms.append({"epoch": epoch, "first_layer_grad_norm": first_layer_gradient_norm(model, probe, seed)})

        result = fit(model, train, valid, out_dir=folder / "run", quiet=quiet, on_epoch_end=on_epoch_end,
                     run_info={"experiment_arm": arm.name}, **arm.train)
        info = {
            "label": arm.label,
            "sweep_value": arm.sweep_value,
            "model": getattr(model, "config", arm.model),
            "n_parameters": int(sum(p.numel() for p in model.parameters())),
            "train_seconds": round(result.seconds, 3),
            "epochs_run": len(result.history),
            "best_epoch": result.best_epoch,
            "monitor": result.monitor,
            "best_valid": result.best_metric,
            "stopped_early": result.stopped_early,
            "gradient_norms": gradient_norms,
        }
        write_json(folder / "train.json", info)
        return {"train_seconds": info["train_seconds"], "best_valid": result.best_metric}

    return work


def first_layer_parameter(model):
    """The weight of the model's first layer: the first parameter with 2+ dimensions in
    registration order (the first convolution, or the RNN's input weights)."""
    for parameter in model.parameters():
        if parameter.ndim >= 2:
            return parameter
    raise MotifnetError("the model has no weight matrix")


def first_layer_gradient_norm(model, data, seed: int = 0) -> float:
    """L2 norm of the loss gradient reaching the first layer's weights, on ``data`` (one batch),
    computed on a copy of ``model`` in training mode (the model itself is untouched)."""
    import torch

    from motifnet.data import batches
    from motifnet.devices import model_device
    from motifnet.training.losses import make_loss

    probe = copy.deepcopy(model)
    probe.train()
    probe.zero_grad(set_to_none=True)
    device = model_device(probe)
    x, y = next(batches(data, len(data), device=device))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        loss = make_loss(data.task, data.n_targets, device=device)(probe(x).float(), y)
        loss.backward()
    grad = first_layer_parameter(probe).grad
    return float(grad.norm()) if grad is not None else float("nan")


def _evaluate_work(arm: Arm, data_step: Step, train_step: Step, options: dict):
    def work(folder: Path, inputs: dict[str, Path]) -> dict:
        from motifnet.metrics import evaluate
        from motifnet.predict import DEFAULT_BATCH_SIZE, predict
        from motifnet.runs import load_run
        from motifnet.strands import default_strands

        test = load_split(inputs[data_step.id], "test")
        run = load_run(inputs[train_step.id] / "run")
        strands = options.get("strands", default_strands(test.alphabet, arm.train.get("augment")))
        started = time.perf_counter()
        scores = predict(run.model, test, strands=strands,
                         batch_size=int(options.get("batch_size", DEFAULT_BATCH_SIZE)))
        seconds = time.perf_counter() - started
        metrics = evaluate(test.task, test.targets, scores, test.target_names)
        if test.task == "binary":
            metrics["accuracy"] = float(((scores[:, 0] > 0.5) == (test.targets[:, 0] > 0.5)).mean())
        metrics["predict_seconds"] = round(seconds, 3)
        with atomic_write(folder / "scores.npy", "wb") as handle:
            np.save(handle, scores.astype(np.float32), allow_pickle=False)
        write_json(folder / "metrics.json", metrics)
        return headline(metrics)

    return work


def headline(metrics: dict) -> dict:
    """Accuracy (if any), macro AUROC and AUPRC of an evaluation."""
    out = {}
    if "accuracy" in metrics:
        out["accuracy"] = metrics["accuracy"]
    for key in ("auroc", "auprc"):
        if key in metrics.get("macro", {}):
            out[key] = metrics["macro"][key]
    return out


def _interpret_work(arm: Arm, options: dict, data_step: Step, train_step: Step, quiet: bool):
    def work(folder: Path, inputs: dict[str, Path]) -> dict:
        from motifnet.experiments.interpretation import interpret_arm

        return interpret_arm(inputs[train_step.id] / "run", inputs[data_step.id], options, folder, quiet=quiet)

    return work


def _report_work(experiment: Experiment, arm_steps, data_steps: dict[str, Step], runner: StepRunner):
    def work(folder: Path, inputs: dict[str, Path]) -> dict:
        from motifnet.report.experiment import ArmResult, build_report

        arms = []
        for arm, train_step, evaluate_step, interpret_step in arm_steps:
            data_step = train_step.depends[0]
            arms.append(
                ArmResult.load(
                    arm=arm,
                    data_dir=runner.folder(data_step),
                    train_dir=runner.folder(train_step),
                    evaluate_dir=runner.folder(evaluate_step),
                    interpret_dir=runner.folder(interpret_step) if interpret_step is not None else None,
                )
            )
        summaries = {step.name: read_json(runner.folder(step) / "summary.json") for step in data_steps.values()}
        return build_report(experiment, arms, summaries, folder)

    return work


def arm_folder_name(arm: Arm) -> str:
    """The folder name of an arm's steps."""
    return slug(arm.name)
