"""Outputs published whole: written under a hidden temporary name beside their final path, then
renamed into place, so that nothing half-written is ever seen there.

- :func:`temporary_beside`: the temporary file or folder (``.NAME.xxxx.tmp``, same folder);
- :func:`publish`: give it the permissions a new file or folder gets under the user's umask
  (``mkstemp`` and ``mkdtemp`` make them private) and rename it to the final path;
- :func:`writing_folder`: both around a block that fills a folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from motifnet.errors import MotifnetError


def temporary_beside(path: Path, folder: bool = False) -> Path:
    """A new empty file (or folder) beside ``path`` to write ``path`` into.

    Raises:
        MotifnetError: the folder cannot be created or written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if folder:
            return Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise MotifnetError(f"cannot write: {error.strerror or error}", path=path) from None
    os.close(fd)
    return Path(name)


def default_permissions(tmp: Path) -> None:
    """Set the permissions a new file (0666) or folder (0777) gets, less the umask."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, (0o777 if tmp.is_dir() else 0o666) & ~mask)


def publish(tmp: Path, path: Path) -> None:
    """:func:`default_permissions`, then rename ``tmp`` to ``path`` (replacing a file there)."""
    default_permissions(tmp)
    os.replace(tmp, path)


@contextmanager
def writing_folder(path: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; when the block succeeds, replace any old
    ``path`` by it (:func:`publish`), else remove it.

    Raises:
        MotifnetError: the folder cannot be written (one line, naming ``path``).
    """
    path = Path(path).resolve()
    if path.parent == path:
        raise MotifnetError("cannot write a folder at the file system's root", path=path)
    tmp = temporary_beside(path, folder=True)
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        publish(tmp, path)
    except OSError as error:
        shutil.rmtree(tmp, ignore_errors=True)
        raise MotifnetError(f"cannot write: {error.strerror or error}", path=path) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
