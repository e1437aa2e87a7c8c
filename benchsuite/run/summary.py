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

__all__ = ["HEADLINE_METRICS", "CellOutcome", "RunSummary", "plugin_failures", "print_summary"]

#: metrics shown in the summary table (mean over targets): the registry's headline metrics
HEADLINE_METRICS: tuple[str, ...] = headline_metrics()


@dataclass
class CellOutcome:
    """What happened to one cell (or ceiling) in this invocation.

    ``status`` is ``"trained"`` (trained and evaluated now), ``"evaluated"`` (training had
    finished before; evaluated now), ``"skipped"`` (a valid record existed), ``"failed"`` or
    ``"trained-only"`` (a non-main DDP process). ``plugin`` names the model's plugin
    (``"plugin <distribution> <version>"``; None for ceilings); ``warnings`` are global-state
    changes the cell made (restored after it).
    """

    model: str
    task: str
    status: str
    seconds: float = 0.0
    kind: str = "model"
    metrics: dict[str, float | None] = field(default_factory=dict)
    error: str | None = None
    record: Path | None = None
    plugin: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class RunSummary:
    """The outcome of :func:`benchsuite.run.runner.run_benchmark`.

    ``plugin_failures`` are the plugins (or their registrations) that failed to load (see
    :func:`plugin_failures`); ``plugin_warnings`` the global-state changes plugins made while
    loading (restored).
    """

    outcomes: list[CellOutcome]
    root: Path | None
    bundle: Path | None
    dataset_fingerprint: str | None
    seconds: float = 0.0
    plugin_failures: list[dict[str, str | None]] = field(default_factory=list)
    plugin_warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[CellOutcome]:
        """Cells (and ceilings) that failed."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every cell finished and every plugin loaded, 1 otherwise."""
        return 1 if self.failed or self.plugin_failures else 0

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON data (``benchsuite run --json``).

        ``{"exit_code", "seconds", "root", "bundle", "dataset_fingerprint", "headline_metrics": [NAME],
        "totals": {"cells", "finished", "failed", "by_status": {STATUS: COUNT}},
        "plugins": {"failed": [{"plugin", "distribution", "version", "stage", "reason", "hint"}],
        "warnings": [TEXT]},
        "outcomes": [{"model", "task", "kind", "status", "seconds", "record",
        "metrics": {NAME: FLOAT or null}, "error", "plugin", "warnings": [TEXT]}]}``; paths are
        strings or null, non-finite numbers are null.
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
            "plugins": {"failed": list(self.plugin_failures), "warnings": list(self.plugin_warnings)},
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
                    "plugin": o.plugin,
                    "warnings": list(o.warnings),
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


def plugin_failures(registry: Any) -> list[dict[str, str | None]]:
    """The load errors of a plugin registry as JSON data, one entry per failed plugin or refused
    registration: ``{"plugin", "distribution", "version", "stage", "reason", "hint"}``."""
    return [
        {
            "plugin": getattr(e, "plugin", None),
            "distribution": getattr(e, "distribution", None),
            "version": getattr(e, "version", None),
            "stage": getattr(e, "stage", None),
            "reason": getattr(e, "reason", str(e)),
            "hint": getattr(e, "hint", None),
        }
        for e in getattr(registry, "errors", [])
    ]


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
        who = f" [{o.plugin}]" if o.plugin else ""
        console.print(
            f"[red]failed[/] {escape(f'{o.model}/{o.task}{who}')}: {escape(o.error or '')}", highlight=False
        )
    for o in summary.outcomes:
        for warning in o.warnings:
            console.print(
                f"[yellow]warning[/] {escape(f'{o.model}/{o.task}')}: {escape(warning)}", highlight=False
            )
    for failure in summary.plugin_failures:
        console.print(
            f"[red]plugin failed[/] {escape(str(failure['plugin']))} ({failure['stage']}): "
            f"{escape(str(failure['reason']))}",
            highlight=False,
        )
    for warning in summary.plugin_warnings:
        console.print(f"[yellow]plugin warning[/] {escape(warning)}", highlight=False)
    done = sum(1 for o in summary.outcomes if o.status != "failed")
    failed_plugins = len(summary.plugin_failures)
    console.print(
        f"{done}/{len(summary.outcomes)} finished, {len(summary.failed)} failed in {summary.seconds:.1f}s"
        + (f"; {failed_plugins} plugin problem(s)" if failed_plugins else "")
        + (f"; records under {summary.root}" if summary.root else ""),
        highlight=False,
    )
