"""The model zoo: a registry of named architectures with named configurations (presets).

    >>> from motifnet.models import build, available
    >>> model = build("deepbind", n_targets=1, input_length=101, preset="encode")
    >>> model(x)            # x: one-hot float [B, 4, 101] -> logits [B, 1]

Every model takes one-hot ``[B, 4, L]`` and returns logits ``[B, T]`` (no sigmoid/softmax) and
carries ``model.config``, a JSON-serialisable dict ``{"name", "preset", "n_targets",
"input_length", "params"}`` with every resolved parameter, so that
``build_from_config(model.config)`` rebuilds the same architecture. A model built with
``in_channels=4 + S`` reads S more channels after the bases (RNA structure,
:mod:`motifnet.rna_structure`), on one strand; its config then records ``in_channels``.

Parameters resolve in this order: the family's defaults (its constructor signature), then the
preset (``preset=None`` takes the family's default preset, e.g. ``"paper"``), then ``**params``.
"""

from __future__ import annotations

import copy
import numbers
import inspect
import json
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from motifnet.errors import MotifnetError
from motifnet.sequence import with_reverse_complement

__all__ = [
    "ModelSpec",
    "ReverseComplement",
    "available",
    "build",
    "build_from_config",
    "first_conv",
    "get_spec",
    "has_affine_stem",
    "register",
]


@dataclass
class ModelSpec:
    """A registered family: its constructor, presets and the default preset.

    ``presets`` maps a name to ``{"params": {...}, "input_length": L, "n_targets": T, "doc": str}``
    (``input_length`` / ``n_targets``: what the configuration was designed for; used by
    ``motifnet describe`` and the benchmarks when the user gives none).
    """

    name: str
    factory: Callable[..., nn.Module]
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_preset: str | None = None
    fixed: dict[str, Any] = field(default_factory=dict)
    doc: str = ""
    input_length: int = 101
    n_targets: int = 1

    def defaults(self) -> dict[str, Any]:
        """The constructor's keyword defaults (minus ``n_targets``, ``input_length`` and fixed ones)."""
        signature = inspect.signature(self.factory)
        return {
            key: copy.deepcopy(p.default)
            for key, p in signature.parameters.items()
            if key not in ("self", "n_targets", "input_length", "in_channels") and key not in self.fixed
            and p.default is not inspect.Parameter.empty
        }

    def design(self, preset: str | None) -> tuple[int, int]:
        """``(input_length, n_targets)`` the preset (or family) was designed for."""
        info = self.presets.get(preset or self.default_preset or "", {})
        return int(info.get("input_length", self.input_length)), int(info.get("n_targets", self.n_targets))


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add a family to the registry (a later registration of the same name replaces it)."""
    _REGISTRY[spec.name] = spec
    return spec


def get_spec(name: str) -> ModelSpec:
    """The registered family ``name``; raise MotifnetError listing the valid names otherwise."""
    if name not in _REGISTRY:
        raise MotifnetError(f"unknown model {name!r}; expected one of {sorted(_REGISTRY)}")
    return _REGISTRY[name]


def available() -> dict[str, list[str]]:
    """Model name -> its preset names (sorted by model name)."""
    return {name: list(_REGISTRY[name].presets) for name in sorted(_REGISTRY)}


def _jsonable(value: Any) -> Any:
    """Tuples to lists (recursively), then check the value survives a JSON round trip."""
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def resolve_params(name: str, preset: str | None = None, **params: Any) -> tuple[str | None, dict[str, Any]]:
    """``(preset name, resolved params)`` for a family: defaults <- preset <- ``params``.

    Raises:
        MotifnetError: an unknown model, preset or parameter (the message lists the valid ones), or
            text or a boolean for a numeric parameter.
    """
    spec = get_spec(name)
    preset = preset if preset is not None else spec.default_preset
    resolved = spec.defaults()
    if preset is not None:
        if preset not in spec.presets:
            raise MotifnetError(f"unknown preset {preset!r} for model {name!r}; expected one of {list(spec.presets)}")
        resolved.update(copy.deepcopy(spec.presets[preset].get("params", {})))
    unknown = sorted(set(params) - set(resolved))
    if unknown:
        raise MotifnetError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for model {name!r}; "
            f"expected some of {sorted(resolved)}"
        )
    for key, value in params.items():
        if _is_number(resolved[key]) and isinstance(value, (str, bool)):
            raise MotifnetError(f"parameter {key!r} of model {name!r} takes a number (default {resolved[key]!r}), "
                                f"got {value!r}")
    resolved.update(params)
    return preset, _jsonable(resolved)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def build(name: str, n_targets: int, input_length: int, preset: str | None = None, in_channels: int = 4,
          **params: Any) -> nn.Module:
    """Build a registered model: one-hot ``[B, in_channels, input_length]`` -> logits ``[B, n_targets]``.

    Args:
        name: a family from :func:`available` (``deepbind``, ``danq``, ``cnn``, ...).
        n_targets: number of outputs T (classes for multiclass).
        input_length: sequence length L the model is built for (fixes dense layer sizes).
        preset: a named configuration of the family (default: the family's default preset).
        in_channels: 4 bases, plus any structure channels (such a model reads one strand).
        **params: overrides of individual parameters.

    Returns:
        The module, with ``model.config`` set (see the module docstring).

    Raises:
        MotifnetError: unknown model, preset or parameter; bad values; an input too short.
    """
    spec = get_spec(name)
    if int(n_targets) < 1 or int(input_length) < 1:
        raise MotifnetError(f"n_targets and input_length must be >= 1, got {n_targets} and {input_length}")
    preset, resolved = resolve_params(name, preset, **params)
    if int(in_channels) < 4:
        raise MotifnetError(f"in_channels must be >= 4 (the bases), got {in_channels}")
    if int(in_channels) > 4 and resolved.get("strands") == "both":
        raise MotifnetError("a model reading structure channels reads one strand: strands must be 'forward'")
    try:
        model = spec.factory(int(n_targets), int(input_length), **resolved, **spec.fixed, in_channels=int(in_channels))
    except (TypeError, ValueError, RuntimeError) as error:
        if isinstance(error, MotifnetError):
            raise
        raise MotifnetError(f"cannot build {name!r} with {resolved}: {error}") from error
    config = {
        "name": name,
        "preset": preset,
        "n_targets": int(n_targets),
        "input_length": int(input_length),
        "params": resolved,
    }
    if int(in_channels) != 4:
        config["in_channels"] = int(in_channels)
    try:
        json.dumps(config)
    except TypeError as error:
        raise MotifnetError(f"model parameters must be JSON values (numbers, strings, lists, dicts): {error}")
    model.config = config
    return model


def build_from_config(config: dict[str, Any]) -> nn.Module:
    """Rebuild a model from ``model.config`` (or a hand-written dict/YAML mapping with at least
    ``name``, ``n_targets``, ``input_length``; ``preset`` and ``params`` optional). A config
    with ``"reverse_complement": "mean" | "max"`` is wrapped in :class:`ReverseComplement`.

    Raises:
        MotifnetError: a missing key or anything :func:`build` rejects.
    """
    if not isinstance(config, dict):
        raise MotifnetError(f"a model config must be a mapping, got {type(config).__name__}")
    missing = [key for key in ("name", "n_targets", "input_length") if key not in config]
    if missing:
        raise MotifnetError(f"model config lacks {missing}; it has {sorted(config)}")
    unknown = sorted(set(config) - {"name", "preset", "n_targets", "input_length", "in_channels", "params",
                                     "reverse_complement"})
    if unknown:
        raise MotifnetError(
            f"unknown model config key(s) {unknown}; expected name, preset, n_targets, input_length, "
            "in_channels, params, reverse_complement"
        )
    model = build(config["name"], config["n_targets"], config["input_length"], config.get("preset"),
                  config.get("in_channels", 4), **(config.get("params") or {}))
    mode = config.get("reverse_complement")
    return ReverseComplement(model, mode) if mode else model


def first_conv(model: nn.Module) -> nn.Conv1d:
    """The first ``nn.Conv1d`` reading the 4 nucleotide channels (in module registration order,
    which is forward order in this zoo); looks inside :class:`ReverseComplement`.

    Raises:
        MotifnetError: the model has no such convolution (e.g. an RNN without a conv front end).
    """
    for module in model.modules():
        if isinstance(module, nn.Conv1d) and module.in_channels == 4:
            return module
    raise MotifnetError(f"{type(model).__name__} has no convolution reading the 4 nucleotide channels")


def has_affine_stem(model: nn.Module) -> bool:
    """Whether ``model`` has ``affine_stem`` / ``from_affine_stem``, with ``forward(x) ==
    from_affine_stem(affine_stem(x))`` in eval mode and the stem affine: every family of the zoo,
    and :class:`ReverseComplement` around one of them."""
    if isinstance(model, ReverseComplement):
        return has_affine_stem(model.model)
    return callable(getattr(model, "affine_stem", None)) and callable(getattr(model, "from_affine_stem", None))


class ReverseComplement(nn.Module):
    """Score both DNA strands with one model and combine the logits.

    ``forward(x) = combine(model(x), model(rc(x)))`` with ``mode="mean"`` (average of the two
    strands' logits) or ``"max"`` (element-wise maximum); ``rc`` is
    :func:`motifnet.sequence.reverse_complement_one_hot`. Both strands go through the model as one
    batch of ``2B``. The output is the same for a sequence and its reverse complement.
    ``config`` is the wrapped model's config plus ``"reverse_complement": mode``.

    Raises:
        MotifnetError: an unknown mode.
    """

    def __init__(self, model: nn.Module, mode: str = "mean") -> None:
        super().__init__()
        if mode not in ("mean", "max"):
            raise MotifnetError(f"reverse-complement mode must be 'mean' or 'max', got {mode!r}")
        self.model = model
        self.mode = mode
        if hasattr(model, "config"):
            self.config = dict(model.config, reverse_complement=mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 4, L]`` -> ``[B, T]``."""
        return self._combine(self.model(with_reverse_complement(x)))

    def _combine(self, logits: torch.Tensor) -> torch.Tensor:
        """Both strands' logits ``[2B, T]`` (forward strand first) -> ``[B, T]`` by the mode."""
        forward, reverse = logits.chunk(2, dim=0)
        return (forward + reverse) / 2 if self.mode == "mean" else torch.maximum(forward, reverse)

    def affine_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The wrapped model's stem of both strands, stacked along the batch. Defined whatever the
        wrapped model is: ask :func:`has_affine_stem` whether it applies."""
        return self.model.affine_stem(with_reverse_complement(x))

    def from_affine_stem(self, h: torch.Tensor) -> torch.Tensor:
        """The rest of :meth:`forward`, from the output of :meth:`affine_stem` -> ``[B, T]``."""
        return self._combine(self.model.from_affine_stem(h))

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"


def _register_families() -> None:
    from motifnet.models import cnn, danq, deepbind, deepsea, resnet, rnn

    register(ModelSpec("deepbind", deepbind.DeepBind, deepbind.PRESETS, "paper",
                       doc="DeepBind (Alipanahi et al. 2015)", input_length=101, n_targets=1))
    register(ModelSpec("deepsea", deepsea.DeepSEA, deepsea.PRESETS, "paper",
                       doc="DeepSEA (Zhou & Troyanskaya 2015)", input_length=1000, n_targets=919))
    register(ModelSpec("danq", danq.DanQ, danq.PRESETS, "paper",
                       doc="DanQ (Quang & Xie 2016)", input_length=1000, n_targets=919))
    register(ModelSpec("cnn", cnn.CNN, cnn.PRESETS, None,
                       doc="configurable CNN; Koo & Eddy 2019 CNN-k presets", input_length=200, n_targets=12))
    register(ModelSpec("resnet", resnet.ResNet, resnet.PRESETS, None,
                       doc="pre-activation residual CNN (residual=False: plain CNN)", input_length=200, n_targets=12))
    for cell, doc in (("rnn", "simple (Elman) RNN"), ("lstm", "LSTM"), ("gru", "GRU")):
        register(ModelSpec(cell, rnn.RecurrentNet, rnn.PRESETS, None, fixed={"cell": cell},
                           doc=doc, input_length=100, n_targets=11))


_register_families()
