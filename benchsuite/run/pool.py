"""Long-lived worker processes for ``benchsuite run --jobs N`` (without ``--isolate process``).

A worker process pays ~6-9 s of start-up (torch, Lightning, the plugins, the dataset cache)
before its first cell: more than a whole smoke cell. So ``--jobs N > 1`` starts N
:class:`PoolWorker` processes (``python -m benchsuite.run.worker --pool``), each running cells
one after the other like an in-process run (guarded: stdout to the cell's ``cell.log``, the
global torch state restored after each cell), and hands each free worker the next cell by
writing the cell's job file and its path on the worker's stdin. The worker writes the cell's
outcome file when the cell ends; that is how the scheduler learns it is free again.

A worker that dies, or is killed for ``--cell-timeout``, fails only the cell it was running;
the scheduler replaces it. With ``--isolate process`` every cell gets a fresh process instead
(:class:`benchsuite.run.isolation.CellProcess`). The worker's own log (what is printed outside
a cell) is ``<run root>/.workers/worker<k>.log``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from rich.markup import escape

from benchsuite.run.context import RunContext
from benchsuite.run.isolation import (
    JOB_NAME,
    failed_outcome,
    finished_outcome,
    outcome_written,
    worker_env,
    write_job,
)
from benchsuite.run.matrix import Cell
from benchsuite.run.summary import CellOutcome

__all__ = ["WORKERS_DIR", "PoolWorker"]

#: folder of the pool workers' own logs, under the run's root
WORKERS_DIR = ".workers"


class PoolWorker:
    """One long-lived worker process that runs the cells it is given, one at a time."""

    def __init__(self, ctx: RunContext, index: int) -> None:
        self.ctx = ctx
        self.index = index
        logs = Path(ctx.root) / WORKERS_DIR
        logs.mkdir(parents=True, exist_ok=True)
        self.log = logs / f"worker{index}.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "benchsuite.run.worker", "--pool"],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=worker_env(ctx),
                start_new_session=True,
            )
        self.cell: Cell | None = None
        self.folder: Path | None = None
        self.started = time.perf_counter()

    @property
    def busy(self) -> bool:
        """Whether a cell is running in this worker."""
        return self.cell is not None

    @property
    def alive(self) -> bool:
        """Whether the worker process still runs."""
        return self.process.poll() is None

    @property
    def elapsed(self) -> float:
        """Seconds since the current cell was handed to the worker."""
        return time.perf_counter() - self.started

    def submit(self, cell: Cell) -> None:
        """Hand ``cell`` to the (idle) worker."""
        folder = write_job(self.ctx, cell)
        self.cell, self.folder, self.started = cell, folder, time.perf_counter()
        self.ctx.console.print(
            f"[bold]starting[/] {escape(str(cell))} in worker {self.index}", highlight=False
        )
        stdin: IO[bytes] | None = self.process.stdin
        try:
            assert stdin is not None
            stdin.write(f"{folder / JOB_NAME}\n".encode())
            stdin.flush()
        except (BrokenPipeError, OSError):  # the worker died: poll() reports the cell failed
            pass

    def poll(self) -> CellOutcome | None:
        """The outcome of the current cell once it ended (or was killed past ``--cell-timeout``)."""
        cell, folder = self.cell, self.folder
        if cell is None or folder is None:
            return None
        timeout = self.ctx.options.cell_timeout
        if outcome_written(folder):
            outcome = finished_outcome(self.ctx, cell, folder, self.elapsed, None)
        elif not self.alive:
            code = self.process.returncode
            outcome = failed_outcome(
                self.ctx,
                cell,
                folder,
                f"the worker process exited with code {code} during the cell",
                self.elapsed,
            )
        elif timeout is not None and self.elapsed >= timeout:
            self.kill()
            outcome = failed_outcome(
                self.ctx, cell, folder, f"timed out after {timeout:g} s (worker process killed)", self.elapsed
            )
        else:
            return None
        (folder / JOB_NAME).unlink(missing_ok=True)
        self.cell = self.folder = None
        return outcome

    def kill(self) -> None:
        """Kill the worker and every process it started (its session), and reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def close(self, timeout: float = 10.0) -> None:
        """Let an idle worker exit (its stdin closed); kill it if it does not within ``timeout``."""
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
