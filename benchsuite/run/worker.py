"""``python -m benchsuite.run.worker JOB``: run one cell of ``benchsuite run --isolate process``.

The job file (written by :class:`benchsuite.run.isolation.CellProcess`) holds the run options,
the cell and how to load the same plugins. The worker loads them, prepares the (cached) dataset,
runs the cell in-process and guarded (:func:`benchsuite.run.isolation.run_cell_guarded`; it
writes the record itself) and writes its :class:`~benchsuite.run.summary.CellOutcome` to the
job's outcome file. Its stdout and stderr are the cell's log.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the cell of the job file ``argv[0]``; 0 once the outcome is written (even a failure)."""
    import torch
    from rich.console import Console

    from benchsuite.io.atomic import atomic_write
    from benchsuite.plugins import load_plugins
    from benchsuite.run.isolation import (
        options_from_json,
        outcome_to_json,
        resolve_ref,
        run_cell_guarded,
    )
    from benchsuite.run.matrix import Cell
    from benchsuite.run.runner import _prepare

    args = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    torch.set_num_threads(int(job["num_threads"]))
    options = options_from_json(job["options"])
    plugins = job["plugins"]
    registry = load_plugins(allow=plugins["allow"], extra=[resolve_ref(ref) for ref in plugins["extra"]])
    console = Console(file=sys.stderr, width=200)
    ctx = _prepare(options, registry, console)
    cell = Cell(job["cell"]["model"], job["cell"]["task"])
    outcome = run_cell_guarded(ctx, cell)
    with atomic_write(job["outcome"]) as fh:
        json.dump(outcome_to_json(outcome), fh)
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a worker process
    sys.exit(main())
