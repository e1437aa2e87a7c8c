"""Several cells at once: ``benchsuite run --jobs N`` and ``--threads-per-cell T``.

Every cell computes with the same fixed intra-op thread count (``--threads-per-cell``, 1 by
default), whatever the number of cores: the thread count is what changes the floating-point
reduction order of a convolution, so a laptop, a 2-core VM and a 64-core node give the same
records for the same seed. The count is recorded in every record
(``hyperparameters.threads_per_cell``).

``--jobs 1`` runs the cells one after the other in this process (as before, at that thread
count); ``--jobs N > 1`` runs up to N cells at once in N long-lived worker processes
(:mod:`benchsuite.run.pool`: the ~6-9 s start-up of a worker is paid once per worker, not per
cell), and with ``--isolate process`` each cell in a fresh worker process
(:class:`benchsuite.run.isolation.CellProcess`). The default (:func:`resolve_jobs`) is the
number of cores this process may use (``os.sched_getaffinity``) divided by the threads per
cell, capped by the available memory (:data:`CELL_MEMORY_BYTES` per cell) and by the number
of cells; it is 1 for GPU or multi-process (DDP) runs, and when the plugins cannot be handed to
a worker process.

:func:`run_parallel` is the scheduler: it starts workers while slots are free, polls them
(killing one past ``--cell-timeout``), prints each cell's result line as it ends, and shows the
running cells with their elapsed time and stage in a live table on a terminal. A worker that
fails fails only its own cell. If this process is interrupted, its workers are killed (and a
worker whose parent vanished kills itself, :mod:`benchsuite.run.worker`): the same command
then resumes the unfinished cells.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.live import Live
from rich.markup import escape
from rich.table import Table

from benchsuite.errors import ConfigError
from benchsuite.run.matrix import Cell
from benchsuite.run.summary import CellOutcome

if TYPE_CHECKING:
    from benchsuite.plugins.manager import Registry
    from benchsuite.run.context import RunContext
    from benchsuite.run.runner import RunOptions

__all__ = [
    "CELL_MEMORY_BYTES",
    "JOBS_ENV",
    "available_memory",
    "cell_stage",
    "check_jobs",
    "cell_threads",
    "resolve_jobs",
    "run_parallel",
    "usable_cores",
]

#: the memory budgeted per cell (default profile, CPU: a cnn-baseline cell peaks at ~0.7 GiB
#: resident; 2 GiB leaves room for the larger baselines)
CELL_MEMORY_BYTES = 2 * 1024**3

#: environment variable giving the default of ``--jobs`` (the CLI reads it)
JOBS_ENV = "BENCHSUITE_JOBS"

#: seconds between two polls of the running workers
POLL_SECONDS = 0.5


def check_jobs(options: RunOptions) -> None:
    """Refuse ``--jobs`` or ``--threads-per-cell`` below 1."""
    if options.jobs is not None and options.jobs < 1:
        raise ConfigError(
            f"--jobs must be >= 1, got {options.jobs}",
            source="--jobs",
            hint="pass the number of cells to run at once (1: one after the other), or omit it",
        )
    if options.threads_per_cell < 1:
        raise ConfigError(
            f"--threads-per-cell must be >= 1, got {options.threads_per_cell}",
            source="--threads-per-cell",
            hint="pass the intra-op thread count of each cell (default 1)",
        )


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity; ``os.cpu_count()`` where unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def available_memory() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` in bytes (None where unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _single_process_only(options: RunOptions) -> bool:
    """GPU, multi-device or multi-node runs keep one cell at a time (they share the devices)."""
    if options.strategy or (options.num_nodes or 1) > 1:
        return True
    if options.devices not in (None, "1", "auto"):
        return True
    accelerator = (options.accelerator or "auto").lower()
    if accelerator == "cpu":
        return False
    if accelerator != "auto":
        return True
    import torch

    return bool(torch.cuda.is_available())


def resolve_jobs(options: RunOptions, registry: Registry, cells: int) -> int:
    """How many cells run at once: ``--jobs``, or the default described in the module docstring.

    An explicit ``--jobs`` is capped only by the number of cells.
    """
    if options.jobs is not None:
        return max(1, min(options.jobs, cells))
    if cells <= 1 or _single_process_only(options):
        return 1
    from benchsuite.run.isolation import plugin_refs

    try:
        plugin_refs(registry.load_args.get("extra", ()))
    except ConfigError:  # plugins given as objects a worker cannot re-create: one at a time here
        return 1
    jobs = usable_cores() // options.threads_per_cell
    memory = available_memory()
    if memory is not None:
        jobs = min(jobs, memory // CELL_MEMORY_BYTES)
    return max(1, min(jobs, cells))


@contextmanager
def cell_threads(threads: int) -> Iterator[None]:
    """Run the block with ``threads`` intra-op (and, where still possible, inter-op) threads;
    the previous intra-op count is restored after it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    with suppress(RuntimeError):  # only possible before the first inter-op parallel work of the process
        torch.set_num_interop_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def cell_stage(folder: Path) -> str:
    """What a running worker's cell is doing, read from the files in its folder."""
    from benchsuite.evaluate.resume import PARTIAL_NAME

    if (folder / "record.json").exists() and (folder / "train.json").exists():
        return "writing the record"
    partial = folder / PARTIAL_NAME
    if partial.exists():
        import json

        try:
            units = json.loads(partial.read_text(encoding="utf-8")).get("done") or []
        except (OSError, ValueError, AttributeError):
            units = []
        return f"evaluating (done: {', '.join(units)})" if units else "evaluating"
    if (folder / "train.json").exists():
        return "evaluating"
    return "training"


def _table(running: list[Any], done: int, total: int) -> Table:
    table = Table(title=f"{done}/{total} cell(s) finished, {len(running)} running", title_justify="left")
    table.add_column("cell")
    table.add_column("elapsed", justify="right")
    table.add_column("stage")
    for proc in running:
        table.add_row(escape(str(proc.cell)), f"{proc.elapsed:.0f}s", cell_stage(proc.folder))
    return table


def run_parallel(ctx: RunContext, cells: list[Cell], jobs: int) -> list[CellOutcome]:
    """Run ``cells`` in up to ``jobs`` worker processes at once; their outcomes in ``cells`` order.

    Long-lived pool workers (:mod:`benchsuite.run.pool`), or with ``--isolate process`` a fresh
    worker per cell (:class:`benchsuite.run.isolation.CellProcess`).
    """
    live = Live(console=ctx.console, refresh_per_second=2, transient=True)
    show = ctx.options.progress and ctx.console.is_terminal
    if show:
        live.start()
    try:
        run = _run_fresh if ctx.options.isolate == "process" else _run_pool
        outcomes = run(ctx, cells, jobs, live if show else None)
    finally:
        if show:
            live.stop()
    return [outcomes[i] for i in range(len(cells))]


def _run_pool(ctx: RunContext, cells: list[Cell], jobs: int, live: Live | None) -> dict[int, CellOutcome]:
    """The cells in ``jobs`` pool workers (a dead worker is replaced for the next cell)."""
    from benchsuite.run.pool import PoolWorker

    pending = list(enumerate(cells))
    outcomes: dict[int, CellOutcome] = {}
    assigned: dict[int, int] = {}  # worker slot -> cell index
    workers = [PoolWorker(ctx, k) for k in range(min(jobs, len(cells)))]
    try:
        while pending or assigned:
            for k in range(len(workers)):
                if workers[k].busy:
                    outcome = workers[k].poll()
                    if outcome is not None:
                        outcomes[assigned.pop(k)] = outcome
                if not workers[k].busy and pending:
                    if not workers[k].alive:
                        workers[k] = PoolWorker(ctx, k)
                    index, cell = pending.pop(0)
                    try:
                        workers[k].submit(cell)
                        assigned[k] = index
                    except Exception as exc:  # noqa: BLE001 - a cell that cannot start fails alone
                        outcomes[index] = _not_started(ctx, cell, exc)
            if live is not None:
                live.update(_table([w for w in workers if w.busy], len(outcomes), len(cells)))
            if assigned:
                time.sleep(POLL_SECONDS)
    finally:
        for worker in workers:  # interrupted: no worker outlives the run
            worker.kill() if worker.busy else worker.close()
    return outcomes


def _run_fresh(ctx: RunContext, cells: list[Cell], jobs: int, live: Live | None) -> dict[int, CellOutcome]:
    """The cells, each in a fresh worker process, up to ``jobs`` at once."""
    from benchsuite.run.isolation import CellProcess

    pending = list(enumerate(cells))
    running: dict[int, CellProcess] = {}
    outcomes: dict[int, CellOutcome] = {}
    try:
        while pending or running:
            while pending and len(running) < jobs:
                index, cell = pending.pop(0)
                try:
                    running[index] = CellProcess.start(ctx, cell)
                except Exception as exc:  # noqa: BLE001 - a cell that cannot start fails alone
                    outcomes[index] = _not_started(ctx, cell, exc)
            for index, proc in list(running.items()):
                outcome = proc.poll()
                if outcome is not None:
                    outcomes[index] = outcome
                    del running[index]
            if live is not None:
                live.update(_table(list(running.values()), len(outcomes), len(cells)))
            if running:
                time.sleep(POLL_SECONDS)
    finally:
        for proc in running.values():  # interrupted: no worker outlives the run
            proc.kill()
    return outcomes


def _not_started(ctx: RunContext, cell: Cell, exc: BaseException) -> CellOutcome:
    from benchsuite.run.context import report_failure

    registered = ctx.registered(cell)
    error = report_failure(ctx, str(cell), exc, registered)
    return CellOutcome(cell.name, cell.task, "failed", error=error, plugin=registered.tag)
