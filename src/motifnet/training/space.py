"""A hyperparameter search space: setting names mapped to numeric ranges or lists of choices.

A space file (YAML or JSON) maps a setting name (a training option of ``fit`` or a parameter of
the model, as ``motifnet train --set`` takes them; ``model.`` / ``training.`` prefixes force
either) to a range or to choices::

    lr: {low: 1e-4, high: 1e-2, log: true}     # float, sampled on a log scale
    dropout: {low: 0.0, high: 0.5}              # float
    epochs: {low: 5, high: 20}                  # integers when low and high are integers
    hidden: {low: 0, high: 64, step: 16}        # 0, 16, 32, 48, 64
    n_filters: [16, 32, 64]                     # choices (numbers, strings, booleans, null)
    optimizer: [adam, sgd]

:func:`parse_space` checks it against the model before anything is trained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from motifnet.errors import MotifnetError
from motifnet.training.options import TRAINING_KEYS, FitOptions

NOT_TUNABLE = ("seed", "device", "max_seconds")
"""Training options a space may not hold: the seed is not a setting to select on, the device
does not change the result, and a time limit would make scores depend on the machine."""

RANGE_KEYS = ("low", "high", "log", "step")


@dataclass(frozen=True)
class Param:
    """One dimension: ``kind`` is ``"int"``, ``"float"`` or ``"choice"``; ``section`` is
    ``"model"`` or ``"training"`` (where the value goes)."""

    name: str
    kind: str
    section: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple = ()

    def to_dict(self) -> Any:
        """The JSON form: ``{"low", "high", "log"[, "step"]}`` or the list of choices."""
        if self.kind == "choice":
            return list(self.choices)
        entry: dict = {"low": self.low, "high": self.high, "log": self.log}
        if self.step is not None:
            entry["step"] = self.step
        return entry

    def largest(self) -> Any:
        """The largest value the dimension can take (None for non-numeric choices)."""
        if self.kind != "choice":
            return self.high
        numbers = [c for c in self.choices if isinstance(c, (int, float)) and not isinstance(c, bool)]
        return max(numbers) if numbers else None


@dataclass(frozen=True)
class SearchSpace:
    """The checked dimensions, in file order."""

    params: tuple[Param, ...]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def to_dict(self) -> dict:
        """``{name: range or choices}``: what a study records to recognise its space."""
        return {p.name: p.to_dict() for p in self.params}

    def get(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def suggest(self, trial) -> dict:
        """Draw one setting from an Optuna trial: ``{name: value}``."""
        values = {}
        for p in self.params:
            if p.kind == "choice":
                values[p.name] = trial.suggest_categorical(p.name, list(p.choices))
            elif p.kind == "int":
                values[p.name] = trial.suggest_int(p.name, int(p.low), int(p.high), step=int(p.step or 1), log=p.log)
            else:
                values[p.name] = trial.suggest_float(p.name, p.low, p.high, step=p.step, log=p.log)
        return values

    def split(self, values: Mapping[str, Any]) -> tuple[dict, dict]:
        """``(model_params, training_options)`` of a drawn setting (prefixes removed)."""
        model: dict = {}
        training: dict = {}
        for p in self.params:
            (model if p.section == "model" else training)[_bare(p.name)] = values[p.name]
        return model, training


def read_space(path: str | Path, model: str, preset: str | None = None) -> SearchSpace:
    """Read and check a space file (YAML or JSON); see :func:`parse_space`.

    Raises:
        MotifnetError: an unreadable file or any mistake :func:`parse_space` finds (naming the file).
    """
    import yaml

    from motifnet.io.files import open_text

    with open_text(path) as handle:
        try:
            mapping = yaml.safe_load(handle)
        except yaml.YAMLError as error:
            raise MotifnetError(f"not valid YAML/JSON ({str(error).splitlines()[0]})", path=path) from None
    return parse_space(mapping, model, preset, path=path)


def parse_space(mapping: Any, model: str, preset: str | None = None, path: str | Path | None = None) -> SearchSpace:
    """Check a space mapping against the training options and the parameters of ``model``.

    Numbers may be written as YAML reads them (``1e-4`` is a string to YAML 1.1: it is read as
    a number). A range is integer when ``low``, ``high`` (and ``step``) are integers.

    Raises:
        MotifnetError: not a mapping or empty; an unknown setting (the message lists the known
            ones) or one that may not be tuned; a range with a missing, unknown or non-numeric
            key, ``low >= high`` (an empty range), ``log`` with ``low <= 0`` or with ``step``;
            an empty or repeated list of choices, or a choice that is not a scalar; a training
            option value that ``fit`` would refuse.
    """
    from motifnet.models import resolve_params

    if not isinstance(mapping, dict) or not mapping:
        raise MotifnetError("a search space must be a non-empty mapping of setting names to "
                            "{low, high[, log, step]} or to a list of choices", path=path)
    model_names = set(resolve_params(model, preset)[1])
    params = []
    for name, spec in mapping.items():
        name = str(name)
        section = _section(name, model, model_names, path)
        param = _choices(name, section, spec, path) if isinstance(spec, list) else _range(name, section, spec, path)
        if section == "training":
            _check_training_values(param, path)
        params.append(param)
    bare = [_bare(p.name) for p in params]
    repeated = sorted({b for b in bare if bare.count(b) > 1})
    if repeated:
        raise MotifnetError(f"the space names {repeated[0]!r} twice (with and without a prefix)", path=path)
    return SearchSpace(tuple(params))


def _bare(name: str) -> str:
    for prefix in ("model.", "training."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _section(name: str, model: str, model_names: set[str], path) -> str:
    """``"model"`` or ``"training"`` for a setting name, as ``motifnet train --set`` reads it."""
    bare = _bare(name)
    if name.startswith("training.") or (not name.startswith("model.") and bare in TRAINING_KEYS):
        if bare not in TRAINING_KEYS:
            raise MotifnetError(f"unknown training option {bare!r} in the space; expected one of "
                                f"{sorted(TRAINING_KEYS - set(NOT_TUNABLE))}", path=path)
        if bare in NOT_TUNABLE:
            raise MotifnetError(f"{bare!r} cannot be tuned (give it with --set); tunable training options: "
                                f"{sorted(TRAINING_KEYS - set(NOT_TUNABLE))}", path=path)
        return "training"
    if bare not in model_names:
        raise MotifnetError(
            f"unknown parameter {bare!r} in the space; expected a parameter of model {model!r} "
            f"({', '.join(sorted(model_names))}) or a training option ({', '.join(sorted(TRAINING_KEYS - set(NOT_TUNABLE)))})",
            path=path)
    return "model"


def _number(value: Any, what: str, path) -> int | float:
    """An int or float (a numeric string too: YAML 1.1 reads ``1e-4`` as one)."""
    if isinstance(value, bool):
        raise MotifnetError(f"{what} must be a number, got {value!r}", path=path)
    if isinstance(value, (int, float)):
        number = value
    else:
        try:
            number = int(str(value))
        except ValueError:
            try:
                number = float(str(value))
            except ValueError:
                raise MotifnetError(f"{what} must be a number, got {value!r}", path=path) from None
    if not math.isfinite(number):
        raise MotifnetError(f"{what} must be finite, got {value!r}", path=path)
    return number


def _range(name: str, section: str, spec: Any, path) -> Param:
    if not isinstance(spec, dict):
        raise MotifnetError(f"{name}: expected {{low, high[, log, step]}} or a list of choices, got {spec!r}",
                            path=path)
    unknown = sorted(set(map(str, spec)) - set(RANGE_KEYS))
    if unknown:
        raise MotifnetError(f"{name}: unknown range key(s) {unknown}; expected low, high, log, step", path=path)
    missing = [key for key in ("low", "high") if key not in spec]
    if missing:
        raise MotifnetError(f"{name}: a range needs low and high (missing {', '.join(missing)})", path=path)
    low = _number(spec["low"], f"{name}: low", path)
    high = _number(spec["high"], f"{name}: high", path)
    step = None if spec.get("step") is None else _number(spec["step"], f"{name}: step", path)
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise MotifnetError(f"{name}: log must be true or false, got {log!r}", path=path)
    if not low < high:
        raise MotifnetError(f"{name}: empty range (low {low} >= high {high})", path=path)
    if log and low <= 0:
        raise MotifnetError(f"{name}: a log range needs low > 0, got {low}", path=path)
    if step is not None and (step <= 0 or log):
        raise MotifnetError(f"{name}: step must be > 0 and cannot be combined with log", path=path)
    integer = all(isinstance(v, int) for v in (low, high) + (() if step is None else (step,)))
    if integer:
        return Param(name, "int", section, int(low), int(high), log, None if step is None else int(step))
    return Param(name, "float", section, float(low), float(high), log, None if step is None else float(step))


def _choices(name: str, section: str, spec: list, path) -> Param:
    if not spec:
        raise MotifnetError(f"{name}: empty list of choices", path=path)
    for choice in spec:
        if choice is not None and not isinstance(choice, (bool, int, float, str)):
            raise MotifnetError(f"{name}: a choice must be a number, string, boolean or null, got {choice!r}",
                                path=path)
    if len({repr(c) for c in spec}) != len(spec):
        raise MotifnetError(f"{name}: a choice is listed twice in {spec}", path=path)
    return Param(name, "choice", section, choices=tuple(spec))


def _check_training_values(param: Param, path) -> None:
    """Every choice, and both ends of a range, must be a value ``fit`` accepts."""
    values = param.choices if param.kind == "choice" else (param.low, param.high)
    for value in values:
        try:
            FitOptions.from_dict({_bare(param.name): value})
        except MotifnetError as error:
            raise MotifnetError(f"{param.name}: {error.message}", path=path) from None
        except TypeError:
            raise MotifnetError(f"{param.name}: {value!r} is not a value of this training option", path=path) from None


__all__ = ["NOT_TUNABLE", "Param", "SearchSpace", "parse_space", "read_space"]
