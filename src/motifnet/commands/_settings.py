"""Settings for the train command: ``--config FILE`` and ``--set key=value``, split into model
parameters and training options."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from motifnet.errors import MotifnetError
from motifnet.training.options import TRAINING_KEYS, split_settings  # noqa: F401  (re-exported)


def parse_assignments(assignments: Iterable[str]) -> dict:
    """``["epochs=5", "n_filters=32", "augment=[rc, shift]"]`` -> a dict of YAML-parsed values.

    Raises:
        MotifnetError: an item without ``=``, with an empty key, or a value that is not YAML.
    """
    import yaml

    parsed = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise MotifnetError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            parsed[key.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError as error:
            problem = str(getattr(error, "problem", None) or "not YAML")
            raise MotifnetError(f"--set {key.strip()}: cannot read {value!r} as YAML ({problem}); quote a "
                                f"string: {key.strip()}='\"...\"'") from None
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
