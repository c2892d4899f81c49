"""Settings for the train command: ``--config FILE`` and ``--set key=value``, split into model
parameters and training options."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Iterable

from motifnet.errors import MotifnetError
from motifnet.training.options import FitOptions

TRAINING_KEYS = frozenset(f.name for f in fields(FitOptions))


def parse_assignments(assignments: Iterable[str]) -> dict:
    """``["epochs=5", "n_filters=32", "augment=[rc, shift]"]`` -> a dict of YAML-parsed values.

    Raises:
        MotifnetError: an item without ``=`` or with an empty key.
    """
    import yaml

    parsed = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise MotifnetError(f"--set expects key=value, got {item!r}")
        try:
            parsed[key.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            parsed[key.strip()] = value
    return parsed


def read_settings_file(path: str | Path) -> dict:
    """A YAML or JSON mapping, flat or with ``model:`` / ``training:`` sections.

    Raises:
        MotifnetError: missing, unreadable, or not a mapping.
    """
    import yaml

    from motifnet.io.files import open_text

    with open_text(path) as handle:
        try:
            settings = yaml.safe_load(handle)
        except yaml.YAMLError as error:
            raise MotifnetError(f"not valid YAML/JSON ({str(error).splitlines()[0]})", path=path) from None
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise MotifnetError("expected a mapping of settings", path=path)
    return settings


def split_settings(settings: dict) -> tuple[dict, dict]:
    """``(model_params, training_options)``: ``model.``/``training.`` prefixes and sections are
    honoured; other keys are training options if :class:`FitOptions` knows them, else model
    parameters (checked later by the model registry)."""
    model: dict = {}
    training: dict = {}
    for key, value in settings.items():
        if key in ("model", "training") and isinstance(value, dict):
            (model if key == "model" else training).update(value)
        elif key.startswith("model."):
            model[key[len("model."):]] = value
        elif key.startswith("training."):
            training[key[len("training."):]] = value
        elif key in TRAINING_KEYS:
            training[key] = value
        else:
            model[key] = value
    return model, training
