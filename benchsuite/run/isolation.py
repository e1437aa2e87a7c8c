"""How each cell of ``benchsuite run`` is isolated from the others (``--isolate``, ``--cell-timeout``).

``--isolate none`` (the default) runs the cell in this process (:func:`run_cell_guarded`): stdout
(``sys.stdout`` and file descriptor 1) goes to ``<cell folder>/cell.log``, and the global torch /
numpy / random state is snapshotted before the cell and restored after it, so a model that turns
grad mode off or changes the default dtype cannot affect the next cell (the change is reported as
a warning naming the model's plugin).

``--isolate process`` runs the cell in a fresh Python process (``python -m
benchsuite.run.worker``; :class:`CellProcess`) whose stdout and stderr go to the cell's log. The
child loads the same plugins, trains and evaluates, writes the record itself (same layout and
resume rules as in-process) and hands back its :class:`CellOutcome`. ``--cell-timeout SECONDS``
kills the child's whole process tree (it runs in its own session) when the cell takes longer;
that cell fails with ``timed out after N s`` and the other cells go on. :class:`CellProcess` is
started and polled separately so that several run at once with ``--jobs N > 1``
(:mod:`benchsuite.run.parallel`), which therefore always isolates by process. A worker computes
with ``--threads-per-cell`` intra-op threads (also exported as ``OMP_NUM_THREADS`` /
``MKL_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` / ``NUMBA_NUM_THREADS``), the same count as an
in-process cell.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from benchsuite.errors import ConfigError
from benchsuite.io.atomic import atomic_write
from benchsuite.run.cells import cell_dir, run_cell
from benchsuite.run.context import RunContext, report_failure
from benchsuite.run.matrix import Cell
from benchsuite.run.summary import CellOutcome

if TYPE_CHECKING:
    from benchsuite.plugins.manager import Registry
    from benchsuite.run.runner import RunOptions

__all__ = [
    "CELL_LOG",
    "ISOLATION_MODES",
    "CellProcess",
    "check_isolation",
    "outcome_from_json",
    "outcome_to_json",
    "plugin_refs",
    "run_cell_guarded",
    "run_isolated",
    "wants_process",
]

#: the log of a cell's stdout (and, with ``--isolate process``, stderr), in the cell's folder
CELL_LOG = "cell.log"

#: values of ``--isolate``
ISOLATION_MODES: tuple[str, ...] = ("none", "process")

#: files a worker reads its job from and writes its outcome to (in the cell's folder)
JOB_NAME = ".worker-job.json"
OUTCOME_NAME = ".worker-outcome.json"

_PATH_OPTIONS = frozenset({"bundle", "out", "cache_dir"})


def check_isolation(options: RunOptions, registry: Registry) -> None:
    """Refuse an unknown ``--isolate``, a ``--cell-timeout`` that is not > 0 or is given without
    ``--isolate process``, and (for ``process``) plugin objects a worker cannot import."""
    if options.isolate not in ISOLATION_MODES:
        raise ConfigError(
            f"unknown isolation mode {options.isolate!r}",
            source="--isolate",
            hint=f"use one of {', '.join(ISOLATION_MODES)}",
        )
    if options.cell_timeout is not None:
        if not options.cell_timeout > 0:
            raise ConfigError(
                f"--cell-timeout must be > 0 seconds, got {options.cell_timeout:g}",
                source="--cell-timeout",
                hint="pass the time limit of one cell in seconds, e.g. --cell-timeout 3600",
            )
        if not wants_process(options):
            raise ConfigError(
                "--cell-timeout needs --isolate process (an in-process cell cannot be stopped safely)",
                source="--cell-timeout",
                hint="add --isolate process (or --jobs N with N > 1: parallel cells run in worker processes)",
            )
    if wants_process(options):
        plugin_refs(registry.load_args.get("extra", ()))


def wants_process(options: RunOptions) -> bool:
    """Whether cells must run in worker processes: ``--isolate process`` or an explicit ``--jobs N > 1``."""
    return options.isolate == "process" or (options.jobs or 1) > 1


def run_isolated(ctx: RunContext, cell: Cell) -> CellOutcome:
    """Run one cell as ``--isolate`` says: in this process (guarded) or in a worker process."""
    if ctx.options.isolate == "process":
        return CellProcess.start(ctx, cell).wait()
    return run_cell_guarded(ctx, cell)


def run_cell_guarded(ctx: RunContext, cell: Cell) -> CellOutcome:
    """:func:`run_cell` with stdout sent to the cell's log and the global state restored after it.

    A change of the default dtype, grad mode, thread count, anomaly detection, cudnn switch or
    matmul precision made during the cell is reported (a warning on the console and in
    ``CellOutcome.warnings``, naming the model's plugin). The deterministic flags and RNG states,
    which the training sets up in every cell itself, are restored without a warning.
    """
    from benchsuite.plugins.state import HARNESS_FIELDS, capture, describe_changes, redirect_stdout, restore

    registered = ctx.registered(cell)
    folder = cell_dir(ctx.root, cell.name, cell.task, ctx.options.seed)
    folder.mkdir(parents=True, exist_ok=True)
    before = capture()
    try:
        with open(folder / CELL_LOG, "a", encoding="utf-8") as log, redirect_stdout(log):
            outcome = run_cell(ctx, cell)
    finally:
        changes = describe_changes(before, capture(), ignore=HARNESS_FIELDS)
        restore(before)
    if changes:
        message = (
            f"model {cell.model!r} ({registered.tag}) changed {', '.join(changes)} during its cell; restored"
        )
        ctx.console.print(f"[yellow]warning[/] {escape(message)}", highlight=False)
        outcome.warnings.append(message)
    return outcome


def plugin_refs(extra: Any) -> list[dict[str, Any]]:
    """How a worker process re-creates each plugin object passed to ``load_plugins(extra=...)``.

    Modules and classes are named by import path; an instance by its class, when it holds no
    state of its own (it is re-instantiated without arguments).

    Raises
    ------
    ConfigError
        For an object a worker cannot re-create that way.
    """
    import types

    refs = []
    for obj in extra:
        if isinstance(obj, types.ModuleType):
            ref: dict[str, Any] = {"module": obj.__name__, "qualname": "", "instance": False}
        elif isinstance(obj, type):
            ref = {"module": obj.__module__, "qualname": obj.__qualname__, "instance": False}
        else:
            cls = type(obj)
            ref = {"module": cls.__module__, "qualname": cls.__qualname__, "instance": True}
            if getattr(obj, "__dict__", None):
                ref = {}
        if not ref or "<" in ref["qualname"] or ref["module"] == "__main__" or not _resolves(ref, obj):
            raise ConfigError(
                f"--isolate process cannot hand plugin object {obj!r} to a worker process "
                "(it is not importable by module and name, or holds state)",
                source="--isolate",
                hint="install the plugin as an entry point (pip install -e <plugin>), or use --isolate none",
            )
        refs.append(ref)
    return refs


def _resolves(ref: dict[str, Any], obj: object) -> bool:
    try:
        target = resolve_ref({**ref, "instance": False})
    except Exception:  # noqa: BLE001 - any failure means: not re-creatable
        return False
    return target is (type(obj) if ref["instance"] else obj)


def resolve_ref(ref: dict[str, Any]) -> object:
    """The plugin object a :func:`plugin_refs` entry names (a fresh instance for instances)."""
    import importlib

    obj: Any = importlib.import_module(ref["module"])
    for part in filter(None, ref["qualname"].split(".")):
        obj = getattr(obj, part)
    return obj() if ref["instance"] else obj


def outcome_to_json(outcome: CellOutcome) -> dict[str, Any]:
    """A :class:`CellOutcome` as JSON data (the worker's answer)."""
    data = dataclasses.asdict(outcome)
    data["record"] = None if outcome.record is None else str(outcome.record)
    return data


def outcome_from_json(data: dict[str, Any]) -> CellOutcome:
    """The :class:`CellOutcome` written by :func:`outcome_to_json`."""
    fields = {f.name for f in dataclasses.fields(CellOutcome)}
    values = {k: v for k, v in data.items() if k in fields}
    if values.get("record") is not None:
        values["record"] = Path(values["record"])
    return CellOutcome(**values)


def options_to_json(options: RunOptions, bundle: Path) -> dict[str, Any]:
    """The run options a worker needs: the resolved bundle, nothing isolated again, no progress."""
    data = dataclasses.asdict(options)
    data.update(bundle=str(bundle), isolate="none", cell_timeout=None, progress=False, ceilings=False, jobs=1)
    data["tuned"] = [str(Path(p).resolve()) for p in options.tuned]
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in data.items()}


def options_from_json(data: dict[str, Any]) -> RunOptions:
    """The :class:`RunOptions` written by :func:`options_to_json`."""
    from benchsuite.run.runner import RunOptions

    values: dict[str, Any] = {
        k: (Path(v) if k in _PATH_OPTIONS and v is not None else tuple(v) if isinstance(v, list) else v)
        for k, v in data.items()
    }
    values["tuned"] = tuple(Path(p) for p in values.get("tuned", ()))
    return RunOptions(**values)


@dataclasses.dataclass
class CellProcess:
    """One cell running in a worker process (``python -m benchsuite.run.worker JOB``).

    :meth:`start` launches it; :meth:`poll` returns its outcome once it ended (killing it past
    ``--cell-timeout``), None while it runs; :meth:`wait` blocks until it ended.
    """

    ctx: RunContext
    cell: Cell
    folder: Path
    process: subprocess.Popen[bytes]
    started: float

    @classmethod
    def start(cls, ctx: RunContext, cell: Cell) -> CellProcess:
        """Write the job into the cell's folder and launch the worker in its own session."""
        folder = write_job(ctx, cell)
        ctx.console.print(f"[bold]starting[/] {escape(str(cell))} in a worker process", highlight=False)
        with open(folder / CELL_LOG, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "benchsuite.run.worker", str(folder / JOB_NAME)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=worker_env(ctx),
                start_new_session=True,
            )
        return cls(ctx, cell, folder, process, time.perf_counter())

    @property
    def elapsed(self) -> float:
        """Seconds since the worker started."""
        return time.perf_counter() - self.started

    def poll(self) -> CellOutcome | None:
        """The outcome if the worker ended (or was just killed for its time limit), else None."""
        timeout = self.ctx.options.cell_timeout
        if self.process.poll() is None:
            if timeout is None or self.elapsed < timeout:
                return None
            self.kill()
            return self._failed(f"timed out after {timeout:g} s (worker process killed)")
        return self._finished()

    def wait(self) -> CellOutcome:
        """Block until the worker ends or its time limit passes; its outcome."""
        timeout = self.ctx.options.cell_timeout
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=None if timeout is None else max(0.0, timeout - self.elapsed))
        outcome = self.poll()
        assert outcome is not None  # ended, or killed by poll
        return outcome

    def kill(self) -> None:
        """Kill the worker and every process it started (its session), and reap it."""
        with contextlib.suppress(ProcessLookupError):  # ended meanwhile
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def _failed(self, message: str) -> CellOutcome:
        return failed_outcome(self.ctx, self.cell, self.folder, message, self.elapsed)

    def _finished(self) -> CellOutcome:
        return finished_outcome(self.ctx, self.cell, self.folder, self.elapsed, self.process.returncode)


def write_job(ctx: RunContext, cell: Cell) -> Path:
    """Write the worker job of ``cell`` into its folder (created); the folder."""
    folder = cell_dir(ctx.root, cell.name, cell.task, ctx.options.seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / OUTCOME_NAME).unlink(missing_ok=True)
    job = {
        "options": options_to_json(ctx.options, ctx.bundle),
        "num_threads": ctx.options.threads_per_cell,  # same intra-op threads, same numbers
        "cell": {"model": cell.model, "task": cell.task, "variant": cell.variant},
        "plugins": {
            "allow": ctx.registry.load_args.get("allow"),
            "extra": plugin_refs(ctx.registry.load_args.get("extra", ())),
        },
        "outcome": str(folder / OUTCOME_NAME),
    }
    with atomic_write(folder / JOB_NAME) as fh:
        json.dump(job, fh, indent=2)
    return folder


def worker_env(ctx: RunContext) -> dict[str, str]:
    """The environment of a worker: this one, the thread count of a cell, this ``sys.path``."""
    env = dict(os.environ)
    threads = str(ctx.options.threads_per_cell)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = threads
    env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p] + [env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    return env


def failed_outcome(ctx: RunContext, cell: Cell, folder: Path, message: str, elapsed: float) -> CellOutcome:
    """Report a cell whose worker failed (``message``; the log is named) and its outcome."""
    registered = ctx.registered(cell)
    label = str(cell)
    error = report_failure(ctx, label, f"{message}; log: {folder / CELL_LOG}", registered)
    return CellOutcome(cell.name, cell.task, "failed", elapsed, error=error, plugin=registered.tag)


def outcome_written(folder: Path) -> bool:
    """Whether the worker wrote the outcome of the cell in ``folder``."""
    return (folder / OUTCOME_NAME).exists()


def finished_outcome(
    ctx: RunContext, cell: Cell, folder: Path, elapsed: float, code: int | None
) -> CellOutcome:
    """Read (and report) the outcome a worker wrote for ``cell``; a failure if there is none."""
    path = folder / OUTCOME_NAME
    try:
        outcome = outcome_from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return failed_outcome(
            ctx, cell, folder, f"the worker process exited with code {code} without an outcome", elapsed
        )
    finally:
        path.unlink(missing_ok=True)
        (folder / JOB_NAME).unlink(missing_ok=True)
    label = str(cell)
    if outcome.status == "failed":
        report_failure(ctx, label, outcome.error or "failed", ctx.registered(cell))
    else:
        ctx.console.print(
            f"[green]{outcome.status}[/] {escape(label)} in a worker process in {elapsed:.1f}s",
            highlight=False,
        )
    for warning in outcome.warnings:
        ctx.console.print(f"[yellow]warning[/] {escape(warning)}", highlight=False)
    return outcome
