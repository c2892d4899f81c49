"""Experiment files: YAML loading, ``--set`` overrides, ``${name}`` templates and sweeps.

An experiment file has these top-level keys (only ``data`` and ``models`` are required)::

    name: classroom                 # used in the report title and folder names
    title: ...                      # one line; description: a paragraph for the report
    seed: 0                         # default seed for simulation, splits and training
    seeds: [0, 1, 2]                # optional: replicate every arm once per seed (data and
                                    #   training re-seeded; the report shows mean +- sd)
    params: {data_dir: ../shared}   # free values, referenced as ${data_dir} anywhere below
    sweep:                          # optional: repeat the experiment over values of one variable
      name: length                  #   referenced as ${sweep} (or ${length}) anywhere below
      label: Sequence length (bp)   #   axis label in the report
      values: [50, 100, 200, 500]
    data: {...}                     # see motifnet.experiments.pipeline.make_data
    train: {epochs: 10, ...}        # defaults for every model (motifnet.training.fit options)
    models:                         # one entry per model
      - label: LSTM                 #   the name shown in tables (unique)
        name: lstm                  #   motifnet.models registry name
        preset: null                #   named configuration (e.g. classroom, cnn-25)
        params: {hidden: 64}        #   model parameters
        train: {epochs: 20}         #   overrides of the train defaults
        data: {params: {task: x}}   #   overrides of the data section (its params merged)
    evaluate: {}                    # options of the evaluation step
    interpret: {...}                # options of the interpretation step (false to skip)
    report: {...}                   # primary metric, comparisons to state in the conclusions

A string that is exactly ``${name}`` is replaced by the value itself (keeping its type); inside
a longer string it is formatted in. ``--set a.b.c=value`` parses ``value`` as YAML and sets it
at the dotted path; list items are addressed by index or, for models, by label
(``--set models.LSTM.train.epochs=2``).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from motifnet.errors import MotifnetError
from motifnet.experiments.steps import slug

TOP_LEVEL_KEYS = {
    "name", "title", "description", "seed", "seeds", "params", "sweep", "data", "train", "models",
    "evaluate", "interpret", "report",
}
MODEL_KEYS = {"label", "name", "preset", "params", "train", "interpret", "sweep_values", "data"}
_TEMPLATE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Arm:
    """One model trained on one data set: an experiment expands to one arm per model (per sweep value).

    Attributes:
        label: the model's label in tables.
        sweep_value: the sweep value of this arm (None without a sweep).
        data: the resolved data configuration.
        model: ``{"name", "preset", "params"}`` resolved.
        train: training options (the experiment's defaults updated by the model's own).
        interpret: interpretation options (False to skip).
        replicate: the seed of this replicate when the experiment lists ``seeds`` (else None).
    """

    label: str
    sweep_value: Any
    data: dict
    model: dict
    train: dict
    interpret: Any
    replicate: int | None = None

    @property
    def name(self) -> str:
        """A unique name, e.g. ``LSTM``, ``LSTM@500`` or, with replicate seeds, ``LSTM@500#seed1``."""
        name = self.label if self.sweep_value is None else f"{self.label}@{self.sweep_value}"
        return name if self.replicate is None else f"{name}#seed{self.replicate}"


@dataclass
class Experiment:
    """A loaded, validated experiment (see the module docstring for the file format).

    Attributes:
        raw: the configuration after overrides (templates not yet resolved).
        path: the file it came from (None when built from a dict).
    """

    raw: dict
    path: Path | None = None

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or (self.path.stem if self.path else "experiment"))

    @property
    def title(self) -> str:
        return str(self.raw.get("title") or self.name)

    @property
    def description(self) -> str:
        return str(self.raw.get("description") or "").strip()

    @property
    def seed(self) -> int:
        return int(self.raw.get("seed", 0))

    @property
    def seeds(self) -> list[int | None]:
        """The replicate seeds (``[None]``: one run with :attr:`seed`)."""
        seeds = self.raw.get("seeds")
        return [int(s) for s in seeds] if seeds else [None]

    @property
    def sweep(self) -> dict | None:
        return self.raw.get("sweep")

    @property
    def sweep_values(self) -> list:
        return list(self.sweep["values"]) if self.sweep else [None]

    def section(self, key: str, sweep_value: Any = None, seed: int | None = None) -> Any:
        """A top-level section with templates resolved (``{}`` if absent)."""
        return self.resolve(self.raw.get(key, {}), sweep_value, seed)

    def resolve(self, value: Any, sweep_value: Any = None, seed: int | None = None) -> Any:
        """``value`` with every ``${name}`` template replaced (params, seed and the sweep value);
        ``seed`` (a replicate's) replaces the experiment's ``seed``.

        Raises:
            MotifnetError: a template names something undefined.
        """
        names = {"seed": self.seed if seed is None else seed, **(self.raw.get("params") or {})}
        if self.sweep:
            names["sweep"] = sweep_value
            names[str(self.sweep.get("name", "sweep"))] = sweep_value
        return _substitute(value, names, self.path)

    def data_config(self, sweep_value: Any = None, seed: int | None = None, overrides: dict | None = None) -> dict:
        """The resolved data section for one sweep value and replicate (the seed filled in if
        absent; a replicate's seed always replaces it), with a model's ``overrides`` on top
        (their ``params`` merged into the section's)."""
        data = dict(self.section("data", sweep_value, seed))
        if overrides:
            overrides = self.resolve(overrides, sweep_value, seed)
            params = {**(data.get("params") or {}), **(overrides.get("params") or {})}
            data.update(overrides)
            if params:
                data["params"] = params
        if seed is not None:
            data["seed"] = seed
        data.setdefault("seed", self.seed)
        return data

    def arms(self) -> list[Arm]:
        """Every (model, sweep value, replicate seed) triple, in file order, seeds innermost."""
        defaults_train = self.raw.get("train") or {}
        defaults_interpret = self.raw.get("interpret", {})
        arms = []
        for entry in self.raw["models"]:
            values = self.sweep_values
            if self.sweep and entry.get("sweep_values") is not None:
                values = [v for v in values if v in entry["sweep_values"]]
            for value in values:
                for seed in self.seeds:
                    train = {"seed": self.seed, **defaults_train, **(entry.get("train") or {})}
                    if seed is not None:
                        train["seed"] = seed
                    interpret = entry.get("interpret", defaults_interpret)
                    if isinstance(interpret, dict) and isinstance(defaults_interpret, dict):
                        interpret = {**defaults_interpret, **interpret}
                    model = {"name": entry["name"], "preset": entry.get("preset"), "params": entry.get("params") or {}}
                    arms.append(
                        Arm(
                            label=str(entry["label"]),
                            sweep_value=value,
                            data=self.data_config(value, seed, entry.get("data")),
                            model=self.resolve(model, value, seed),
                            train=self.resolve(train, value, seed),
                            interpret=self.resolve(interpret, value, seed),
                            replicate=seed,
                        )
                    )
        return arms


def load_experiment(path: str | Path, overrides: Sequence[str] = ()) -> Experiment:
    """Read and validate an experiment file, applying ``key=value`` overrides.

    Raises:
        MotifnetError: the file is missing or not YAML, an override is malformed, or the
            experiment is invalid (unknown keys, no models, duplicate labels, ...).
    """
    import yaml

    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise MotifnetError("no such experiment file", path=path) from None
    except OSError as error:
        raise MotifnetError(f"cannot read: {error.strerror or error}", path=path) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise MotifnetError(f"not valid YAML: {getattr(error, 'problem', error)}", path=path, line=line) from None
    return experiment_from_dict(raw, overrides, path)


def experiment_from_dict(raw: Any, overrides: Sequence[str] = (), path: Path | None = None) -> Experiment:
    """Validate an experiment given as a dict (a deep copy is kept), applying overrides.

    Raises:
        MotifnetError: as :func:`load_experiment`.
    """
    if not isinstance(raw, dict):
        raise MotifnetError("an experiment file must be a YAML mapping (key: value lines)", path=path)
    raw = copy.deepcopy(raw)
    for override in overrides:
        apply_override(raw, override, path)
    _validate(raw, path)
    return Experiment(raw, path)


def apply_override(raw: dict, override: str, path: Path | None = None) -> None:
    """Set ``raw[a][b][c] = value`` for ``override`` = ``'a.b.c=value'`` (value parsed as YAML).

    Raises:
        MotifnetError: no '=' or an empty key, or a path through something that is not a
            mapping or list, or a list index/label that does not exist.
    """
    import yaml

    key, sep, text = override.partition("=")
    if not sep or not key.strip():
        raise MotifnetError(f"--set expects key=value, got {override!r}")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        value = text
    parts = key.strip().split(".")
    node: Any = raw
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            index = _list_index(node, part)
            if index is None:
                raise MotifnetError(f"--set {key}: no item {part!r} in {'.'.join(parts[:depth]) or 'the list'}", path=path)
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        else:
            raise MotifnetError(f"--set {key}: {where} is inside a value that is not a mapping or list", path=path)


def _list_index(items: list, part: str) -> int | None:
    if part.lstrip("-").isdigit():
        index = int(part)
        return index if -len(items) <= index < len(items) else None
    for index, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("label", item.get("name"))) == part:
            return index
    return None


def _validate(raw: dict, path: Path | None) -> None:
    unknown = sorted(set(raw) - TOP_LEVEL_KEYS)
    if unknown:
        raise MotifnetError(f"unknown key(s) {unknown}; expected some of {sorted(TOP_LEVEL_KEYS)}", path=path)
    if not isinstance(raw.get("data"), dict):
        raise MotifnetError("the experiment needs a 'data' mapping (simulate: PRESET, or path: FILE)", path=path)
    models = raw.get("models")
    if not isinstance(models, list) or not models:
        raise MotifnetError("the experiment needs a non-empty 'models' list", path=path)
    labels = []
    for i, entry in enumerate(models):
        if not isinstance(entry, dict) or "name" not in entry:
            raise MotifnetError(f"models[{i}] must be a mapping with at least 'name' (a model name)", path=path)
        extra = sorted(set(entry) - MODEL_KEYS)
        if extra:
            raise MotifnetError(f"models[{i}]: unknown key(s) {extra}; expected some of {sorted(MODEL_KEYS)}", path=path)
        if entry.get("data") is not None and not isinstance(entry["data"], dict):
            raise MotifnetError(f"models[{i}]: 'data' must be a mapping of overrides of the data section", path=path)
        entry.setdefault("label", entry["name"] if entry.get("preset") is None else f"{entry['name']}-{entry['preset']}")
        labels.append(str(entry["label"]))
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise MotifnetError(f"model labels must be unique; repeated: {duplicates}", path=path)
    _check_folder_names(labels, path)
    sweep = raw.get("sweep")
    if sweep is not None:
        if not isinstance(sweep, dict) or not isinstance(sweep.get("values"), list) or not sweep["values"]:
            raise MotifnetError("'sweep' needs a non-empty 'values' list (and a 'name')", path=path)
        if len({json.dumps(v, default=str) for v in sweep["values"]}) != len(sweep["values"]):
            raise MotifnetError("sweep values must be distinct", path=path)
    seeds = raw.get("seeds")
    if seeds is not None:
        if (not isinstance(seeds, list) or not seeds
                or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)):
            raise MotifnetError(f"'seeds' must be a non-empty list of integers >= 0, got {seeds!r}", path=path)
        if len(set(seeds)) != len(seeds):
            raise MotifnetError(f"'seeds' must be distinct, got {seeds}", path=path)
    if raw.get("params") is not None and not isinstance(raw["params"], dict):
        raise MotifnetError("'params' must be a mapping of names to values", path=path)


def _check_folder_names(labels: list[str], path: Path | None) -> None:
    """Refuse two labels that name the same step folders (:func:`motifnet.experiments.steps.slug`):
    the second model would reuse the first one's steps."""
    seen: dict[str, str] = {}
    for label in labels:
        first = seen.setdefault(slug(label), label)
        if first != label:
            raise MotifnetError(f"model labels {first!r} and {label!r} give the same folder name {slug(label)!r}; "
                                "make them differ in a letter, digit, '.', '_' or '-'", path=path)


def _substitute(value: Any, names: dict, path: Path | None) -> Any:
    if isinstance(value, dict):
        return {key: _substitute(item, names, path) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, names, path) for item in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def lookup(name: str) -> Any:
        if name not in names:
            raise MotifnetError(f"${{{name}}} is not defined (known: {sorted(names)})", path=path)
        return names[name]

    whole = _TEMPLATE.fullmatch(value)
    if whole:
        return lookup(whole.group(1))
    return _TEMPLATE.sub(lambda m: str(lookup(m.group(1))), value)
