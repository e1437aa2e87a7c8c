"""``python -m benchsuite.run.worker JOB``: run one cell of ``benchsuite run --isolate process``.

The job file (written by :class:`benchsuite.run.isolation.CellProcess`) holds the run options,
the cell and how to load the same plugins. The worker loads them, prepares the (cached) dataset,
runs the cell in-process and guarded (:func:`benchsuite.run.isolation.run_cell_guarded`; it
writes the record itself) and writes its :class:`~benchsuite.run.summary.CellOutcome` to the
job's outcome file. Its stdout and stderr are the cell's log. A pool worker (``--pool``,
:mod:`benchsuite.run.pool`) runs many jobs, named on its stdin, one after the other.

The worker computes with the job's intra-op (and inter-op) thread count, set before any torch
work. It runs in its own session; when its parent (the ``benchsuite run`` that started it)
disappears, e.g. killed with ``kill -9``, it kills itself and its children within a second, so
the resumed run never races an orphaned worker for the same cell.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]


#: the first argument of a pool worker (``python -m benchsuite.run.worker --pool``)
POOL_FLAG = "--pool"


def main(argv: list[str] | None = None) -> int:
    """Run the cell of the job file ``argv[0]``; 0 once the outcome is written (even a failure).

    With ``--pool`` instead, run the job files named one per line on stdin, one after the
    other, until stdin closes (plugins and dataset loaded once; each cell's output goes to its
    own ``cell.log``).
    """
    args = sys.argv[1:] if argv is None else argv
    if argv is None:
        watch_parent(os.getppid())
    if args and args[0] == POOL_FLAG:
        contexts: dict[str, Any] = {}
        for line in sys.stdin:
            if line.strip():
                run_job(Path(line.strip()), contexts, own_log=True)
        return 0
    run_job(Path(args[0]), {}, own_log=False)
    return 0


def run_job(path: Path, contexts: dict[str, Any], *, own_log: bool) -> None:
    """Run the cell of one job file and write its outcome; ``contexts`` caches the run context
    (plugins, dataset) by run options. ``own_log``: this cell's console and ``sys.stderr`` go to
    its ``cell.log`` (a pool worker; a one-cell worker's stderr already is the log)."""
    import torch
    from rich.console import Console

    from benchsuite.io.atomic import atomic_write
    from benchsuite.plugins import load_plugins
    from benchsuite.run.isolation import (
        CELL_LOG,
        options_from_json,
        outcome_to_json,
        resolve_ref,
        run_cell_guarded,
    )
    from benchsuite.run.matrix import Cell
    from benchsuite.run.runner import _prepare

    job = json.loads(path.read_text(encoding="utf-8"))
    threads = int(job["num_threads"])
    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):  # possible only before any inter-op work
        torch.set_num_interop_threads(threads)
    key = json.dumps([job["options"], job["plugins"]], sort_keys=True)
    if key not in contexts:
        options = options_from_json(job["options"])
        plugins = job["plugins"]
        registry = load_plugins(allow=plugins["allow"], extra=[resolve_ref(ref) for ref in plugins["extra"]])
        contexts[key] = _prepare(options, registry, Console(file=sys.stderr, width=200))
    ctx = contexts[key]
    cell = Cell(job["cell"]["model"], job["cell"]["task"], job["cell"].get("variant", ""))
    if own_log:
        with open(path.parent / CELL_LOG, "a", encoding="utf-8") as log, contextlib.redirect_stderr(log):
            outcome = run_cell_guarded(dataclasses.replace(ctx, console=Console(file=log, width=200)), cell)
    else:
        outcome = run_cell_guarded(ctx, cell)
    with atomic_write(job["outcome"]) as fh:
        json.dump(outcome_to_json(outcome), fh)


def watch_parent(parent: int, interval: float = 1.0) -> threading.Thread:
    """A daemon thread that kills this process's session once ``parent`` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        with contextlib.suppress(OSError):
            os.killpg(os.getpgrp(), signal.SIGKILL)
        os._exit(1)  # pragma: no cover - reached only when killpg failed

    thread = threading.Thread(target=watch, name="benchsuite-parent-watch", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":  # pragma: no cover - run as a worker process
    sys.exit(main())
