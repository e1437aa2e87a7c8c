"""The benchmark runner behind ``benchsuite run``: every selected (model, task) cell, resumably.

For one invocation the runner

1. loads the plugins and builds the (model, task) matrix (``--all`` / ``--model``, ``--task``,
   ``--shard K/N``; :mod:`benchsuite.run.matrix`);
2. finds the bundle: ``--bundle`` (a simulated bundle or a real-data manifest), or simulates
   the profile's bundle into ``<out>/bundles/<profile>-seed<seed>/`` (reused when present and
   its simulator fingerprint matches);
3. prepares the dataset cache once (reused by fingerprint) and computes the ceilings of the
   dataset (oracle for simulated bundles, replicate 2 when the tracks have it) as
   ``kind="ceiling"`` records;
4. runs each cell in ``<out>/<fingerprint[:12]>/<model>/<task>/seed<seed>/``:

   - ``record.json`` exists and reads back valid (schema + checksum, same harness version)
     -> the cell is finished, skip it;
   - else ``checkpoint.ckpt`` + ``train.json`` exist -> training finished, evaluate only;
   - else train (:func:`benchsuite.train.fit.fit_cell`), then evaluate with the fixed harness
     and write the record atomically.

Every file is written atomically (Lightning's own checkpoints live in a scratch folder and the
best one is copied atomically), and ``train.json`` is written only after the checkpoint, so a
``kill -9`` at any moment followed by the same command redoes exactly the unfinished cells.

A failing cell (plugin exception, contract error, NaN loss, evaluation error) is reported and
the others go on; :attr:`RunSummary.exit_code` is non-zero if any cell failed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from benchsuite.errors import BenchsuiteError, ConfigError, RecordError
from benchsuite.run.matrix import Cell, build_matrix, parse_shard, shard_cells

__all__ = [
    "HEADLINE_METRICS",
    "RunOptions",
    "CellOutcome",
    "RunSummary",
    "run_benchmark",
    "cell_dir",
    "ceiling_dir",
    "resolve_bundle",
    "eval_options_for",
    "evaluate_checkpoint",
    "select_cells",
    "model_record",
    "print_summary",
]

log = logging.getLogger(__name__)

RECORD_NAME = "record.json"

#: metrics shown in the summary table (mean over targets)
HEADLINE_METRICS: tuple[str, ...] = (
    "wholechrom.pearson",
    "peak.auroc",
    "cagi5.robust",
    "robustness.variation",
    "motifs.recovery_rate",
)

#: evaluation budget per profile (keyword arguments of ``EvalOptions`` that exist are used)
EVAL_PROFILES: dict[str, dict[str, Any]] = {
    # seconds per cell: small subsets for the slow families (robustness, CAGI5, motifs)
    "smoke": {
        "robustness_max_sequences": 16,
        "cagi5_shifts": 4,
        "cagi5_max_variants_per_element": 40,
        "motifs_max_sequences": 64,
    },
    # CPU-sized: the paper's 20 robustness shifts on a capped subset; CAGI5 (the costliest
    # family: variants x alleles x shifts windows) with 5 shifts and <= 60 variants per element
    "default": {
        "robustness_max_sequences": 60,
        "cagi5_shifts": 5,
        "cagi5_max_variants_per_element": 60,
        "motifs_max_sequences": 300,
    },
    # the harness defaults
    "paper": {},
}

#: whether the harness draws figures (sequence logos) per profile; logos cost seconds per cell
EVAL_FIGURES: dict[str, bool] = {"smoke": False, "default": True, "paper": True}

#: W&B project of benchmark runs
WANDB_PROJECT = "benchsuite"


@dataclass
class RunOptions:
    """Everything ``benchsuite run`` was asked to do (see ``benchsuite run --help``)."""

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

    def runs_ceilings(self) -> bool:
        """Ceilings are computed by unsharded runs and by shard 1 only."""
        if not self.ceilings:
            return False
        return not self.shard or parse_shard(self.shard)[0] == 1


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
    """The outcome of :func:`run_benchmark`."""

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
            values = [_fmt(o.metrics.get(m)) for m in HEADLINE_METRICS]
            table.add_row(
                name if o.kind != "model" else escape(name), o.task, status, f"{o.seconds:.1f}s", *values
            )
        return table


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _headline(record: Mapping[str, Any]) -> dict[str, float | None]:
    metrics = record.get("metrics") or {}
    out: dict[str, float | None] = {}
    for name in HEADLINE_METRICS:
        entry = metrics.get(name)
        out[name] = entry.get("mean") if isinstance(entry, Mapping) else None
    return out


def cell_dir(root: Path, model: str, task: str, seed: int) -> Path:
    """``<out>/<fingerprint[:12]>/<model>/<task>/seed<seed>/``."""
    return Path(root) / model / task / f"seed{seed}"


def ceiling_dir(root: Path, name: str) -> Path:
    """``<out>/<fingerprint[:12]>/ceilings/<name>/``."""
    return Path(root) / "ceilings" / name


def _is_main_process() -> bool:
    """False in the extra processes of a DDP run (they only train)."""
    for var in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID"):
        value = os.environ.get(var)
        if value not in (None, "", "0"):
            return False
    return True


# --------------------------------------------------------------------------- bundle + data


def _bundle_matches(bundle_dir: Path, profile: str, seed: int) -> bool:
    """True when ``bundle_dir`` holds an intact simulated bundle of (profile, seed) by this simulator.

    Intact: the fingerprint recorded in the manifest equals the fingerprint of the files now.
    """
    from benchsuite.data.manifest import load_manifest
    from benchsuite.simulate.bundle import SIMULATOR_VERSION, bundle_fingerprint

    try:
        manifest = load_manifest(bundle_dir)
    except BenchsuiteError as exc:
        log.warning("ignoring the unreadable bundle in %s: %s", bundle_dir, exc)
        return False
    sim = manifest.simulator or {}
    if str(sim.get("profile")) != profile or sim.get("seed") != seed:
        return False
    if str(sim.get("version")) != SIMULATOR_VERSION:
        log.info("bundle %s was made by simulator %s; simulating again", bundle_dir, sim.get("version"))
        return False
    if sim.get("fingerprint") != bundle_fingerprint(manifest.root):
        log.warning("bundle %s does not match its recorded fingerprint; simulating again", bundle_dir)
        return False
    return True


def resolve_bundle(options: RunOptions, console: Console | None = None) -> Path:
    """The bundle to run on: ``--bundle``, or the profile's simulated bundle (made once).

    Returns
    -------
    pathlib.Path
        The bundle folder or manifest file.

    Raises
    ------
    ManifestError
        ``--bundle`` is not a readable bundle.
    """
    from benchsuite.data.manifest import load_manifest

    if options.bundle is not None:
        load_manifest(options.bundle)  # fail early with a ManifestError naming the file
        return Path(options.bundle)
    target = Path(options.out) / "bundles" / f"{options.profile}-seed{options.seed}"
    if target.exists() and _bundle_matches(target, options.profile, options.seed):
        log.info("reusing the simulated bundle %s", target)
        return target
    if not _is_main_process():
        raise ConfigError(
            f"simulated bundle {target} is missing in a DDP worker process",
            source="--bundle",
            hint="simulate the bundle first (`benchsuite simulate`) and pass it with --bundle",
        )
    from benchsuite.simulate.bundle import simulate_bundle

    if console is not None:
        console.print(
            f"simulating the [bold]{options.profile}[/] bundle (seed {options.seed}) "
            f"into {escape(str(target))}",
            highlight=False,
        )
    started = time.perf_counter()
    # atomic: the bundle appears complete or not at all; force replaces a stale one
    simulate_bundle(options.profile, target, options.seed, force=True, progress=options.progress)
    log.info("simulated %s in %.1f s", target, time.perf_counter() - started)
    return target


def eval_options_for(options: RunOptions, *, device: str = "cpu") -> Any:
    """The harness ``EvalOptions`` of a run (profile budget, ``--no-cagi5``, ``--no-motifs``).

    Keys of :data:`EVAL_PROFILES` that the installed ``EvalOptions`` does not know are ignored,
    so the budget table stays valid across harness versions.
    """
    import dataclasses
    import inspect

    from benchsuite.evaluate.harness import EvalOptions

    wanted: dict[str, Any] = dict(EVAL_PROFILES.get(options.profile, {}))
    wanted.update({"cagi5": options.cagi5, "motifs": options.motifs, "device": device})
    if dataclasses.is_dataclass(EvalOptions):
        known = {f.name for f in dataclasses.fields(EvalOptions)}
    else:
        known = set(inspect.signature(EvalOptions).parameters)
    return EvalOptions(**{k: v for k, v in wanted.items() if k in known})


def _eval_device(options: RunOptions) -> str:
    accelerator = (options.accelerator or "auto").lower()
    if accelerator == "cpu":
        return "cpu"
    import torch

    if accelerator in ("gpu", "cuda", "auto") and torch.cuda.is_available():
        return "cuda"
    if accelerator == "mps" and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def evaluate_checkpoint(
    checkpoint: Path,
    cache: Any,
    manifest: Any,
    *,
    options: Any,
    registry: Any = None,
    device: str = "cpu",
    out_dir: Path | None = None,
) -> tuple[Any, Any, dict[str, Any], float]:
    """Reload a trained cell and run the fixed harness on it.

    Returns
    -------
    (result, task, info, seconds)
        The harness ``EvalResult``, the model's ``TaskSpec``, the checkpoint info of
        :func:`benchsuite.train.module.load_trained_model` and the evaluation wall time.
    """
    from benchsuite.evaluate.harness import evaluate_predictor
    from benchsuite.evaluate.predictors import TorchPredictor
    from benchsuite.train.module import load_trained_model

    started = time.perf_counter()
    cpu_started = time.process_time()
    model, task, info = load_trained_model(checkpoint, registry=registry)
    predictor = TorchPredictor(
        model, task, device=device, name=f"model {info['model']} (plugin {info['plugin']})"
    )
    spec = info["registered"].spec
    result = evaluate_predictor(
        predictor,
        cache,
        manifest,
        model=model,
        first_layer=spec.first_layer_activation,
        options=options,
        out_dir=out_dir,
    )
    info["evaluate_cpu_seconds"] = time.process_time() - cpu_started
    return result, task, info, time.perf_counter() - started


# --------------------------------------------------------------------------- the run


@dataclass
class _Context:
    options: RunOptions
    registry: Any
    console: Console
    manifest: Any
    cache: Any
    root: Path
    bundle: Path
    eval_options: Any
    device: str
    trainer_kwargs: dict[str, Any]
    main: bool


def _read_valid_record(path: Path, *, expect: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record at ``path`` if it is valid and belongs to this cell; else None (and it is removed)."""
    from benchsuite.results.record import current_harness_version, read_record

    if not path.exists():
        return None
    try:
        record = read_record(path)
    except RecordError as exc:
        log.warning("discarding the unreadable record %s: %s", path, exc)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    mismatch = [
        key for key, value in expect.items() if value is not None and _record_field(record, key) != value
    ]
    if record.get("harness_version") != current_harness_version():
        mismatch.append("harness_version")
    if mismatch:
        log.info("record %s is stale (%s differs); redoing the evaluation", path, ", ".join(mismatch))
        return None
    return record


def _record_field(record: Mapping[str, Any], key: str) -> Any:
    node: Any = record
    for part in key.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _plain_json(value: Any) -> Any:
    """``value`` as it reads back from a JSON file (for comparisons with stored settings)."""
    import json

    return json.loads(json.dumps(value))


def _usable_train_info(folder: Path, profile: str, settings: Any) -> dict[str, Any] | None:
    """``train.json`` of a cell if its training finished under the same profile and settings."""
    from benchsuite.train.fit import read_train_info

    info = read_train_info(folder)
    if info is None:
        return None
    if info.get("profile") != profile or info.get("training") != _plain_json(settings.to_dict()):
        log.info(
            "%s was trained with other settings (profile %s); training again", folder, info.get("profile")
        )
        return None
    return info


def _discard_scratch(folder: Path) -> None:
    """Remove Lightning's scratch folder left by a run killed after training had finished."""
    import shutil

    from benchsuite.train.fit import SCRATCH_NAME

    shutil.rmtree(folder / SCRATCH_NAME, ignore_errors=True)


@contextlib.contextmanager
def _wandb_run(ctx: _Context, *, name: str, config: dict[str, Any]) -> Iterator[Any]:
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


def _make_datamodule(ctx: _Context, registered: Any, task: str, settings: Any) -> Any:
    from benchsuite.data.datamodule import BinaryDataModule, QuantitativeDataModule

    common = {
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


def _fail(ctx: _Context, label: str, exc: BaseException) -> str:
    message = str(exc) if isinstance(exc, BenchsuiteError) else f"{type(exc).__name__}: {exc}"
    ctx.console.print(f"[bold red]FAILED[/] {escape(label)}: {escape(message)}", highlight=False)
    log.debug("%s failed:\n%s", label, "".join(traceback.format_exception(exc)))
    return message


def model_record(
    *,
    registered: Any,
    task: str,
    manifest: Any,
    cache: Any,
    profile: str | None,
    seed: int,
    build_hparams: Mapping[str, Any],
    train_info: Mapping[str, Any],
    evaluation: Mapping[str, Any],
    eval_seconds: float,
    wandb: dict | None,
    eval_cpu_seconds: float | None = None,
) -> dict[str, Any]:
    """The result record of a trained model (``kind="model"``), built and checksummed.

    Parameters
    ----------
    registered:
        The ``RegisteredModel``.
    task:
        ``"binary"`` or ``"quantitative"``.
    manifest, cache:
        The bundle manifest and its ``DatasetCache`` (name and fingerprint go in the record).
    profile, seed:
        The run's profile and seed.
    build_hparams:
        Keyword arguments the model was built with.
    train_info:
        The cell's ``train.json`` (training settings, epochs, best validation loss, timing).
    evaluation:
        ``EvalResult.to_dict()``.
    eval_seconds:
        Wall time of the evaluation.
    eval_cpu_seconds:
        CPU time of the evaluation (all threads of the process).
    wandb:
        ``WandbRun.reference``.
    """
    from benchsuite.results.record import build_record

    return build_record(
        kind="model",
        model=registered.spec.name,
        plugin=registered.plugin,
        distribution=registered.distribution,
        distribution_version=registered.version,
        task=task,
        dataset_name=manifest.name,
        dataset_fingerprint=cache.fingerprint,
        profile=profile,
        hyperparameters={
            "build": dict(build_hparams),
            "training": train_info.get("training"),
            "epochs_trained": train_info.get("epochs_trained"),
            "global_steps": train_info.get("global_steps"),
            "trainer": train_info.get("trainer"),
            "best_val_loss": train_info.get("best_val_loss"),
        },
        seed=seed,
        evaluation=dict(evaluation),
        timings={
            "train_s": float(train_info.get("train_seconds") or 0.0),
            "train_cpu_s": float(train_info.get("train_cpu_seconds") or 0.0),
            "evaluate_s": round(float(eval_seconds), 3),
            "evaluate_cpu_s": round(float(eval_cpu_seconds or 0.0), 3),
        },
        wandb=wandb,
    )


def _run_cell(ctx: _Context, cell: Cell) -> CellOutcome:
    from benchsuite.results.record import write_record
    from benchsuite.train.fit import fit_cell, read_train_info, resolve_training

    options = ctx.options
    registered = ctx.registry.models[cell.model]
    folder = cell_dir(ctx.root, cell.model, cell.task, options.seed)
    record_path = folder / RECORD_NAME
    label = f"{cell.model}/{cell.task}"
    started = time.perf_counter()

    try:
        settings = resolve_training(
            registered.spec, cell.task, options.profile, max_epochs=options.max_epochs
        )
    except Exception as exc:
        return CellOutcome(cell.model, cell.task, "failed", error=_fail(ctx, label, exc))
    record = _read_valid_record(
        record_path,
        expect={
            "model.name": cell.model,
            "task": cell.task,
            "seed": options.seed,
            "dataset.fingerprint": ctx.cache.fingerprint,
            "dataset.profile": options.profile,
            "hyperparameters.training": _plain_json(settings.to_dict()),
        },
    )
    if record is not None:
        _discard_scratch(folder)
        ctx.console.print(f"[dim]finished[/] {escape(label)} (record exists, skipped)", highlight=False)
        return CellOutcome(
            cell.model, cell.task, "skipped", 0.0, metrics=_headline(record), record=record_path
        )

    try:
        config = {
            "model": cell.model,
            "task": cell.task,
            "plugin": registered.plugin,
            "distribution": registered.distribution,
            "distribution_version": registered.version,
            "dataset": {"name": ctx.manifest.name, "fingerprint": ctx.cache.fingerprint},
            "profile": options.profile,
            "seed": options.seed,
            "build_hparams": registered.spec.hparams(options.profile),
            "training": settings.to_dict(),
        }
        with _wandb_run(ctx, name=f"{cell.model}/{cell.task}/seed{options.seed}", config=config) as wandb_run:
            train_info = _usable_train_info(folder, options.profile, settings)
            if train_info is not None:
                _discard_scratch(folder)
            status = "evaluated"
            if train_info is None:
                status = "trained"
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
                    logger=wandb_run.lightning_logger(),
                    settings=settings,
                    extra={
                        "dataset_name": ctx.manifest.name,
                        "dataset_fingerprint": ctx.cache.fingerprint,
                        "bundle": str(Path(ctx.bundle).resolve()),
                    },
                    progress=options.progress,
                )
                if not ctx.main:
                    return CellOutcome(cell.model, cell.task, "trained-only", time.perf_counter() - started)
                train_info = read_train_info(folder)
                if train_info is None:  # pragma: no cover - fit_cell writes it or raises
                    raise RecordError("training finished without train.json", source=folder)
            else:
                ctx.console.print(
                    f"[bold]evaluating[/] {escape(label)} (training had finished)", highlight=False
                )
            if not ctx.main:
                return CellOutcome(cell.model, cell.task, "trained-only", time.perf_counter() - started)

            result, _task, info, eval_seconds = evaluate_checkpoint(
                folder / "checkpoint.ckpt",
                ctx.cache,
                ctx.manifest,
                options=ctx.eval_options,
                registry=ctx.registry,
                device=ctx.device,
                out_dir=folder / "figures" if EVAL_FIGURES.get(options.profile, True) else None,
            )
            record = model_record(
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
                wandb=wandb_run.reference,
            )
            write_record(record_path, record)
            try:
                wandb_run.log_final(record["metrics"], record.get("figures") or {})
                wandb_run.save_record(record_path)
            except Exception as exc:  # pragma: no cover - the record on disk is what counts
                log.warning("W&B logging of %s failed: %s", label, exc)
    except Exception as exc:
        return CellOutcome(
            cell.model, cell.task, "failed", time.perf_counter() - started, error=_fail(ctx, label, exc)
        )
    elapsed = time.perf_counter() - started
    metrics = _headline(record)
    shown = ", ".join(f"{k}={_fmt(v)}" for k, v in metrics.items() if v is not None)
    ctx.console.print(f"[green]done[/] {escape(label)} in {elapsed:.1f}s  {escape(shown)}", highlight=False)
    return CellOutcome(cell.model, cell.task, status, elapsed, metrics=metrics, record=record_path)


def _ceiling_jobs(ctx: _Context) -> list[tuple[str, Any]]:
    """(name, callable returning an EvalResult) for each ceiling this dataset has."""
    from benchsuite.evaluate import ceilings

    jobs: list[tuple[str, Any]] = []
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


def _run_ceilings(ctx: _Context) -> list[CellOutcome]:
    from benchsuite import __version__
    from benchsuite.results.record import build_record, write_record

    outcomes: list[CellOutcome] = []
    try:
        jobs = _ceiling_jobs(ctx)
    except Exception as exc:
        return [
            CellOutcome(
                "ceilings", "quantitative", "failed", kind="ceiling", error=_fail(ctx, "ceilings", exc)
            )
        ]
    for name, job in jobs:
        folder = ceiling_dir(ctx.root, name)
        record_path = folder / RECORD_NAME
        label = f"ceiling {name}"
        started = time.perf_counter()
        record = _read_valid_record(
            record_path,
            expect={
                "model.name": name,
                "dataset.fingerprint": ctx.cache.fingerprint,
                "dataset.profile": ctx.options.profile,
            },
        )
        if record is not None:
            ctx.console.print(f"[dim]finished[/] {escape(label)} (record exists, skipped)", highlight=False)
            outcomes.append(
                CellOutcome(
                    name,
                    record.get("task", "quantitative"),
                    "skipped",
                    kind="ceiling",
                    metrics=_headline(record),
                    record=record_path,
                )
            )
            continue
        try:
            ctx.console.print(f"[bold]evaluating[/] {escape(label)}", highlight=False)
            # ceilings are W&B runs too, so a board rebuilt from W&B run folders alone has them
            with _wandb_run(ctx, name=f"ceiling/{name}", config={"kind": "ceiling", "ceiling": name}) as run:
                result = job()
                record = build_record(
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
                    wandb=run.reference,
                )
                write_record(record_path, record)
                try:
                    run.log_final(record["metrics"], record.get("figures") or {})
                    run.save_record(record_path)
                except Exception as exc:  # pragma: no cover - the record on disk is what counts
                    log.warning("W&B logging of %s failed: %s", label, exc)
        except Exception as exc:
            outcomes.append(
                CellOutcome(
                    name,
                    "quantitative",
                    "failed",
                    time.perf_counter() - started,
                    kind="ceiling",
                    error=_fail(ctx, label, exc),
                )
            )
            continue
        elapsed = time.perf_counter() - started
        ctx.console.print(f"[green]done[/] {escape(label)} in {elapsed:.1f}s", highlight=False)
        outcomes.append(
            CellOutcome(
                name,
                "quantitative",
                "evaluated",
                elapsed,
                kind="ceiling",
                metrics=_headline(record),
                record=record_path,
            )
        )
    return outcomes


def select_cells(options: RunOptions, registry: Any) -> list[Cell]:
    """The cells of this invocation: the matrix of the selection, then this shard of it."""
    shard = parse_shard(options.shard) if options.shard else None
    cells = build_matrix(
        registry.models, names=options.models, all_models=options.all_models, task=options.task
    )
    return shard_cells(cells, *shard) if shard else cells


def run_benchmark(
    options: RunOptions,
    *,
    registry: Any = None,
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
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.results.wandb_logging import WANDB_MODES
    from benchsuite.train.fit import TRAINING_PROFILES, trainer_options

    started = time.perf_counter()
    console = console or Console(stderr=True)
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
    if options.num_workers < 0:
        raise ConfigError(f"--num-workers must be >= 0, got {options.num_workers}", source="--num-workers")
    if registry is None:
        from benchsuite.plugins import load_plugins

        registry = load_plugins()
    for error in getattr(registry, "errors", []):
        console.print(f"[yellow]plugin problem:[/] {escape(str(error))}", highlight=False)
    cells = select_cells(options, registry)
    trainer_kwargs = trainer_options(
        accelerator=options.accelerator,
        devices=options.devices,
        num_nodes=options.num_nodes,
        strategy=options.strategy,
        precision=options.precision,
    )
    main = _is_main_process()

    bundle = resolve_bundle(options, console)
    manifest = load_manifest(bundle)
    cache = prepare_dataset(manifest, cache_dir=options.cache_dir, progress=options.progress and main)
    root = Path(options.out) / cache.fingerprint[:12]
    device = _eval_device(options)
    eval_options = eval_options_for(options, device=device) if main else None
    ctx = _Context(
        options=options,
        registry=registry,
        console=console,
        manifest=manifest,
        cache=cache,
        root=root,
        bundle=Path(bundle),
        eval_options=eval_options,
        device=device,
        trainer_kwargs=trainer_kwargs,
        main=main,
    )
    console.print(
        f"[bold]benchsuite run[/]: {len(cells)} cell(s) on {escape(manifest.name)} "
        f"(dataset {cache.fingerprint[:12]}, profile {options.profile}, seed {options.seed}) "
        f"-> {escape(str(root))}",
        highlight=False,
    )
    outcomes: list[CellOutcome] = []
    if main and options.runs_ceilings():
        outcomes.extend(_run_ceilings(ctx))
    for cell in cells:
        outcomes.append(_run_cell(ctx, cell))
    return RunSummary(outcomes, root, Path(bundle), cache.fingerprint, time.perf_counter() - started)


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
