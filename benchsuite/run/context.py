"""What the steps of one ``benchsuite run`` share: the run context, failure reports and W&B runs."""

from __future__ import annotations

import contextlib
import logging
import os
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from benchsuite.errors import BenchsuiteError

if TYPE_CHECKING:
    from benchsuite.data.cache import DatasetCache
    from benchsuite.data.manifest import Manifest
    from benchsuite.evaluate import EvalOptions
    from benchsuite.plugins.manager import RegisteredModel, Registry
    from benchsuite.results.wandb_logging import WandbRun
    from benchsuite.run.matrix import Cell
    from benchsuite.run.runner import RunOptions

__all__ = ["RECORD_NAME", "RunContext", "is_main_process", "report_failure", "wandb_run", "write_and_log"]

log = logging.getLogger(__name__)

#: the result record of a cell or ceiling folder (its presence means: finished)
RECORD_NAME = "record.json"


@dataclass
class RunContext:
    """One invocation of ``benchsuite run`` once its dataset is ready.

    ``root`` is ``<out>/<dataset fingerprint[:12]>/``; ``eval_options`` is None in the extra
    processes of a DDP run (``main`` is False there: they only train).
    """

    options: RunOptions
    registry: Registry
    console: Console
    manifest: Manifest
    cache: DatasetCache
    root: Path
    bundle: Path
    eval_options: EvalOptions | None
    device: str
    trainer_kwargs: dict[str, Any]
    main: bool

    def registered(self, cell: Cell) -> RegisteredModel:
        """The registered model of ``cell``, with its tuned profile applied for a ``run --tuned`` cell."""
        from benchsuite.run.tuned import apply_tuned

        return apply_tuned(self.registry.models[cell.model], cell, self.options.tuned)


def is_main_process() -> bool:
    """False in the extra processes of a DDP run (they only train)."""
    for var in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID"):
        value = os.environ.get(var)
        if value not in (None, "", "0"):
            return False
    return True


def report_failure(
    ctx: RunContext, label: str, exc: BaseException | str, registered: RegisteredModel | None = None
) -> str:
    """Print ``FAILED <label> [plugin <distribution> <version>]: <message>`` and return the message.

    ``exc`` is the exception (its traceback goes to the debug log) or a message; ``registered``
    names the plugin whose model failed (omitted for ceilings).
    """
    if isinstance(exc, str):
        message = exc
    else:
        message = str(exc) if isinstance(exc, BenchsuiteError) else f"{type(exc).__name__}: {exc}"
        log.debug("%s failed:\n%s", label, "".join(traceback.format_exception(exc)))
    who = f" [{registered.tag}]" if registered is not None else ""
    ctx.console.print(f"[bold red]FAILED[/] {escape(label + who)}: {escape(message)}", highlight=False)
    return message


@contextlib.contextmanager
def wandb_run(ctx: RunContext, *, name: str, config: dict[str, Any]) -> Iterator[WandbRun]:
    """A W&B run of the run's mode (disabled in non-main DDP processes), finished on exit.

    The run is grouped by dataset (``<bundle name>-<fingerprint[:12]>``); a failure to finish
    it only warns.
    """
    from benchsuite.results.wandb_logging import WandbRun

    mode = ctx.options.wandb if ctx.main else "disabled"
    group = f"{ctx.manifest.name}-{ctx.cache.fingerprint[:12]}"
    run = WandbRun.start(
        mode=mode,
        directory=Path(ctx.options.out),
        project=ctx.options.wandb_project,
        name=name,
        group=group,
        config=config,
    )
    try:
        yield run
    finally:
        try:
            run.finish()
        except Exception as exc:  # pragma: no cover - W&B trouble must not fail a finished cell
            log.warning("W&B: finishing run %s failed: %s", name, exc)


def write_and_log(run: WandbRun, path: Path, record: dict[str, Any], *, label: str) -> None:
    """Write ``record`` to ``path`` (validated, atomically), then log it to the W&B ``run``.

    The run gets the record's final metrics and figures and the record file itself. A W&B
    failure only warns: the record on disk is what counts.
    """
    from benchsuite.results.record import write_record

    write_record(path, record)
    try:
        run.log_final(record["metrics"], record.get("figures") or {})
        run.save_record(path)
    except Exception as exc:  # pragma: no cover - the record on disk is what counts
        log.warning("W&B logging of %s failed: %s", label, exc)
