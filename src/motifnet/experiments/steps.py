"""Resumable pipeline steps: each step writes into its own folder, with a completion marker last.

A step is *done* when its folder holds a marker (``DONE.json``) whose fingerprint equals the
fingerprint the step would have now. The fingerprint hashes the step's configuration and the
marker ids of the steps it depends on, so:

- running an experiment twice redoes nothing;
- deleting one step's marker (or its folder) redoes that step, which gets a new marker id, and
  therefore every step downstream of it, and nothing else;
- changing a setting (``--set``) redoes exactly the steps whose configuration it changes and
  what depends on them.

A step's work happens in a temporary folder beside its final one; the marker is written
(atomically) when the work succeeded, and only then does the temporary folder replace the
final one. An interrupted step leaves no marker and no half-written folder (what a killed
process leaves beside it, a temporary folder or the old folder it was replacing, is removed when
the step runs again; run one experiment per output folder at a time).

:meth:`StepRunner.run_all` with ``jobs > 1`` runs independent steps side by side, each in its
own process (a step starts when its dependencies are done). Every step is seeded and runs its
own work alone, so the outputs do not depend on ``jobs``; only the wall time does.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import pickle
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from motifnet.atomic import default_permissions, temporary_beside
from motifnet.errors import MotifnetError
from motifnet.io.files import atomic_write
from motifnet.jsonio import json_safe

MARKER = "DONE.json"


def slug(text: str) -> str:
    """A file-name-safe version of ``text`` (letters, digits, '.', '_', '-' kept)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._")
    return cleaned or "step"


def fingerprint(value: Any) -> str:
    """A short stable hash of a JSON-able value (keys sorted)."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Step:
    """One unit of work of an experiment.

    Attributes:
        kind: the stage ('data', 'train', 'evaluate', 'interpret', 'report'); also the parent folder.
        name: the folder name inside ``kind`` (made file-name-safe); "" for a step that is alone
            of its kind (its folder is then ``out/kind``).
        config: everything that determines the step's output (JSON-able).
        work: ``work(folder, inputs)`` writes the outputs into ``folder`` (an empty temporary
            folder) and may return a summary stored in the marker (as JSON:
            :func:`motifnet.jsonio.json_safe`, other objects as their ``str``). ``inputs`` maps each
            dependency's ``kind/name`` id to its final folder.
        depends: steps whose outputs this step reads.
    """

    kind: str
    name: str
    config: Any
    work: Callable[[Path, dict[str, Path]], Any]
    depends: list["Step"] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.kind}/{slug(self.name)}" if self.name else self.kind


class StepRunner:
    """Runs steps into ``out/<kind>/<name>/``, skipping those already done.

    Args:
        out: the experiment's output folder.
        log: called with one line per step (e.g. ``print``); None for silence.
        before_step: called before each step's work, in the process that runs it (e.g. to set
            the CPU threads again, which a library may have changed).

    Attributes:
        events: ``(step id, 'ran' | 'skipped', seconds)`` in the order steps were visited.
    """

    def __init__(self, out: str | Path, log: Callable[[str], None] | None = None,
                 before_step: Callable[[], Any] | None = None) -> None:
        self.out = Path(out)
        self.log = log
        self.before_step = before_step
        self.events: list[tuple[str, str, float]] = []
        self._markers: dict[str, dict] = {}

    def folder(self, step: Step) -> Path:
        """The final folder of ``step``: ``out/kind/name``, or ``out/kind`` for a step without a name."""
        return self.out / step.kind / slug(step.name) if step.name else self.out / step.kind

    def marker(self, step: Step) -> dict | None:
        """The marker of ``step``'s folder, or None if absent or unreadable."""
        path = self.folder(step) / MARKER
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def _fingerprint(self, step: Step) -> str:
        upstream = {dep.id: self._markers[dep.id]["id"] for dep in step.depends}
        return fingerprint({"kind": step.kind, "config": step.config, "upstream": upstream})

    def is_done(self, step: Step) -> bool:
        """Whether ``step`` has a marker matching its current fingerprint (dependencies must
        have been run or checked first)."""
        marker = self.marker(step)
        return marker is not None and marker.get("fingerprint") == self._fingerprint(step)

    def summary(self, step: Step) -> Any:
        """The summary returned by ``step.work`` when it last ran, as its marker holds it (JSON)."""
        return self._markers[step.id].get("summary")

    def run(self, step: Step) -> Path:
        """Run ``step`` unless done (its dependencies first); return its final folder.

        Raises:
            MotifnetError: the output folder cannot be written; errors of the step propagate.
        """
        if step.id in self._markers:
            return self.folder(step)
        for dep in step.depends:
            self.run(dep)
        if not self._skip_if_done(step):
            self._say(f"{step.id}: running")
            self._finish(step, self._execute(step))
        return self.folder(step)

    def run_all(self, steps: Sequence[Step], jobs: int = 1) -> None:
        """Run ``steps`` and their dependencies, at most ``jobs`` at a time (module docstring).

        With ``jobs > 1`` each step runs in a new process (:func:`_process_context`) that gets
        the step by value (cloudpickle, closures included) and sends back its marker as JSON;
        the processes end when this one does, killed or not. They import the calling script, as
        multiprocessing does: a script must keep its own work under ``if __name__ == "__main__":``.

        Raises:
            MotifnetError: a step failed in its process, or cannot be sent to one (the others
                are stopped; their temporary folders are removed when they run again).
        """
        if jobs <= 1:
            for step in steps:
                self.run(step)
            return
        pending = [step for step in _with_dependencies(steps) if step.id not in self._markers]
        running: dict[Any, tuple[Step, Any, Any]] = {}
        try:
            while pending or running:
                self._start_ready(pending, running, jobs)
                if running:
                    self._collect(running)
        finally:
            for _, process, lifeline in running.values():
                process.kill()
                _end(process, lifeline)

    def _start_ready(self, pending: list[Step], running: dict, jobs: int) -> None:
        """Skip or start (while fewer than ``jobs`` run) the pending steps whose dependencies are done."""
        for step in [s for s in pending if all(d.id in self._markers for d in s.depends)]:
            if self._skip_if_done(step):
                pending.remove(step)
            elif len(running) < jobs:
                pending.remove(step)
                self._say(f"{step.id}: running")
                receive, process, lifeline = self._start(step)
                running[receive] = (step, process, lifeline)

    def _start(self, step: Step) -> tuple[Any, Any, Any]:
        """Start ``step``'s process: the pipe of its result, the process, and the pipe whose
        closing (by :func:`_end`, or the end of this process) makes it exit."""
        context = _process_context()
        receive, send = context.Pipe(duplex=False)
        watch, lifeline = context.Pipe(duplex=False)
        process = context.Process(target=_run_in_child, args=(self._payload(step), send, watch), name=step.id)
        process.start()
        send.close()
        watch.close()
        return receive, process, lifeline

    def _payload(self, step: Step) -> bytes:
        """``step`` and a runner with what its process needs (the output folder, ``before_step``
        and the markers of its dependencies), pickled by value."""
        runner = StepRunner(self.out, before_step=self.before_step)
        runner._markers = {dep.id: self._markers[dep.id] for dep in step.depends}
        try:
            import cloudpickle

            return cloudpickle.dumps((runner, step))
        except Exception as error:  # noqa: BLE001 - any pickling error
            raise MotifnetError(f"step {step.id} cannot be sent to its process: "
                                f"{type(error).__name__}: {error}") from None

    def _collect(self, running: dict) -> None:
        """Wait for a step's process to end; record its marker, or raise its error."""
        for receive in multiprocessing.connection.wait(list(running)):  # a result, or the end of a process
            step, process, lifeline = running.pop(receive)
            try:
                outcome = receive.recv()
            except EOFError:
                process.join()
                outcome = ("error", f"its process died (exit code {process.exitcode})")
            _end(process, lifeline)
            if outcome[0] != "ok":
                raise MotifnetError(f"step {step.id} failed: {outcome[1]}")
            self._finish(step, outcome[1])

    def _skip_if_done(self, step: Step) -> bool:
        """Record ``step`` as reused when its marker matches; whether it was."""
        if not self.is_done(step):
            return False
        self._markers[step.id] = self.marker(step)
        self.events.append((step.id, "skipped", 0.0))
        self._say(f"{step.id}: done already, skipped")
        return True

    def _finish(self, step: Step, marker_text: str) -> None:
        marker = json.loads(marker_text)
        self._markers[step.id] = marker
        self.events.append((step.id, "ran", marker["seconds"]))
        self._say(f"{step.id}: finished in {marker['seconds']:.1f} s")

    def _execute(self, step: Step) -> str:
        """Do ``step``'s work in a temporary folder, write its marker, move it into place; the
        marker's JSON text (as in its file)."""
        final = self.folder(step)
        if self.before_step is not None:
            self.before_step()
        start = time.perf_counter()
        _remove_leftovers(final)
        work_dir = temporary_beside(final, folder=True)
        try:
            inputs = {dep.id: self.folder(dep) for dep in step.depends}
            summary = step.work(work_dir, inputs)
            seconds = time.perf_counter() - start
            marker = {
                "step": step.id,
                "id": uuid.uuid4().hex,
                "fingerprint": self._fingerprint(step),
                "seconds": round(seconds, 3),
                "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "summary": summary,
            }
            text = json.dumps(json_safe(marker), indent=2, default=str) + "\n"
            with atomic_write(work_dir / MARKER) as handle:
                handle.write(text)
            default_permissions(work_dir)
            _replace_folder(work_dir, final)
        except BaseException:
            shutil.rmtree(work_dir, ignore_errors=True)
            raise
        return text

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)


def _with_dependencies(steps: Sequence[Step]) -> list[Step]:
    """``steps`` and everything they depend on, each once, dependencies first."""
    ordered: dict[str, Step] = {}

    def visit(step: Step) -> None:
        if step.id not in ordered:
            for dep in step.depends:
                visit(dep)
            ordered[step.id] = step

    for step in steps:
        visit(step)
    return list(ordered.values())


def _remove_leftovers(final: Path) -> None:
    """Remove what a killed run left beside ``final``: its temporary folders
    (``.NAME.xxxxxxxx.tmp``, :func:`~motifnet.atomic.temporary_beside`) and a replaced old one
    (``.NAME.old-xxxxxxxx``, :func:`_replace_folder`); those of other names are kept."""
    if not final.parent.is_dir():
        return
    leftover = re.compile(rf"\.{re.escape(final.name)}\.(?:[a-z0-9_]{{8}}\.tmp|old-[0-9a-f]{{8}})")
    for path in final.parent.iterdir():
        if leftover.fullmatch(path.name):
            shutil.rmtree(path, ignore_errors=True)


def _replace_folder(new: Path, final: Path) -> None:
    """Move the complete folder ``new`` to ``final``, replacing any old one."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        final.rename(old)
    new.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _process_context():
    """The processes of :meth:`StepRunner.run_all`: forked from a fresh server process (which
    imports torch and numba once), else spawned; never forked from this process, whose GNU
    OpenMP threads (torch, numba) a forked child would wait for forever."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "numba"])
    return context


def _run_in_child(payload: bytes, send, watch) -> None:
    """The body of a step's process: run the step and send back its marker's JSON text or the
    error; exit as soon as the parent's end of ``watch`` closes."""
    threading.Thread(target=_exit_when_closed, args=(watch,), daemon=True).start()
    try:
        runner, step = pickle.loads(payload)
        send.send(("ok", runner._execute(step)))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which raises
        send.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        send.close()


def _exit_when_closed(watch) -> None:
    """End this process when the other end of the pipe ``watch`` closes: the parent ended (also
    when killed) or gave up on this step."""
    try:
        watch.recv_bytes()
    except (EOFError, OSError):
        pass
    os._exit(1)


def _end(process, lifeline) -> None:
    """Wait for a step's process to end, then close its lifeline."""
    process.join()
    lifeline.close()
