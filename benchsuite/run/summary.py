"""What ``benchsuite run`` reports: one outcome per cell or ceiling, the summary table and its metrics."""

from __future__ import annotations

import math
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

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON data (``benchsuite run --json``).

        ``{"exit_code", "seconds", "root", "bundle", "dataset_fingerprint", "headline_metrics": [NAME],
        "totals": {"cells", "finished", "failed", "by_status": {STATUS: COUNT}},
        "outcomes": [{"model", "task", "kind", "status", "seconds", "record",
        "metrics": {NAME: FLOAT or null}, "error"}]}``; paths are strings or null, non-finite numbers
        are null.
        """
        by_status: dict[str, int] = {}
        for o in self.outcomes:
            by_status[o.status] = by_status.get(o.status, 0) + 1
        totals = {
            "cells": len(self.outcomes),
            "finished": len(self.outcomes) - len(self.failed),
            "failed": len(self.failed),
            "by_status": by_status,
        }
        return {
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "root": _path(self.root),
            "bundle": _path(self.bundle),
            "dataset_fingerprint": self.dataset_fingerprint,
            "headline_metrics": list(HEADLINE_METRICS),
            "totals": totals,
            "outcomes": [
                {
                    "model": o.model,
                    "task": o.task,
                    "kind": o.kind,
                    "status": o.status,
                    "seconds": round(o.seconds, 3),
                    "record": _path(o.record),
                    "metrics": {m: _finite(o.metrics.get(m)) for m in HEADLINE_METRICS},
                    "error": o.error,
                }
                for o in self.outcomes
            ],
        }

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


def _path(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _finite(value: float | None) -> float | None:
    """A metric as JSON data: None when missing or not finite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


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
