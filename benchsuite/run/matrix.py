"""The (model, task) matrix of a benchmark run, and deterministic sharding.

``benchsuite run --all`` scores every registered model on each task it supports. The cells
are sorted by (model name, task) so every process computes the same list, and
``--shard K/N`` keeps the cells whose index is ``K - 1`` modulo ``N``: the N shards of a SLURM
array (or any scheduler) partition the matrix, each cell in exactly one shard.

A bundle need not support both tasks: a bundle without peak files has no binary labels, one
whose targets are all label-only has no coverage. :func:`unsupported_tasks` says which task
a bundle cannot support and why, and :func:`applicable_cells` sets those cells aside as *not
applicable* (one line each, not a failure) instead of failing them in the plugin API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchsuite.errors import ConfigError

if TYPE_CHECKING:
    from benchsuite.data.manifest import Manifest
    from benchsuite.plugins.manager import RegisteredModel

__all__ = [
    "TASKS",
    "Cell",
    "build_matrix",
    "parse_shard",
    "shard_cells",
    "unsupported_tasks",
    "applicable_cells",
]

#: task kinds in matrix order
TASKS: tuple[str, ...] = ("binary", "quantitative")

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True, order=True)
class Cell:
    """One (model, task) cell of the matrix; ``variant`` is ``tuned-<sha8>`` for a cell of
    ``run --tuned`` (:mod:`benchsuite.run.tuned`), else empty."""

    model: str
    task: str
    variant: str = ""

    @property
    def name(self) -> str:
        """The cell's folder and display name: the model, ``+variant`` for a tuned cell."""
        return f"{self.model}+{self.variant}" if self.variant else self.model

    def __str__(self) -> str:
        return f"{self.name}/{self.task}"


def build_matrix(
    models: Mapping[str, RegisteredModel],
    *,
    names: Sequence[str] | None = None,
    all_models: bool = False,
    task: str | None = None,
) -> list[Cell]:
    """The sorted list of (model, task) cells selected on the command line.

    Parameters
    ----------
    models:
        ``Registry.models``: model name -> ``RegisteredModel`` (``.spec.tasks``).
    names:
        ``--model NAME ...``: restrict to these models (each must be registered).
    all_models:
        ``--all``: every registered model. Exactly one of ``names``/``all_models`` is required.
    task:
        ``--task binary|quantitative``: keep only that task.

    Returns
    -------
    list[Cell]
        Cells sorted by (model, task); each model appears once per task it supports.

    Raises
    ------
    ConfigError
        Neither or both of ``--all``/``--model``, an unknown model or task, or an empty selection.
    """
    if task is not None and task not in TASKS:
        raise ConfigError(f"unknown task {task!r}", source="--task", hint=f"choose one of {', '.join(TASKS)}")
    names = list(names or [])
    if all_models and names:
        raise ConfigError(
            "--all and --model are mutually exclusive", source="--all/--model", hint="pass one of them"
        )
    if not all_models and not names:
        raise ConfigError(
            "no models selected",
            source="--all/--model",
            hint="pass --all for every registered model or --model NAME (see `benchsuite list`)",
        )
    if all_models:
        if not models:
            raise ConfigError(
                "no model is registered",
                source="--all",
                hint="install a model plugin (e.g. pip install -e plugins/benchsuite-baselines) and check "
                "BENCHSUITE_PLUGINS; `benchsuite list` shows what loaded",
            )
        selected = sorted(models)
    else:
        unknown = [n for n in names if n not in models]
        if unknown:
            available = ", ".join(sorted(models)) or "none (no plugin loaded)"
            raise ConfigError(
                f"unknown model(s): {', '.join(unknown)}",
                source="--model",
                hint=f"registered models: {available}; install the plugin or check BENCHSUITE_PLUGINS",
            )
        selected = sorted(set(names))
    cells = [
        Cell(name, kind)
        for name in selected
        for kind in TASKS
        if kind in models[name].spec.tasks and (task is None or kind == task)
    ]
    if not cells:
        what = f"the {task} task" if task else "any task"
        raise ConfigError(
            f"the selection holds no (model, task) cell: no selected model supports {what}",
            source="--task" if task else "--model",
            hint="pick models that support the task (see `benchsuite list`)",
        )
    return sorted(cells)


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``"K/N"`` (1-based shard K of N).

    Raises
    ------
    ConfigError
        Not of the form K/N, N < 1, or K outside 1..N.
    """
    match = _SHARD.fullmatch(text or "")
    if not match:
        raise ConfigError(
            f"cannot parse shard {text!r}",
            source="--shard",
            hint="use K/N with 1 <= K <= N, e.g. --shard 2/8",
        )
    k, n = int(match.group(1)), int(match.group(2))
    if n < 1 or not 1 <= k <= n:
        raise ConfigError(
            f"shard {k}/{n} is out of range", source="--shard", hint="use K/N with 1 <= K <= N (K is 1-based)"
        )
    return k, n


def shard_cells(cells: Iterable[Cell], k: int, n: int) -> list[Cell]:
    """The cells of shard ``k`` of ``n`` (1-based): those at index ``k - 1`` modulo ``n``.

    The input order must be the deterministic matrix order (:func:`build_matrix`).
    """
    if n < 1 or not 1 <= k <= n:
        raise ConfigError(
            f"shard {k}/{n} is out of range", source="--shard", hint="use K/N with 1 <= K <= N (K is 1-based)"
        )
    return [cell for index, cell in enumerate(cells) if index % n == k - 1]


def unsupported_tasks(manifest: Manifest) -> dict[str, str]:
    """Task kind -> a one-line reason, for each task the bundle cannot support.

    The binary task needs a label target (a target with ``peaks:``), the quantitative task a
    coverage target (a target with ``track:``).
    """
    reasons: dict[str, str] = {}
    if not manifest.label_targets:
        reasons["binary"] = (
            f"bundle {manifest.name!r} has no peak files (no target has `peaks:`), so there are "
            "no binary labels"
        )
    if not manifest.coverage_targets:
        reasons["quantitative"] = (
            f"bundle {manifest.name!r} has no coverage tracks (every target is label-only: no "
            "`track:`), so there is no quantitative target"
        )
    return reasons


def applicable_cells(cells: Iterable[Cell], manifest: Manifest) -> tuple[list[Cell], list[tuple[Cell, str]]]:
    """Split ``cells`` into those the bundle supports and ``(cell, reason)`` pairs it does not.

    Order is kept in both lists (the matrix order of :func:`build_matrix`).
    """
    reasons = unsupported_tasks(manifest)
    kept: list[Cell] = []
    skipped: list[tuple[Cell, str]] = []
    for cell in cells:
        if cell.task in reasons:
            skipped.append((cell, reasons[cell.task]))
        else:
            kept.append(cell)
    return kept, skipped
