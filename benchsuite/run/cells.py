"""One (model, task) cell of ``benchsuite run``: train it, evaluate it with the fixed harness, record it.

A cell lives in ``<out>/<fingerprint[:12]>/<model>/<task>/seed<seed>/`` (:func:`cell_dir`):

- ``record.json`` exists and reads back valid for this cell -> finished, skipped;
- else ``checkpoint.ckpt`` + ``train.json`` of the same settings exist -> evaluate only;
- else train (:func:`benchsuite.train.fit.fit_cell`), then evaluate and write the record.

An evaluate-only model (``ModelSpec(load=...)`` without ``build``) is never trained: its cell
loads the weights through the plugin and scores them
(:func:`benchsuite.adapt.pretrained.evaluate_pretrained`); its record says
``provenance.trained_by_suite: false``.

The resume checks are in :mod:`benchsuite.run.resume`; the evaluation of a checkpoint and its
record (shared with ``benchsuite evaluate``) in :mod:`benchsuite.run.scoring`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from benchsuite.errors import RecordError
from benchsuite.run.context import RECORD_NAME, RunContext, report_failure, wandb_run, write_and_log
from benchsuite.run.matrix import Cell
from benchsuite.run.resume import discard_scratch, plain_json, read_valid_record, usable_train_info
from benchsuite.run.scoring import EVAL_FIGURES, evaluate_checkpoint, model_record
from benchsuite.run.summary import CellOutcome, fmt_metric, headline

if TYPE_CHECKING:
    from benchsuite.data.datamodule import BinaryDataModule, QuantitativeDataModule
    from benchsuite.plugins.manager import RegisteredModel
    from benchsuite.results.wandb_logging import WandbRun
    from benchsuite.train.fit import TrainingSettings

__all__ = ["cell_dir", "run_cell"]


def cell_dir(root: Path, model: str, task: str, seed: int) -> Path:
    """``<out>/<fingerprint[:12]>/<model>/<task>/seed<seed>/``."""
    return Path(root) / model / task / f"seed{seed}"


def run_cell(ctx: RunContext, cell: Cell) -> CellOutcome:
    """Run (or resume, or skip) one cell; failures become a ``"failed"`` outcome, never an exception.

    ``status`` of the outcome: ``"skipped"`` (a valid record existed), ``"trained"``,
    ``"evaluated"`` (training had finished before), ``"trained-only"`` (a non-main DDP process)
    or ``"failed"``.
    """
    from benchsuite.train.fit import resolve_training

    options = ctx.options
    registered = ctx.registered(cell)
    folder = cell_dir(ctx.root, cell.name, cell.task, options.seed)
    record_path = folder / RECORD_NAME
    label = str(cell)
    started = time.perf_counter()
    if registered.spec.evaluate_only:
        return _run_pretrained(ctx, cell, registered, folder, label)

    try:
        settings = resolve_training(
            registered.spec, cell.task, options.profile, max_epochs=options.max_epochs
        )
    except Exception as exc:
        return _failed(ctx, cell, registered, label, started, exc)
    skipped = _skip_if_finished(ctx, cell, settings, folder, label)
    if skipped is not None:
        skipped.plugin = registered.tag
        return skipped

    try:
        config = _wandb_config(ctx, cell, registered, settings)
        with wandb_run(ctx, name=f"{cell}/seed{options.seed}", config=config) as run:
            train_info = usable_train_info(folder, options.profile, settings)
            if train_info is not None:
                discard_scratch(folder)
                status = "evaluated"
                ctx.console.print(
                    f"[bold]evaluating[/] {escape(label)} (training had finished)", highlight=False
                )
            else:
                status = "trained"
                train_info = _train(ctx, cell, registered, settings, folder, label, run)
            if not ctx.main or train_info is None:
                return CellOutcome(
                    cell.name,
                    cell.task,
                    "trained-only",
                    time.perf_counter() - started,
                    plugin=registered.tag,
                )
            record = _evaluate(ctx, cell, registered, folder, train_info, run)
            write_and_log(run, record_path, record, label=label)
    except Exception as exc:
        return _failed(ctx, cell, registered, label, started, exc)
    return _done(ctx, cell, registered, label, started, status, record, record_path)


def _failed(
    ctx: RunContext, cell: Cell, registered: RegisteredModel, label: str, started: float, exc: Exception
) -> CellOutcome:
    """The ``"failed"`` outcome of a cell, reported with its plugin's name."""
    return CellOutcome(
        cell.name,
        cell.task,
        "failed",
        time.perf_counter() - started,
        error=report_failure(ctx, label, exc, registered),
        plugin=registered.tag,
    )


def _done(
    ctx: RunContext,
    cell: Cell,
    registered: RegisteredModel,
    label: str,
    started: float,
    status: str,
    record: dict[str, Any],
    record_path: Path,
) -> CellOutcome:
    """Print the cell's result line; its outcome."""
    elapsed = time.perf_counter() - started
    metrics = headline(record)
    shown = ", ".join(f"{k}={fmt_metric(v)}" for k, v in metrics.items() if v is not None)
    ctx.console.print(f"[green]done[/] {escape(label)} in {elapsed:.1f}s  {escape(shown)}", highlight=False)
    return CellOutcome(
        cell.name, cell.task, status, elapsed, metrics=metrics, record=record_path, plugin=registered.tag
    )


def _run_pretrained(
    ctx: RunContext, cell: Cell, registered: RegisteredModel, folder: Path, label: str
) -> CellOutcome:
    """The cell of an evaluate-only model: load, score, record (skipped when its record is valid)."""
    from benchsuite.adapt.pretrained import evaluate_pretrained, pretrained_record

    options = ctx.options
    record_path = folder / RECORD_NAME
    started = time.perf_counter()
    expect = {
        "model.name": cell.model,
        "task": cell.task,
        "seed": options.seed,
        "dataset.fingerprint": ctx.cache.fingerprint,
        "dataset.profile": options.profile,
        "provenance.trained_by_suite": False,
    }
    record = read_valid_record(record_path, expect=expect)
    if record is not None:
        ctx.console.print(f"[dim]finished[/] {escape(label)} (record exists, skipped)", highlight=False)
        return CellOutcome(
            cell.name,
            cell.task,
            "skipped",
            0.0,
            metrics=headline(record),
            record=record_path,
            plugin=registered.tag,
        )
    if not ctx.main:
        return CellOutcome(cell.name, cell.task, "trained-only", 0.0, plugin=registered.tag)
    config = {"model": cell.model, "task": cell.task, "plugin": registered.plugin, "evaluate_only": True}
    try:
        with wandb_run(ctx, name=f"{cell}/seed{options.seed}", config=config) as run:
            ctx.console.print(
                f"[bold]scoring[/] {escape(label)} (evaluate-only, not trained)", highlight=False
            )
            result, info = evaluate_pretrained(
                registered,
                cell.task,
                ctx.cache,
                ctx.manifest,
                options=ctx.eval_options,
                device=ctx.device,
                out_dir=folder / "figures" if EVAL_FIGURES.get(options.profile, True) else None,
            )
            record = pretrained_record(
                registered=registered,
                task=cell.task,
                manifest=ctx.manifest,
                cache=ctx.cache,
                profile=options.profile,
                result=result,
                info=info,
                seed=options.seed,
                wandb=run.reference,
            )
            write_and_log(run, record_path, record, label=label)
    except Exception as exc:
        return _failed(ctx, cell, registered, label, started, exc)
    return _done(ctx, cell, registered, label, started, "evaluated", record, record_path)


def finished_cell(ctx: RunContext, cell: Cell) -> CellOutcome | None:
    """The ``"skipped"`` outcome of a suite-trained cell whose record is valid for this run, else
    None (also for evaluate-only models and settings that do not resolve: :func:`run_cell` then
    reports them). Cheap, so a run checks every cell before starting worker processes."""
    from benchsuite.train.fit import resolve_training

    registered = ctx.registered(cell)
    if registered.spec.evaluate_only:
        return None
    try:
        settings = resolve_training(
            registered.spec, cell.task, ctx.options.profile, max_epochs=ctx.options.max_epochs
        )
    except Exception:  # noqa: BLE001 - run_cell reports it with the plugin's name
        return None
    folder = cell_dir(ctx.root, cell.name, cell.task, ctx.options.seed)
    skipped = _skip_if_finished(ctx, cell, settings, folder, str(cell))
    if skipped is not None:
        skipped.plugin = registered.tag
    return skipped


def _skip_if_finished(
    ctx: RunContext, cell: Cell, settings: TrainingSettings, folder: Path, label: str
) -> CellOutcome | None:
    """The ``"skipped"`` outcome when the cell's record is valid for this run; else None."""
    options = ctx.options
    record_path = folder / RECORD_NAME
    record = read_valid_record(
        record_path,
        expect={
            "model.name": cell.model,
            "task": cell.task,
            "seed": options.seed,
            "dataset.fingerprint": ctx.cache.fingerprint,
            "dataset.profile": options.profile,
            "hyperparameters.training": plain_json(settings.to_dict()),
        },
    )
    if record is None:
        return None
    discard_scratch(folder)
    ctx.console.print(f"[dim]finished[/] {escape(label)} (record exists, skipped)", highlight=False)
    return CellOutcome(cell.name, cell.task, "skipped", 0.0, metrics=headline(record), record=record_path)


def _wandb_config(
    ctx: RunContext, cell: Cell, registered: RegisteredModel, settings: TrainingSettings
) -> dict[str, Any]:
    """The config of the cell's W&B run (build hyperparameters of the profile's model sizes)."""
    from benchsuite.train.fit import model_size_profile

    options = ctx.options
    return {
        "model": cell.model,
        "task": cell.task,
        "plugin": registered.plugin,
        "distribution": registered.distribution,
        "distribution_version": registered.version,
        "dataset": {"name": ctx.manifest.name, "fingerprint": ctx.cache.fingerprint},
        "profile": options.profile,
        "seed": options.seed,
        "build_hparams": registered.spec.hparams(model_size_profile(options.profile)),
        "training": settings.to_dict(),
        **({"tuned": dict(registered.tuned)} if registered.tuned else {}),
    }


def _train(
    ctx: RunContext,
    cell: Cell,
    registered: RegisteredModel,
    settings: TrainingSettings,
    folder: Path,
    label: str,
    run: WandbRun,
) -> dict[str, Any] | None:
    """Train the cell into ``folder``; its ``train.json``, or None in a non-main DDP process."""
    from benchsuite.train.fit import fit_cell, read_train_info

    options = ctx.options
    ctx.console.print(f"[bold]training[/] {escape(label)}", highlight=False)
    datamodule = _make_datamodule(ctx, registered, cell.task, settings)
    fit_cell(
        registered,
        cell.task,
        datamodule,
        folder,
        profile=options.profile,
        seed=options.seed,
        trainer_kwargs=ctx.trainer_kwargs,
        logger=run.lightning_logger(),
        settings=settings,
        extra={
            "dataset_name": ctx.manifest.name,
            "dataset_fingerprint": ctx.cache.fingerprint,
            "bundle": str(Path(ctx.bundle).resolve()),
        },
        progress=options.progress,
    )
    if not ctx.main:
        return None
    train_info = read_train_info(folder)
    if train_info is None:  # pragma: no cover - fit_cell writes it or raises
        raise RecordError("training finished without train.json", source=folder)
    return train_info


def _evaluate(
    ctx: RunContext,
    cell: Cell,
    registered: RegisteredModel,
    folder: Path,
    train_info: dict[str, Any],
    run: WandbRun,
) -> dict[str, Any]:
    """Evaluate the cell's checkpoint with the fixed harness; its record (not yet written)."""
    options = ctx.options
    result, _task, info, eval_seconds = evaluate_checkpoint(
        folder / "checkpoint.ckpt",
        ctx.cache,
        ctx.manifest,
        options=ctx.eval_options,
        registry=ctx.registry,
        device=ctx.device,
        out_dir=folder / "figures" if EVAL_FIGURES.get(options.profile, True) else None,
    )
    return model_record(
        registered=registered,
        task=cell.task,
        manifest=ctx.manifest,
        cache=ctx.cache,
        profile=options.profile,
        seed=options.seed,
        build_hparams=info["build_hparams"],
        train_info=train_info,
        evaluation=result.to_dict(),
        eval_seconds=eval_seconds,
        eval_cpu_seconds=info.get("evaluate_cpu_seconds"),
        wandb=run.reference,
        checkpoint=folder / "checkpoint.ckpt",
    )


def _make_datamodule(
    ctx: RunContext, registered: RegisteredModel, task: str, settings: TrainingSettings
) -> BinaryDataModule | QuantitativeDataModule:
    """The cell's datamodule: augmentation, batch size and workers of the training settings."""
    from benchsuite.data.datamodule import BinaryDataModule, QuantitativeDataModule

    common: dict[str, Any] = {
        "cache_dir": ctx.options.cache_dir,
        "random_shift": settings.random_shift,
        "reverse_complement": settings.reverse_complement,
        "batch_size": settings.batch_size,
        "num_workers": ctx.options.num_workers,
        "seed": ctx.options.seed,
        "progress": False,
    }
    if task == "quantitative":
        return QuantitativeDataModule(ctx.manifest, bin_size=registered.spec.bin_size, **common)
    return BinaryDataModule(ctx.manifest, **common)
