"""Turning parsed records (id, sequence, label strings, annotations) into a :class:`SeqData`.

Readers stream a file and hand each record to a :class:`RecordBuilder`, which encodes the
sequences in chunks (so the strings of a large file are never all held at once), remembers the
line of each record for error messages, and at the end turns the label strings into targets:

- no labels in the file: every record is a positive, task 'binary', targets 1 ``[N, 1]`` named
  'bound' (a FASTA or BED of peaks; give ``label=0`` for a file of negatives). Training then asks
  for negatives (``negatives='dinuc-shuffle'``), as DeepBind did;
- one column of 0/1: 'binary'; several columns of 0/1: 'multilabel';
- one column of integers 0..K-1 with 2 < K <= 20 (and K values present): 'multiclass';
- other numbers: 'regression'; strings only with ``task='multiclass'`` (class names sorted).
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from motifnet.data import TASKS, SeqData
from motifnet.errors import MotifnetError
from motifnet.sequence import N_TOKEN, InvalidSequenceError, check_alphabet, encode_batch

MAX_AUTO_CLASSES = 20
CHUNK = 1 << 16


class RecordBuilder:
    """Collect records of one file and build a SeqData.

    Args:
        path: the file (for error messages).
        label_names: the names of the label columns (empty: no labels, all positives).
        chunk: how many sequences are encoded at a time (default :data:`CHUNK`).
    """

    def __init__(self, path: str | os.PathLike, label_names: Sequence[str] = (), chunk: int | None = None) -> None:
        self.path = str(path)
        self.label_names = list(label_names)
        self.chunk = chunk or CHUNK
        self.ids: list[str] = []
        self.lines: list[int] = []
        self.labels: list[Sequence[str]] = []
        self.annotations: dict[str, list | np.ndarray] = {}
        self._pending: list[str] = []
        self._parts: list[tuple[np.ndarray, np.ndarray]] = []
        self.has_t = self.has_u = False
        self._first: dict[str, int] = {}  # 'T' / 'U' -> index of the first record holding it

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, record_id: str, sequence: str, line: int, labels: Sequence[str] = (), **annotations) -> None:
        """Add one record; ``line`` is its 1-based line in the file, ``labels`` its label strings."""
        self.ids.append(record_id)
        self.lines.append(line)
        if self.label_names:
            self.labels.append(labels)
        for key, value in annotations.items():
            self.annotations.setdefault(key, []).append(value)
        self._pending.append(sequence)
        if len(self._pending) >= self.chunk:
            self._flush()

    def add_many(
        self,
        ids: Sequence[str],
        sequences: Sequence[str],
        lines: Sequence[int],
        labels: Sequence[Sequence[str]] = (),
        annotations: dict[str, Sequence] | None = None,
    ) -> None:
        """Add records column-wise: ``labels`` holds one sequence of strings per label column."""
        self.ids.extend(ids)
        self.lines.extend(lines)
        if self.label_names:
            self.labels.extend(zip(*labels))
        for key, values in (annotations or {}).items():
            self.annotations.setdefault(key, []).extend(values)
        self._pending.extend(sequences)
        if len(self._pending) >= self.chunk:
            self._flush()

    def error(self, index: int, message: str) -> MotifnetError:
        """A MotifnetError about record ``index`` naming the file, its line and its id."""
        return MotifnetError(message, path=self.path, line=self.lines[index], record=self.ids[index])

    def _flush(self) -> None:
        if not self._pending:
            return
        first = len(self.ids) - len(self._pending)
        try:
            tokens, lengths = encode_batch(self._pending)
        except InvalidSequenceError as bad:
            raise self.error(first + bad.index, bad.message) from None
        joined = "".join(self._pending)
        for letter in ("T", "U"):
            if letter not in self._first and (letter in joined or letter.lower() in joined):
                self._first[letter] = first + next(
                    k for k, s in enumerate(self._pending) if letter in s or letter.lower() in s)
        self.has_t, self.has_u = "T" in self._first, "U" in self._first
        self._parts.append((tokens, lengths))
        self._pending = []
        if self.has_t and self.has_u:
            t, u = self._first["T"], self._first["U"]
            raise self.error(max(t, u), f"holds {'U' if u > t else 'T'}, but record {self.ids[min(t, u)]!r} "
                             f"(line {self.lines[min(t, u)]}) holds {'T' if u > t else 'U'}: a file is DNA (T) "
                             "or RNA (U), not both")

    def letters(self) -> tuple[bool, bool]:
        """Whether any sequence so far holds a U, and whether any holds a T (either case)."""
        self._flush()
        return self.has_u, self.has_t

    def tokens(self) -> tuple[np.ndarray, np.ndarray]:
        """All tokens ``[N, L]`` padded with N and true lengths ``[N]``."""
        self._flush()
        if len(self._parts) == 1:
            return self._parts[0]
        width = max((t.shape[1] for t, _ in self._parts), default=0)
        tokens = np.full((len(self.ids), width), N_TOKEN, dtype=np.uint8)
        row = 0
        for part, _ in self._parts:
            tokens[row : row + len(part), : part.shape[1]] = part
            row += len(part)
        lengths = np.concatenate([l for _, l in self._parts]) if self._parts else np.zeros(0, np.int64)
        return tokens, lengths

    def build(self, task: str | None = None, alphabet: str | None = None, label: float | str | None = None) -> SeqData:
        """Build the SeqData (see the module docstring for how the task is chosen).

        Args:
            task: force a task (one of :data:`motifnet.data.TASKS`).
            alphabet: 'DNA' or 'RNA' (default: RNA if a U is seen and no T).
            label: one label for every record (overrides labels read from the file).

        Raises:
            MotifnetError: no records, a missing or non-numeric label, labels that do not fit
                ``task``, or a file holding both T and U (naming the later record).
        """
        if not self.ids:
            raise MotifnetError("no records found (empty file?)", path=self.path)
        tokens, lengths = self.tokens()
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            raise self.error(int(empty[0]), "empty sequence")
        if alphabet is None:
            has_u, has_t = self.letters()
            alphabet = "RNA" if has_u and not has_t else "DNA"
        if label is not None:
            rows, names = [(str(label),)] * len(self.ids), ["bound"]
        else:
            rows, names = self.labels, self.label_names
        targets, task, target_names = parse_targets(rows, names, task, self)
        annotations = {key: _column(values) for key, values in self.annotations.items()}
        return SeqData(
            tokens, targets, task, target_names, np.asarray(self.ids), check_alphabet(alphabet), lengths,
            annotations=annotations,
        )


def _column(values: list | np.ndarray) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    if all(isinstance(v, (int, np.integer)) for v in values):
        return np.asarray(values, dtype=np.int64)
    return np.asarray([str(v) for v in values])


def parse_targets(
    rows: Sequence[Sequence[str]], names: Sequence[str], task: str | None, where: RecordBuilder
) -> tuple[np.ndarray, str, list[str]]:
    """Label strings ``[N][T]`` -> ``(targets, task, target_names)`` (module docstring has the rules).

    Raises:
        MotifnetError: naming the record's line, for a missing label, a label that is not a
            number (unless ``task='multiclass'``), or labels that do not fit the requested task.
    """
    if task is not None and task not in TASKS:
        raise MotifnetError(f"unknown task {task!r}; expected one of {TASKS}")
    n = len(where.ids)
    if not names:
        if task not in (None, "binary"):
            raise MotifnetError(f"task {task!r} needs labels, but {where.path} has none", path=where.path)
        return np.ones((n, 1), dtype=np.float32), "binary", ["bound"]
    text = np.array(rows, dtype=str).reshape(n, len(names))
    stripped = np.char.strip(text)
    missing = np.argwhere(stripped == "")
    if missing.size:
        i, j = missing[0]
        raise where.error(int(i), f"label missing (column {names[j]!r})")
    if task == "multiclass" and len(names) == 1:
        return _classes(stripped[:, 0])
    try:
        values = stripped.astype(np.float64)
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        for i in range(n):
            for j, value in enumerate(stripped[i]):
                try:
                    ok = np.isfinite(float(value))
                except ValueError:
                    ok = False
                if not ok:
                    raise where.error(i, f"label {str(value)!r} (column {names[j]!r}) is not a number") from None
    binary = bool(np.isin(values, (0.0, 1.0)).all())
    if task is None:
        if binary:
            task = "binary" if len(names) == 1 else "multilabel"
        elif len(names) == 1 and _looks_like_classes(values[:, 0]):
            task = "multiclass"
        else:
            task = "regression"
    if task == "multiclass":
        if len(names) != 1:
            raise MotifnetError(f"multiclass needs one label column, got {len(names)}", path=where.path)
        return _classes(stripped[:, 0])
    if task in ("binary", "multilabel"):
        if not binary:
            i, j = np.argwhere(~np.isin(values, (0.0, 1.0)))[0]
            raise where.error(int(i), f"label {str(stripped[i, j])!r} is not 0 or 1 (task {task})")
        if task == "binary" and len(names) != 1:
            task = "multilabel"
    return values.astype(np.float32), task, list(names)


def _looks_like_classes(values: np.ndarray) -> bool:
    if not (values == np.round(values)).all() or values.min() < 0:
        return False
    k = int(values.max()) + 1
    return 2 < k <= MAX_AUTO_CLASSES and len(np.unique(values)) == k


def _classes(labels: np.ndarray) -> tuple[np.ndarray, str, list[str]]:
    unique = np.unique(labels)
    try:
        unique = sorted(unique, key=float)
    except ValueError:
        unique = sorted(unique)
    index = {name: k for k, name in enumerate(unique)}
    return np.array([index[v] for v in labels], dtype=np.int64), "multiclass", [str(u) for u in unique]
