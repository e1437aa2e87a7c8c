"""The benchmark runner behind ``benchsuite run``: every selected (model, task) cell, resumably.

For one invocation the runner

1. loads the plugins and builds the (model, task) matrix (``--all`` / ``--model``, ``--task``,
   ``--shard K/N``; :mod:`benchsuite.run.matrix`);
2. finds the bundle: ``--bundle`` (a simulated bundle or a real-data manifest), or simulates
   the profile's bundle into ``<out>/bundles/<profile>-seed<seed>/`` (reused when present and
   its simulator fingerprint matches; :mod:`benchsuite.run.bundle`);
3. prepares the dataset cache once (reused by fingerprint) and computes the ceilings of the
   dataset (oracle for simulated bundles, replicate 2 when the tracks have it) as
   ``kind="ceiling"`` records (:mod:`benchsuite.run.ceilings`);
4. runs each cell in ``<out>/<fingerprint[:12]>/<model>/<task>/seed<seed>/``
   (:mod:`benchsuite.run.cells`, resume checks in :mod:`benchsuite.run.resume`):

   - ``record.json`` exists and reads back valid (schema + checksum, same harness version)
     -> the cell is finished, skip it;
   - else ``checkpoint.ckpt`` + ``train.json`` exist -> training finished, evaluate only;
   - else train (:func:`benchsuite.train.fit.fit_cell`), then evaluate with the fixed harness
     (:mod:`benchsuite.run.scoring`) and write the record atomically.

   Cells run ``--jobs`` at a time (worker processes when more than one), each at
   ``--threads-per-cell`` intra-op threads, so the records do not depend on the machine's core
   count (:mod:`benchsuite.run.parallel`).

Every file is written atomically (Lightning's own checkpoints live in a scratch folder and the
best one is copied atomically), and ``train.json`` is written only after the checkpoint, so a
``kill -9`` at any moment followed by the same command redoes exactly the unfinished cells.

A failing cell (plugin exception, contract error, NaN loss, evaluation error, time limit) is
reported with its plugin's distribution and version and the others go on; each cell runs
isolated (``--isolate``: :mod:`benchsuite.run.isolation`). :attr:`RunSummary.exit_code` is
non-zero if any cell failed or any plugin failed to load (:mod:`benchsuite.run.summary`).

The public names of those modules are importable from here as well.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from benchsuite.errors import ConfigError
from benchsuite.run.bundle import resolve_bundle
from benchsuite.run.ceilings import ceiling_dir, run_ceilings
from benchsuite.run.cells import cell_dir, finished_cell
from benchsuite.run.context import RECORD_NAME, RunContext, is_main_process
from benchsuite.run.isolation import check_isolation, run_isolated, wants_process
from benchsuite.run.matrix import Cell, applicable_cells, build_matrix, parse_shard, shard_cells
from benchsuite.run.parallel import cell_threads, check_jobs, resolve_jobs, run_parallel
from benchsuite.run.scoring import (
    EVAL_FIGURES,
    EVAL_PROFILES,
    eval_device,
    eval_options_for,
    evaluate_checkpoint,
    model_record,
)
from benchsuite.run.summary import HEADLINE_METRICS, CellOutcome, RunSummary, plugin_failures, print_summary

if TYPE_CHECKING:
    from benchsuite.plugins.manager import Registry

__all__ = [
    "HEADLINE_METRICS",
    "EVAL_PROFILES",
    "EVAL_FIGURES",
    "RECORD_NAME",
    "WANDB_PROJECT",
    "RunOptions",
    "CellOutcome",
    "RunSummary",
    "run_benchmark",
    "cell_dir",
    "ceiling_dir",
    "resolve_bundle",
    "eval_device",
    "eval_options_for",
    "evaluate_checkpoint",
    "select_cells",
    "model_record",
    "print_summary",
]

#: W&B project of benchmark runs
WANDB_PROJECT = "benchsuite"


@dataclass
class RunOptions:
    """Everything ``benchsuite run`` was asked to do (see ``benchsuite run --help``).

    ``jobs=None`` picks the number of cells run at once for this machine
    (:func:`benchsuite.run.parallel.resolve_jobs`; the CLI's default); the API default is 1.
    """

    models: tuple[str, ...] = ()
    all_models: bool = False
    task: str | None = None
    profile: str = "default"
    bundle: Path | None = None
    out: Path = Path("runs")
    seed: int = 0
    shard: str | None = None
    wandb: str = "offline"
    wandb_project: str = WANDB_PROJECT
    accelerator: str | None = None
    devices: str | None = None
    num_nodes: int | None = None
    strategy: str | None = None
    precision: str | None = None
    max_epochs: int | None = None
    num_workers: int = 0
    cagi5: bool = True
    motifs: bool = True
    ceilings: bool = True
    cache_dir: Path | None = None
    progress: bool = True
    isolate: str = "none"
    cell_timeout: float | None = None
    jobs: int | None = 1
    threads_per_cell: int = 1
    tuned: tuple[Path, ...] = ()

    def runs_ceilings(self) -> bool:
        """Ceilings are computed by unsharded runs and by shard 1 only."""
        if not self.ceilings:
            return False
        return not self.shard or parse_shard(self.shard)[0] == 1


def select_cells(options: RunOptions, registry: Registry) -> list[Cell]:
    """The cells of this invocation: the matrix of the selection, then this shard of it."""
    shard = parse_shard(options.shard) if options.shard else None
    if options.tuned:
        from benchsuite.run.tuned import tuned_cells

        if options.models or options.all_models or options.task:
            raise ConfigError(
                "--tuned selects its cells itself (the model and task of each tuned profile)",
                source="--tuned",
                hint="drop --model/--all/--task, or run them in a separate invocation",
            )
        cells = tuned_cells(options.tuned, registry, options.profile)
    else:
        cells = build_matrix(
            registry.models, names=options.models, all_models=options.all_models, task=options.task
        )
    return shard_cells(cells, *shard) if shard else cells


def run_benchmark(
    options: RunOptions,
    *,
    registry: Registry | None = None,
    console: Console | None = None,
) -> RunSummary:
    """Run (or resume) every selected cell and return the summary.

    Parameters
    ----------
    options:
        What to run (see :class:`RunOptions`).
    registry:
        The plugin registry (default: :func:`benchsuite.plugins.load_plugins`).
    console:
        Where progress and the per-cell reports go (default: a stderr console).

    Returns
    -------
    RunSummary
        One outcome per ceiling and cell, in matrix order; ``exit_code`` is 1 if any failed.

    Raises
    ------
    ConfigError
        Bad selection, shard, profile, W&B mode or trainer options (nothing is run).
    ManifestError, InputFileError, DatasetError
        The bundle cannot be read or prepared.
    """
    started = time.perf_counter()
    console = console or Console(stderr=True)
    _check_options(options)
    registry = _load_registry(registry, console)
    check_isolation(options, registry)
    cells = select_cells(options, registry)
    ctx = _prepare(options, registry, console)
    cells, not_applicable = applicable_cells(cells, ctx.manifest)
    console.print(
        f"[bold]benchsuite run[/]: {len(cells)} cell(s) on {escape(ctx.manifest.name)} "
        f"(dataset {ctx.cache.fingerprint[:12]}, profile {options.profile}, seed {options.seed}) "
        f"-> {escape(str(ctx.root))}",
        highlight=False,
    )
    outcomes: list[CellOutcome] = []
    with cell_threads(options.threads_per_cell):  # the same thread count in every process
        if ctx.main and options.runs_ceilings():
            outcomes.extend(run_ceilings(ctx))
        for cell, reason in not_applicable:  # a task the bundle cannot support: one line, not a failure
            console.print(f"[dim]not applicable[/] {escape(str(cell))}: {escape(reason)}", highlight=False)
            outcomes.append(CellOutcome(cell.name, cell.task, "not-applicable", error=reason))
        outcomes.extend(_run_cells(ctx, cells))
    return RunSummary(
        outcomes,
        ctx.root,
        ctx.bundle,
        ctx.cache.fingerprint,
        time.perf_counter() - started,
        plugin_failures=plugin_failures(registry),
        plugin_warnings=[str(w) for w in getattr(registry, "warnings", [])],
    )


def _run_cells(ctx: RunContext, cells: list[Cell]) -> list[CellOutcome]:
    """The cells, at ``--threads-per-cell`` threads each: in worker processes, up to ``--jobs``
    at once (:func:`benchsuite.run.parallel.run_parallel`), or one after the other in this process."""
    options = ctx.options
    finished = {i: done for i, cell in enumerate(cells) if (done := finished_cell(ctx, cell)) is not None}
    todo = [cell for i, cell in enumerate(cells) if i not in finished]  # no worker for a finished cell
    jobs = resolve_jobs(options, ctx.registry, len(todo))
    if todo:
        where = "worker processes" if jobs > 1 or wants_process(options) else "this process"
        ctx.console.print(
            f"[dim]{jobs} cell(s) at a time in {where}, {options.threads_per_cell} thread(s) per cell[/]",
            highlight=False,
        )
    if jobs > 1 or wants_process(options):
        ran = iter(run_parallel(ctx, todo, jobs) if todo else [])
    else:
        ran = iter([run_isolated(ctx, cell) for cell in todo])
    return [finished[i] if i in finished else next(ran) for i in range(len(cells))]


def _check_options(options: RunOptions) -> None:
    """Refuse, before anything runs: an unknown profile or W&B mode, ``--max-epochs < 1``,
    ``--num-workers < 0``, ``--out``/``--cache`` paths that are files, and Trainer options
    Lightning would reject or this machine cannot serve."""
    from benchsuite.results.wandb_logging import WANDB_MODES
    from benchsuite.train.fit import TRAINING_PROFILES

    if options.profile not in TRAINING_PROFILES:
        raise ConfigError(
            f"unknown profile {options.profile!r}",
            source="--profile",
            hint=f"choose one of {', '.join(TRAINING_PROFILES)}",
        )
    if options.wandb not in WANDB_MODES:
        raise ConfigError(
            f"unknown W&B mode {options.wandb!r}",
            source="--wandb",
            hint=f"use one of {', '.join(WANDB_MODES)}",
        )
    if options.max_epochs is not None and options.max_epochs < 1:
        raise ConfigError(
            f"--max-epochs must be >= 1, got {options.max_epochs}", source="--max-epochs", hint="pass N >= 1"
        )
    check_jobs(options)
    if options.num_workers < 0:
        raise ConfigError(f"--num-workers must be >= 0, got {options.num_workers}", source="--num-workers")
    from benchsuite.io.paths import require_directory
    from benchsuite.train.fit import trainer_options
    from benchsuite.train.trainer_checks import check_trainer_options

    require_directory(Path(options.out), option="--out")
    if options.cache_dir is not None:
        require_directory(Path(options.cache_dir), option="--cache")

    check_trainer_options(
        trainer_options(
            accelerator=options.accelerator,
            devices=options.devices,
            num_nodes=options.num_nodes,
            strategy=options.strategy,
            precision=options.precision,
        )
    )


def _load_registry(registry: Registry | None, console: Console) -> Registry:
    """``registry``, or the installed plugins; plugin problems are printed, not raised (they make
    the exit code 1 once the cells ran)."""
    if registry is None:
        from benchsuite.plugins import load_plugins

        registry = load_plugins()
    for error in getattr(registry, "errors", []):
        console.print(f"[yellow]plugin problem:[/] {escape(str(error))}", highlight=False)
    for warning in getattr(registry, "warnings", []):
        console.print(f"[yellow]plugin warning:[/] {escape(str(warning))}", highlight=False)
    return registry


def _prepare(options: RunOptions, registry: Registry, console: Console) -> RunContext:
    """Trainer options, the bundle, its dataset cache and the evaluation options of this run."""
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.evaluate.bundle_inputs import check_evaluation_inputs
    from benchsuite.train.fit import trainer_options

    trainer_kwargs = trainer_options(
        accelerator=options.accelerator,
        devices=options.devices,
        num_nodes=options.num_nodes,
        strategy=options.strategy,
        precision=options.precision,
    )
    main = is_main_process()
    bundle = resolve_bundle(options, console)
    manifest = load_manifest(bundle)
    check_evaluation_inputs(manifest)
    cache = prepare_dataset(manifest, cache_dir=options.cache_dir, progress=options.progress and main)
    device = eval_device(options)
    return RunContext(
        options=options,
        registry=registry,
        console=console,
        manifest=manifest,
        cache=cache,
        root=Path(options.out) / cache.fingerprint[:12],
        bundle=Path(bundle),
        eval_options=eval_options_for(options, device=device) if main else None,
        device=device,
        trainer_kwargs=trainer_kwargs,
        main=main,
    )
