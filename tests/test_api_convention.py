"""The API convention of docs/api.md: the same defaults for batch_size, device, quiet and seed
in every public function, and --threads on every command that runs a model."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import motifnet
from motifnet.cli import build_parser
from motifnet.devices import DEFAULT_BATCH_SIZE

# Documented exceptions (docs/api.md, "Where a default differs").
EXCEPTIONS = {
    ("motifnet.data", "batches", "batch_size"),  # training batches: the batch size changes results
    ("motifnet.experiments.pipeline", "run_experiment", "quiet"),  # the library form of `motifnet run`
}
EXPECTED = {"batch_size": DEFAULT_BATCH_SIZE, "device": None, "quiet": True, "seed": 0}


def _public_functions():
    for info in pkgutil.walk_packages(motifnet.__path__, "motifnet."):
        if ".commands" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, function in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(function) and function.__module__ == module.__name__:
                yield module.__name__, name, function


def test_public_functions_share_the_defaults():
    wrong = []
    for module, name, function in _public_functions():
        for argument, parameter in inspect.signature(function).parameters.items():
            if argument not in EXPECTED or parameter.default is inspect.Parameter.empty:
                continue
            if parameter.default != EXPECTED[argument] and (module, name, argument) not in EXCEPTIONS:
                wrong.append(f"{module}.{name}({argument}={parameter.default!r})")
    assert wrong == []


def test_models_are_typed_without_importing_torch():
    from motifnet.interpret.pipeline import interpret
    from motifnet.predict import forward_batches, predict
    from motifnet.scan.windows import scan_records
    from motifnet.training.fit import fit

    for function in (forward_batches, predict, fit, interpret):
        assert function.__annotations__["model"] == "nn.Module"
    assert scan_records.__annotations__["model"] == "nn.Module | ScanPlan"  # a scan also reads a saved plan


@pytest.mark.parametrize("command", ["train", "tune", "evaluate", "predict", "scan", "variants", "interpret", "run",
                                     "demo"])
def test_every_command_that_runs_a_model_takes_threads(command):
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    options = {o for action in subparsers.choices[command]._actions for o in action.option_strings}
    assert "--threads" in options
    if command in ("evaluate", "predict", "scan", "variants", "interpret"):
        assert {"--batch-size", "--device"} <= options
        batch = next(a for a in subparsers.choices[command]._actions if "--batch-size" in a.option_strings)
        assert batch.default == DEFAULT_BATCH_SIZE


@pytest.mark.parametrize("command", ["train", "tune", "evaluate", "predict", "scan", "variants", "interpret", "run",
                                     "demo"])
def test_commands_that_train_default_to_one_thread_so_results_do_not_depend_on_the_load(command):
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    threads = next(a for a in subparsers.choices[command]._actions if "--threads" in a.option_strings)
    assert threads.default == ("1" if command in ("train", "tune", "run", "demo") else "auto")
