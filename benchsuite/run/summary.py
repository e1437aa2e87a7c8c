"""What ``benchsuite run`` reports: one outcome per cell or ceiling, the summary table and its metrics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from benchsuite.evaluate.registry import headline_metrics

__all__ = ["HEADLINE_METRICS", "CellOutcome", "RunSummary", "print_summary"]

#: metrics shown in the summary table (mean over targets): the registry's headline metrics
HEADLINE_METRICS: tuple[str, ...] = headline_metrics()


@dataclass
class CellOutcome:
    """What happened to one cell (or ceiling) in this invocation.

    ``status`` is ``"trained"`` (trained and evaluated now), ``"evaluated"`` (training had
    finished before; evaluated now), ``"skipped"`` (a valid record existed), ``"failed"`` or
    ``"trained-only"`` (a non-main DDP process).
    """

    model: str
    task: str
    status: str
    seconds: float = 0.0
    kind: str = "model"
    metrics: dict[str, float | None] = field(default_factory=dict)
    error: str | None = None
    record: Path | None = None


@dataclass
class RunSummary:
    """The outcome of :func:`benchsuite.run.runner.run_benchmark`."""

    outcomes: list[CellOutcome]
    root: Path | None
    bundle: Path | None
    dataset_fingerprint: str | None
    seconds: float = 0.0

    @property
    def failed(self) -> list[CellOutcome]:
        """Cells (and ceilings) that failed."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every cell finished, 1 otherwise."""
        return 1 if self.failed else 0

    def table(self) -> Table:
        """The rich summary table (model, task, status, time, headline metrics)."""
        table = Table(title="benchsuite run", show_lines=False)
        table.add_column("model")
        table.add_column("task")
        table.add_column("status")
        table.add_column("time", justify="right")
        for metric in HEADLINE_METRICS:
            table.add_column(metric, justify="right")
        styles = {"failed": "red", "skipped": "dim", "trained": "green", "evaluated": "green"}
        for o in self.outcomes:
            name = o.model if o.kind == "model" else f"[italic]{escape(o.model)} (ceiling)[/]"
            status = f"[{styles.get(o.status, 'white')}]{o.status}[/]"
            values = [fmt_metric(o.metrics.get(m)) for m in HEADLINE_METRICS]
            table.add_row(
                name if o.kind != "model" else escape(name), o.task, status, f"{o.seconds:.1f}s", *values
            )
        return table


def fmt_metric(value: float | None) -> str:
    """A metric as the summary shows it: three decimals, ``-`` when missing."""
    return "-" if value is None else f"{value:.3f}"


def headline(record: Mapping[str, Any]) -> dict[str, float | None]:
    """The :data:`HEADLINE_METRICS` of a result record (mean over targets; None when absent)."""
    metrics = record.get("metrics") or {}
    out: dict[str, float | None] = {}
    for name in HEADLINE_METRICS:
        entry = metrics.get(name)
        out[name] = entry.get("mean") if isinstance(entry, Mapping) else None
    return out


def print_summary(summary: RunSummary, console: Console | None = None) -> None:
    """Print the summary table and the failures."""
    console = console or Console()
    console.print(summary.table())
    for o in summary.failed:
        console.print(f"[red]failed[/] {escape(o.model)}/{o.task}: {escape(o.error or '')}", highlight=False)
    done = sum(1 for o in summary.outcomes if o.status != "failed")
    console.print(
        f"{done}/{len(summary.outcomes)} finished, {len(summary.failed)} failed in {summary.seconds:.1f}s"
        + (f"; records under {summary.root}" if summary.root else ""),
        highlight=False,
    )
