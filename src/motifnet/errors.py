"""The one error type for user mistakes: bad files, bad parameters, mismatched inputs."""

from __future__ import annotations

from os import PathLike


class MotifnetError(ValueError):
    """A user-facing error. The CLI prints it on one line and exits with status 2.

    Args:
        message: what was wrong and what was expected.
        path: the file concerned, if any.
        line: the 1-based line number in that file, if known.
        record: the record (sequence id, row, interval) concerned, if known.
    """

    def __init__(
        self,
        message: str,
        path: str | PathLike | None = None,
        line: int | None = None,
        record: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.record = record
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path if self.line is None else f"{self.path}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.record is not None:
            where.append(f"record {self.record!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message
