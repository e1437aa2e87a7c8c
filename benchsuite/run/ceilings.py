"""The ceilings of a run's dataset as ``kind="ceiling"`` records, computed once per dataset.

The oracle ceiling (simulated bundles: the simulator's expected coverage as a predictor) and the
replicate-2 ceiling (when the tracks have a second replicate) are scored by the same harness as
the models (:mod:`benchsuite.evaluate.ceilings`) and written to
``<out>/<fingerprint[:12]>/ceilings/<name>/record.json``; a valid record is reused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from benchsuite.run.context import RECORD_NAME, RunContext, report_failure, wandb_run, write_and_log
from benchsuite.run.resume import read_valid_record
from benchsuite.run.summary import CellOutcome, headline

if TYPE_CHECKING:
    from benchsuite.evaluate import EvalResult

__all__ = ["ceiling_dir", "ceiling_jobs", "run_ceilings"]

#: a ceiling's computation: returns its harness result
CeilingJob = Callable[[], "EvalResult"]


def ceiling_dir(root: Path, name: str) -> Path:
    """``<out>/<fingerprint[:12]>/ceilings/<name>/``."""
    return Path(root) / "ceilings" / name


def ceiling_jobs(ctx: RunContext) -> list[tuple[str, CeilingJob]]:
    """(name, callable returning an EvalResult) for each ceiling this dataset has."""
    from benchsuite.evaluate import ceilings

    jobs: list[tuple[str, CeilingJob]] = []
    manifest = ctx.manifest
    if manifest.truth is not None:
        jobs.append(
            (
                "oracle",
                lambda: ceilings.oracle_ceiling(
                    manifest.truth, ctx.cache, manifest, options=ctx.eval_options
                ),
            )
        )
    if any(t.replicate2 is not None for t in manifest.targets):
        jobs.append(
            ("replicate2", lambda: ceilings.replicate2_ceiling(ctx.cache, manifest, options=ctx.eval_options))
        )
    return jobs


def run_ceilings(ctx: RunContext) -> list[CellOutcome]:
    """One outcome per ceiling of the dataset (``kind="ceiling"``); failures are outcomes too."""
    try:
        jobs = ceiling_jobs(ctx)
    except Exception as exc:
        return [
            CellOutcome(
                "ceilings",
                "quantitative",
                "failed",
                kind="ceiling",
                error=report_failure(ctx, "ceilings", exc),
            )
        ]
    return [_run_ceiling(ctx, name, job) for name, job in jobs]


def _run_ceiling(ctx: RunContext, name: str, job: CeilingJob) -> CellOutcome:
    """Skip the ceiling when its record is valid; else compute it, write its record and log it."""
    folder = ceiling_dir(ctx.root, name)
    record_path = folder / RECORD_NAME
    label = f"ceiling {name}"
    started = time.perf_counter()
    record = read_valid_record(
        record_path,
        expect={
            "model.name": name,
            "dataset.fingerprint": ctx.cache.fingerprint,
            "dataset.profile": ctx.options.profile,
        },
    )
    if record is not None:
        ctx.console.print(f"[dim]finished[/] {escape(label)} (record exists, skipped)", highlight=False)
        return CellOutcome(
            name,
            record.get("task", "quantitative"),
            "skipped",
            kind="ceiling",
            metrics=headline(record),
            record=record_path,
        )
    try:
        ctx.console.print(f"[bold]evaluating[/] {escape(label)}", highlight=False)
        # ceilings are W&B runs too, so a board rebuilt from W&B run folders alone has them
        with wandb_run(ctx, name=f"ceiling/{name}", config={"kind": "ceiling", "ceiling": name}) as run:
            result = job()
            record = _ceiling_record(ctx, name, result, started=started, wandb=run.reference)
            write_and_log(run, record_path, record, label=label)
    except Exception as exc:
        return CellOutcome(
            name,
            "quantitative",
            "failed",
            time.perf_counter() - started,
            kind="ceiling",
            error=report_failure(ctx, label, exc),
        )
    elapsed = time.perf_counter() - started
    ctx.console.print(f"[green]done[/] {escape(label)} in {elapsed:.1f}s", highlight=False)
    return CellOutcome(
        name,
        "quantitative",
        "evaluated",
        elapsed,
        kind="ceiling",
        metrics=headline(record),
        record=record_path,
    )


def _ceiling_record(
    ctx: RunContext, name: str, result: EvalResult, *, started: float, wandb: dict | None
) -> dict[str, Any]:
    """The ``kind="ceiling"`` record of ``result`` (evaluation time counted from ``started``)."""
    from benchsuite import __version__
    from benchsuite.results.record import build_record

    return build_record(
        kind="ceiling",
        model=name,
        plugin="benchsuite",
        distribution="benchsuite",
        distribution_version=__version__,
        task="quantitative",
        dataset_name=ctx.manifest.name,
        dataset_fingerprint=ctx.cache.fingerprint,
        profile=ctx.options.profile,
        hyperparameters={},
        seed=ctx.options.seed,
        evaluation=result.to_dict(),
        timings={"evaluate_s": round(time.perf_counter() - started, 3)},
        wandb=wandb,
    )
