"""The ceilings of a run's dataset as ``kind="ceiling"`` records, computed once per dataset and bin.

The oracle ceiling (simulated bundles: the simulator's noise-free expected coverage as a
predictor) and the replicate-2 ceiling (when the tracks have a second replicate: a second noisy
measurement) are scored by the same harness as the models (:mod:`benchsuite.evaluate.ceilings`)
at every bin a model on the board can use (:func:`ceiling_bins`: the dataset's
``geometry.bin_sizes``, its ``common_bin`` and its ``input_length``, a binary model's "bin"), so
each own-bin number on the board has a ceiling at the same bin. Each (ceiling, bin) is its own
record, ``<out>/<fingerprint[:12]>/ceilings/<name>/bin<b>/record.json`` with
``hyperparameters={"bin_size": b}``, and its own W&B run ``ceiling/<name>/bin<b>``; a valid
record is reused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from benchsuite.run.context import RECORD_NAME, RunContext, report_failure, wandb_run, write_and_log
from benchsuite.run.resume import read_valid_record
from benchsuite.run.summary import CellOutcome, headline

if TYPE_CHECKING:
    from benchsuite.evaluate import EvalResult

__all__ = ["ceiling_bins", "ceiling_dir", "ceiling_jobs", "run_ceilings"]

log = logging.getLogger(__name__)

#: a ceiling's computation at one bin: returns its harness result
CeilingJob = Callable[[], "EvalResult"]


def ceiling_dir(root: Path, name: str, bin_size: int) -> Path:
    """``<out>/<fingerprint[:12]>/ceilings/<name>/bin<bin_size>/``."""
    return Path(root) / "ceilings" / name / f"bin{int(bin_size)}"


def ceiling_bins(geometry: Any) -> list[int]:
    """Every bin a model on the board can use, ascending: ``bin_sizes``, ``common_bin`` and
    ``input_length`` (a binary model's one value per sequence). Bins that do not divide the
    input length are left out with a warning (no model can use them)."""
    length = int(geometry.input_length)
    wanted = {int(b) for b in geometry.bin_sizes} | {int(geometry.common_bin), length}
    bins = sorted(b for b in wanted if b >= 1 and length % b == 0)
    for b in sorted(wanted - set(bins)):
        log.warning("no ceiling at bin %s: it does not divide the input length %s", b, length)
    return bins


def ceiling_jobs(ctx: RunContext) -> list[tuple[str, int, CeilingJob]]:
    """(name, bin, callable returning an EvalResult) for each ceiling this dataset has, at each
    bin of :func:`ceiling_bins`."""
    from benchsuite.evaluate import ceilings

    manifest, cache, options = ctx.manifest, ctx.cache, ctx.eval_options
    bins = ceiling_bins(cache.geometry)
    jobs: list[tuple[str, int, CeilingJob]] = []
    if manifest.truth is not None:
        truth = manifest.truth
        for b in bins:
            job = partial(ceilings.oracle_ceiling, truth, cache, manifest, bin_size=b, options=options)
            jobs.append(("oracle", b, job))
    if any(t.replicate2 is not None for t in manifest.targets):
        for b in bins:
            job = partial(ceilings.replicate2_ceiling, cache, manifest, bin_size=b, options=options)
            jobs.append(("replicate2", b, job))
    return jobs


def run_ceilings(ctx: RunContext) -> list[CellOutcome]:
    """One outcome per (ceiling, bin) of the dataset (``kind="ceiling"``); failures are outcomes too."""
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
    return [_run_ceiling(ctx, name, bin_size, job) for name, bin_size, job in jobs]


def _run_ceiling(ctx: RunContext, name: str, bin_size: int, job: CeilingJob) -> CellOutcome:
    """Skip the (ceiling, bin) when its record is valid; else compute it, write its record and log it."""
    record_path = ceiling_dir(ctx.root, name, bin_size) / RECORD_NAME
    label = f"ceiling {name} at {bin_size} bp"
    shown = f"{name} @ {bin_size} bp"  # the summary's model column
    started = time.perf_counter()
    record = read_valid_record(
        record_path,
        expect={
            "model.name": name,
            "hyperparameters.bin_size": bin_size,
            "dataset.fingerprint": ctx.cache.fingerprint,
            "dataset.profile": ctx.options.profile,
        },
    )
    if record is not None:
        ctx.console.print(f"[dim]finished[/] {escape(label)} (record exists, skipped)", highlight=False)
        return CellOutcome(
            shown,
            record.get("task", "quantitative"),
            "skipped",
            kind="ceiling",
            metrics=headline(record),
            record=record_path,
        )
    try:
        ctx.console.print(f"[bold]evaluating[/] {escape(label)}", highlight=False)
        # ceilings are W&B runs too, so a board rebuilt from W&B run folders alone has them
        config = {"kind": "ceiling", "ceiling": name, "bin_size": bin_size}
        with wandb_run(ctx, name=f"ceiling/{name}/bin{bin_size}", config=config) as run:
            result = job()
            record = _ceiling_record(ctx, name, bin_size, result, started=started, wandb=run.reference)
            write_and_log(run, record_path, record, label=label)
    except Exception as exc:
        return CellOutcome(
            shown,
            "quantitative",
            "failed",
            time.perf_counter() - started,
            kind="ceiling",
            error=report_failure(ctx, label, exc),
        )
    elapsed = time.perf_counter() - started
    ctx.console.print(f"[green]done[/] {escape(label)} in {elapsed:.1f}s", highlight=False)
    return CellOutcome(
        shown,
        "quantitative",
        "evaluated",
        elapsed,
        kind="ceiling",
        metrics=headline(record),
        record=record_path,
    )


def _ceiling_record(
    ctx: RunContext, name: str, bin_size: int, result: EvalResult, *, started: float, wandb: dict | None
) -> dict[str, Any]:
    """The ``kind="ceiling"`` record of ``result`` at ``bin_size`` (evaluation time counted from
    ``started``)."""
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
        hyperparameters={"bin_size": int(bin_size)},
        seed=ctx.options.seed,
        evaluation=result.to_dict(),
        timings={"evaluate_s": round(time.perf_counter() - started, 3)},
        wandb=wandb,
    )
