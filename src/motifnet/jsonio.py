"""JSON files: written atomically with NaN as null, read with one-line errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from motifnet.errors import MotifnetError
from motifnet.io.files import atomic_write


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically (NaN is written as null).

    Raises:
        MotifnetError: the file cannot be written.
    """
    path = Path(path)
    text = json.dumps(json_safe(obj), indent=2, allow_nan=False) + "\n"
    with atomic_write(path) as handle:
        handle.write(text)
    return path


def json_safe(obj: Any) -> Any:
    """Replace NaN/inf floats with None and NumPy scalars/arrays with Python values."""
    if isinstance(obj, Mapping):
        return {str(key): json_safe(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(value) for value in obj]
    if hasattr(obj, "tolist"):  # numpy arrays and scalars, torch tensors
        return json_safe(obj.tolist())
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    return obj


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file.

    Raises:
        MotifnetError: missing, unreadable or not JSON.
    """
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise MotifnetError("no such file", path=path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MotifnetError(f"unreadable JSON ({error})", path=path) from None


__all__ = ["json_safe", "read_json", "write_json"]
