"""Opening inputs (plain or gzip, detected by content) and writing outputs atomically."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import zlib
from pathlib import Path
from typing import IO, Iterator

from motifnet.atomic import publish, temporary_beside
from motifnet.errors import MotifnetError

GZIP_MAGIC = b"\x1f\x8b"


def is_gzipped(path: str | os.PathLike) -> bool:
    """Whether the file starts with the gzip magic bytes."""
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


@contextlib.contextmanager
def open_text(path: str | os.PathLike) -> Iterator[IO[str]]:
    """Open a text file for reading, gunzipping it if it is gzip (by content, not by name).

    Read errors inside the ``with`` block (a truncated or corrupt gzip stream, bytes that are
    not text) become a MotifnetError naming the file.

    Raises:
        MotifnetError: the file is missing, a folder, unreadable, corrupt or not text.
    """
    path = Path(path)
    try:
        raw = gzip.open(path, "rb") if is_gzipped(path) else open(path, "rb")
    except FileNotFoundError:
        raise MotifnetError("no such file", path=path) from None
    except IsADirectoryError:
        raise MotifnetError("is a folder, expected a file", path=path) from None
    except OSError as error:
        raise MotifnetError(f"cannot read: {error.strerror or error}", path=path) from None
    try:
        with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline=None) as text:  # drops a BOM
            yield text
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise MotifnetError(f"corrupt or truncated gzip file ({error})", path=path) from None
    except UnicodeDecodeError:
        raise MotifnetError("not a text file (bytes that are not UTF-8)", path=path) from None


def numbered_lines(handle: IO[str], path: str | os.PathLike, start: int = 1) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` from an :func:`open_text` handle.

    A truncated or corrupt gzip stream, or bytes that are not UTF-8, raise a MotifnetError
    naming the file and the line where reading failed.
    """
    number = start - 1
    try:
        for number, line in enumerate(handle, start=start):
            yield number, line
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise MotifnetError(f"corrupt or truncated gzip file ({error})", path=path, line=number + 1) from None
    except UnicodeDecodeError:
        raise MotifnetError("not a text file (bytes that are not UTF-8)", path=path, line=number + 1) from None


def read_blocks(handle: IO[str], path: str | os.PathLike, size: int = 1 << 18) -> Iterator[str]:
    """Yield the text of an :func:`open_text` handle in blocks of about ``size`` characters.

    Raises:
        MotifnetError: a truncated or corrupt gzip stream, or bytes that are not UTF-8.
    """
    lines = 0
    while True:
        try:
            block = handle.read(size)
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise MotifnetError(f"corrupt or truncated gzip file ({error})", path=path, line=lines + 1) from None
        except UnicodeDecodeError:
            raise MotifnetError("not a text file (bytes that are not UTF-8)", path=path, line=lines + 1) from None
        if not block:
            return
        lines += block.count("\n")
        yield block


def whole_line_blocks(
    handle: IO[str], path: str | os.PathLike, start: int = 1, size: int = 1 << 18
) -> Iterator[tuple[int, str]]:
    """Yield ``(number_of_first_line, text)``: blocks of about ``size`` characters made of whole
    lines (each block but perhaps the last ends with a newline).

    Raises:
        MotifnetError: a truncated or corrupt gzip stream, or bytes that are not UTF-8.
    """
    rest = ""
    line = start
    for block in read_blocks(handle, path, size):
        text = rest + block
        cut = text.rfind("\n") + 1
        if cut == 0:
            rest = text
            continue
        text, rest = text[:cut], text[cut:]
        yield line, text
        line += text.count("\n")
    if rest:
        yield line, rest


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", compress: bool | None = None) -> Iterator[IO]:
    """Write a file under a temporary name beside it and rename it into place on success.

    If the block raises, the temporary file is removed and ``path`` is untouched, so no
    half-written output is ever left. ``compress`` (default: ``path`` ends in .gz) gzips text.

    Raises:
        MotifnetError: the folder cannot be created or written (full disk, no permission).
    """
    path = Path(path)
    compress = path.suffix == ".gz" if compress is None else compress
    tmp = temporary_beside(path)
    try:
        with open(tmp, "wb") as raw:
            stream = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if compress else raw
            handle = stream if "b" in mode else io.TextIOWrapper(stream, encoding="utf-8")
            yield handle
            handle.close()  # flushes the text layer and writes the gzip trailer
        publish(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise MotifnetError(f"cannot write: {error.strerror or error}", path=path) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
