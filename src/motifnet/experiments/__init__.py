"""YAML experiments: simulate or load data -> train models -> evaluate -> interpret -> report.

    >>> from motifnet.experiments import load_experiment, run_experiment
    >>> experiment = load_experiment("examples/classroom.yaml", overrides=["train.epochs=2"])
    >>> result = run_experiment(experiment, "runs/classroom")
    >>> result.report          # runs/classroom/report/report.html

- :mod:`.config`: the file format, ``--set`` overrides, templates and sweeps;
- :mod:`.steps`: resumable steps (a completion marker per step folder);
- :mod:`.datasets`, :mod:`.interpretation`: the data and interpretation steps;
- :mod:`.pipeline`: the steps wired together (:func:`run_experiment`);
- :func:`example_path`: the experiment files shipped in ``examples/``.
"""

from __future__ import annotations

from pathlib import Path

from motifnet.errors import MotifnetError
from motifnet.experiments.config import Arm, Experiment, experiment_from_dict, load_experiment
from motifnet.experiments.pipeline import ExperimentResult, run_experiment

__all__ = [
    "Arm", "Experiment", "ExperimentResult", "example_path", "experiment_from_dict", "load_experiment",
    "run_experiment",
]


def example_path(name: str = "classroom") -> Path:
    """The shipped experiment file ``examples/<name>.yaml``: package data (``motifnet/examples``;
    the repository's ``examples/`` links there), so it is found in any kind of install.

    Raises:
        MotifnetError: not found.
    """
    filename = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    candidate = Path(__file__).resolve().parent.parent / "examples" / filename
    if candidate.is_file():
        return candidate
    shipped = sorted(path.stem for path in candidate.parent.glob("*.yaml"))
    raise MotifnetError(f"no shipped experiment {filename!r}; shipped: {', '.join(shipped)}")
