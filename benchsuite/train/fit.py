"""Train one (model, task) cell with Lightning: :func:`fit_cell`.

What happens, in order:

1. seeds are fixed (``lightning.seed_everything(seed, workers=True)``; deterministic algorithms
   in warn-only mode on CPU, where that costs nothing);
2. the model is built through its ``ModelSpec`` with the profile's hyperparameters and checked
   on a dry batch (:func:`benchsuite.plugins.check_model_contract`), so a wrong output shape is
   a :class:`~benchsuite.errors.ModelContractError` naming the plugin, before any training;
3. a :class:`lightning.Trainer` runs :class:`~benchsuite.train.module.BenchsuiteModule` with
   early stopping and best-checkpoint selection on the validation loss, a rich progress bar
   (on a terminal), the W&B logger handed in by the runner and a CSV logger, and the trainer
   options (accelerator, devices, num_nodes, strategy, precision) passed through;
4. Lightning's checkpoints go to ``<cell>/scratch/``; the best one is then copied atomically
   to ``<cell>/checkpoint.ckpt`` and only after that ``<cell>/train.json`` (the "training
   finished" marker, atomic) is written.

Per-profile budgets (:data:`TRAINING_PROFILES`) are fixed step budgets, so a cell trains
the same number of optimiser steps on the same batches whatever the machine and its load, and
whatever the size of the dataset (Lightning ``max_steps``; a dataset with fewer batches than
a round of ``limit_train_batches`` repeats passes, see :mod:`benchsuite.train.budget`):
``smoke`` at most 12 steps (seconds per cell), ``default`` exactly 800 steps of 32
sequences (30-85 s per cell on two CPU cores, no early stopping); ``converge`` trains to
convergence with early stopping on the validation loss (rounds of 50 steps, patience 5
rounds, at most 5,000 steps; the ``default`` model sizes): the profile for real data on a
CPU; ``paper`` follows the paper (up to 100 full epochs, early-stopping patience from the
model's defaults, 10 for the paper's CNN/ResidualBind).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import shutil
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchsuite.errors import ConfigError, TrainingError
from benchsuite.io.atomic import atomic_write
from benchsuite.train.budget import step_budget
from benchsuite.train.losses import DEFAULT_LOSS, LOSSES_FOR_TASK

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.plugins.manager import RegisteredModel

__all__ = [
    "TRAINING_PROFILES",
    "TrainingSettings",
    "resolve_training",
    "model_size_profile",
    "fit_cell",
    "CHECKPOINT_NAME",
    "TRAIN_INFO_NAME",
    "SCRATCH_NAME",
    "read_train_info",
    "trainer_options",
]

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.ckpt"
TRAIN_INFO_NAME = "train.json"
SCRATCH_NAME = "scratch"

#: training budget per profile. ``None`` = take the model's own default (or the paper's).
#: ``max_epochs``/``patience`` of smoke/default are caps on the model's defaults; with
#: ``limit_train_batches`` they make a fixed step budget (an "epoch" of smoke/default is that
#: many batches of a fresh shuffle, followed by a validation pass), so results do not depend on
#: the speed or load of the machine. ``batch_size`` (smoke/default) replaces the model's batch
#: size so every model sees the same number of sequences. ``lr_scale`` multiplies the model's
#: learning rate.
#:
#: Why these values (measured on the default bundle, validation Pearson at base resolution):
#: the short CPU budgets need a larger step size to get past the initial plateau of motif
#: learning (CNN-baseline ~0.6 after ~250 steps at 3e-3, below 0.1 at 1e-3), and batches of 32
#: reach a given accuracy in fewer sequences than batches of 64 (ResidualBind-base, ReLU, 3e-3:
#: 0.49 after 400 steps x 32 = 12.8k sequences; 0.46 after 500 steps x 64 = 32k sequences).
#: Early stopping is off in ``default``: models with a ReLU first layer sit on a plateau of
#: chance-level validation loss for up to ~500 steps before they find motifs (CNN-baseline
#: binary: validation AUROC 0.55 after 300 steps, 0.59 after 500, 0.71 after 800), and a
#: patience of 4 checks stopped them there; the best checkpoint (validation loss) is still the
#: one kept.
#: ``paper`` uses the model's own rate, batch size and full epochs, with early stopping.
TRAINING_PROFILES: dict[str, dict[str, Any]] = {
    # seconds per cell: a couple of tiny epochs, enough to exercise every code path
    "smoke": {
        "max_epochs": 2,
        "patience": 2,
        "limit_train_batches": 6,
        "limit_val_batches": 3,
        "lr_scale": 3.0,
        "batch_size": None,
    },
    # about a minute of training per cell on 2 CPU cores: exactly 16 x 50 = 800 steps of 32
    # sequences (25.6k sequences, ~8 passes over the default bundle's 3.1k training chunks),
    # validation on 10 batches after every 50 steps; no early stopping (see below)
    "default": {
        "max_epochs": 16,
        "patience": 4,
        "early_stopping": False,
        "limit_train_batches": 50,
        "limit_val_batches": 10,
        "lr_scale": 3.0,
        "batch_size": 32,
    },
    # real data on a CPU: train to convergence. Rounds of 50 steps of 32 sequences (a small
    # dataset repeats passes inside a round), validation on <= 20 batches after each round,
    # early stopping after 5 rounds without a better validation loss, at most 100 rounds
    # (5,000 steps); the models have their `default` sizes and evaluation budgets
    "converge": {
        "max_epochs": 100,
        "patience": 5,
        "early_stopping": True,
        "limit_train_batches": 50,
        "limit_val_batches": 20,
        "lr_scale": 3.0,
        "batch_size": 32,
        "model_size": "default",
    },
    # the primer's experiment (`simulate --profile primer`: 1,125 training sequences of 50 bp):
    # exactly 10 x 20 = 200 steps of 32 sequences (~5.7 passes), validation on the whole
    # validation split (<= 12 batches) after every 20 steps, no early stopping; the `smoke`
    # model sizes (16-64 first-layer filters are plenty for one planted motif), so a whole
    # `run --all` takes about a minute
    "primer": {
        "max_epochs": 10,
        "patience": 10,
        "early_stopping": False,
        "limit_train_batches": 20,
        "limit_val_batches": 12,
        "lr_scale": 3.0,
        "batch_size": 32,
        "model_size": "smoke",
    },
    # the paper: up to 100 epochs, full epochs, patience from the model (paper: 6 or 10)
    "paper": {
        "max_epochs": None,
        "patience": None,
        "limit_train_batches": None,
        "limit_val_batches": None,
        "lr_scale": 1.0,
        "batch_size": None,
    },
}

_PAPER_MAX_EPOCHS = 100


def model_size_profile(profile: str) -> str:
    """The profile whose model sizes (``ModelSpec.profiles``) a training profile builds.

    ``converge`` builds the ``default`` sizes; every other profile its own.
    """
    return str(TRAINING_PROFILES.get(profile, {}).get("model_size", profile))


_PAPER_PATIENCE = 10


@dataclass(frozen=True)
class TrainingSettings:
    """Resolved training settings of one cell (stored in ``train.json`` and the record)."""

    loss: str
    lr: float
    batch_size: int
    max_epochs: int
    patience: int
    limit_train_batches: int | float
    limit_val_batches: int | float
    random_shift: bool
    reverse_complement: bool
    lr_factor: float = 0.2
    lr_patience: int = 3
    lr_scale: float = 1.0
    early_stopping: bool = True

    @property
    def max_steps(self) -> int | None:
        """The step budget (``max_epochs x limit_train_batches``), ``None`` for full epochs."""
        if isinstance(self.limit_train_batches, int):
            return self.max_epochs * self.limit_train_batches
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the settings (with the derived ``max_steps``)."""
        return {**asdict(self), "max_steps": self.max_steps}


def resolve_training(
    spec: Any, task_kind: str, profile: str, *, max_epochs: int | None = None
) -> TrainingSettings:
    """Combine the model's defaults with the profile's budget.

    Parameters
    ----------
    spec:
        The model's ``ModelSpec`` (``defaults`` may hold ``loss``, ``lr``, ``batch_size``,
        ``max_epochs``, ``patience``, ``random_shift``, ``reverse_complement``, per task).
    task_kind:
        ``"binary"`` or ``"quantitative"``.
    profile:
        ``"smoke"``, ``"default"``, ``"converge"`` or ``"paper"``.
    max_epochs:
        Explicit override (``--max-epochs``); wins over everything.

    Raises
    ------
    ConfigError
        Unknown profile or a non-positive ``max_epochs``.
    """
    if profile not in TRAINING_PROFILES:
        raise ConfigError(
            f"unknown profile {profile!r}",
            source="--profile",
            hint=f"choose one of {', '.join(TRAINING_PROFILES)}",
        )
    if max_epochs is not None and max_epochs < 1:
        raise ConfigError(
            f"max epochs must be >= 1, got {max_epochs}", source="--max-epochs", hint="pass N >= 1"
        )
    budget = TRAINING_PROFILES[profile]
    defaults = spec.defaults_for(task_kind) if hasattr(spec, "defaults_for") else dict(spec.defaults)

    loss = defaults.get("loss")
    if loss not in LOSSES_FOR_TASK[task_kind]:
        if loss is not None:
            log.debug(
                "model %s: default loss %r does not fit %s; using %s",
                spec.name,
                loss,
                task_kind,
                DEFAULT_LOSS[task_kind],
            )
        loss = DEFAULT_LOSS[task_kind]
    lr_scale = float(budget.get("lr_scale", 1.0))
    lr = float(defaults.get("lr", defaults.get("learning_rate", 1e-3))) * lr_scale

    model_epochs = int(defaults.get("max_epochs", _PAPER_MAX_EPOCHS))
    model_patience = int(defaults.get("patience", _PAPER_PATIENCE))
    epochs = model_epochs if budget["max_epochs"] is None else min(model_epochs, budget["max_epochs"])
    patience = model_patience if budget["patience"] is None else min(model_patience, budget["patience"])
    if max_epochs is not None:
        epochs = int(max_epochs)

    def _limit(value: Any) -> int | float:
        return 1.0 if value is None else value

    return TrainingSettings(
        loss=str(loss),
        lr=lr,
        batch_size=int(budget.get("batch_size") or defaults.get("batch_size", 64)),
        max_epochs=epochs,
        patience=max(1, patience),
        limit_train_batches=_limit(budget["limit_train_batches"]),
        limit_val_batches=_limit(budget["limit_val_batches"]),
        random_shift=bool(defaults.get("random_shift", True)),
        reverse_complement=bool(defaults.get("reverse_complement", True)),
        lr_factor=float(defaults.get("lr_factor", 0.2)),
        lr_patience=int(defaults.get("lr_patience", 3)),
        lr_scale=lr_scale,
        early_stopping=bool(budget.get("early_stopping", True)),
    )


def _is_cpu(trainer_kwargs: Mapping[str, Any]) -> bool:
    accelerator = trainer_kwargs.get("accelerator")
    if accelerator in (None, "auto"):
        import torch

        return not torch.cuda.is_available()
    return str(accelerator) == "cpu"


def _stderr_is_terminal() -> bool:
    """Progress goes to stderr (a cell's stdout is its log; ``--json`` keeps stdout clean)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Lightning's banners (GPU available, tips, "max_epochs reached") only with ``--verbose``.

    Warnings and errors still show; a known deprecation warning inside Lightning is silenced.
    """
    names = ("lightning.pytorch", "lightning.fabric")
    verbose = log.isEnabledFor(logging.DEBUG)
    levels = {name: logging.getLogger(name).level for name in names}
    try:
        if not verbose:
            for name in names:
                logging.getLogger(name).setLevel(logging.WARNING)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
            # BenchsuiteModule skips a trailing one-sequence batch on purpose
            warnings.filterwarnings("ignore", message=r".*`training_step` returned `None`.*")
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def read_train_info(cell_dir: str | Path) -> dict[str, Any] | None:
    """The ``train.json`` of a cell, or ``None`` if absent, unreadable or without a checkpoint."""
    cell = Path(cell_dir)
    info_path = cell / TRAIN_INFO_NAME
    if not info_path.is_file() or not (cell / CHECKPOINT_NAME).is_file():
        return None
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("status") != "trained":
        return None
    return info


def fit_cell(
    registered: RegisteredModel,
    task_kind: str,
    datamodule: Any,
    out_dir: str | Path,
    *,
    profile: str = "default",
    seed: int = 0,
    trainer_kwargs: Mapping[str, Any] | None = None,
    logger: Any = None,
    max_epochs: int | None = None,
    settings: TrainingSettings | None = None,
    extra: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> Path:
    """Train one (model, task) cell and keep its best checkpoint.

    Parameters
    ----------
    registered:
        The ``RegisteredModel`` from the plugin registry.
    task_kind:
        ``"binary"`` or ``"quantitative"``.
    datamodule:
        A benchsuite ``BinaryDataModule``/``QuantitativeDataModule`` (or any LightningDataModule
        with ``task_spec()``) matching ``task_kind`` and the model's bin size.
    out_dir:
        The cell folder; receives ``checkpoint.ckpt``, ``train.json``, ``logs/`` and ``scratch/``.
    profile:
        Training budget and model size (``smoke``, ``default``, ``paper``).
    seed:
        Seed for every random number generator (model init, shuffling, augmentation).
    trainer_kwargs:
        Passed to :class:`lightning.Trainer` (``accelerator``, ``devices``, ``num_nodes``,
        ``strategy``, ``precision``, ...); they override the defaults set here.
    logger:
        An extra Lightning logger (the W&B one from ``WandbRun.lightning_logger()``) or ``None``.
    max_epochs:
        Override the profile's epoch budget.
    settings:
        Pre-resolved :class:`TrainingSettings` (default: :func:`resolve_training`).
    extra:
        JSON-friendly provenance stored in the checkpoint and ``train.json``.
    progress:
        Show a rich progress bar (on stderr, only when stderr is a terminal).

    Returns
    -------
    pathlib.Path
        ``<out_dir>/checkpoint.ckpt``.

    Raises
    ------
    PluginError
        ``build`` raised.
    ModelContractError
        The dry batch gave a wrong shape/dtype/sign or NaN.
    TrainingError
        Non-finite loss, no validation loss to select a checkpoint, or interrupted training.
    """
    import lightning as L
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint, RichProgressBar
    from lightning.pytorch.loggers import CSVLogger

    from benchsuite.plugins import check_model_contract
    from benchsuite.train.module import BenchsuiteModule, task_to_dict

    spec = registered.spec
    if task_kind not in spec.tasks:
        raise ConfigError(
            f"model {spec.name!r} does not support the {task_kind!r} task",
            source="--task",
            hint=f"it supports: {', '.join(sorted(spec.tasks))}",
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    trainer_kwargs = dict(trainer_kwargs or {})
    settings = settings or resolve_training(spec, task_kind, profile, max_epochs=max_epochs)
    started = time.perf_counter()
    cpu_started = time.process_time()

    # a stale marker must never vouch for a checkpoint this run is about to replace
    (out / TRAIN_INFO_NAME).unlink(missing_ok=True)
    scratch = out / SCRATCH_NAME
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(out / "logs", ignore_errors=True)  # curves of an interrupted attempt

    L.seed_everything(seed, workers=True, verbose=False)
    task = datamodule.task_spec()  # from the manifest; Lightning prepares and sets up the data
    if task.kind != task_kind:
        raise ConfigError(
            f"the datamodule serves the {task.kind!r} task, not {task_kind!r}",
            source="datamodule",
            hint="pass a BinaryDataModule for binary and a QuantitativeDataModule for quantitative cells",
        )
    size = model_size_profile(profile)
    build_hparams = spec.hparams(size)
    # RegisteredModel.build checks task support and bin size and wraps build() errors in a
    # PluginError naming the plugin
    model = registered.build(task, profile=size)
    check_model_contract(model, spec, task, plugin=registered.plugin)

    extra_info = {
        "profile": profile,
        "seed": seed,
        "task_kind": task_kind,
        "distribution": registered.distribution,
        "distribution_version": registered.version,
        "training": settings.to_dict(),
        **dict(extra or {}),
    }
    module = BenchsuiteModule(
        model,
        task,
        loss=settings.loss,
        lr=settings.lr,
        lr_factor=settings.lr_factor,
        lr_patience=settings.lr_patience,
        model_name=spec.name,
        plugin=registered.plugin,
        build_hparams=build_hparams,
        extra=extra_info,
    )

    checkpoint_cb = ModelCheckpoint(
        dirpath=scratch / "checkpoints",
        filename="best",
        monitor="val/loss",
        mode="min",
        save_top_k=1,
        save_weights_only=True,
        auto_insert_metric_name=False,
        enable_version_counter=False,
    )
    callbacks: list[Any] = [
        # without early stopping the callback still stops on a non-finite validation loss
        EarlyStopping(
            monitor="val/loss",
            mode="min",
            patience=settings.patience if settings.early_stopping else settings.max_epochs + 1,
            check_finite=True,
        ),
        checkpoint_cb,
    ]
    show_bar = progress and _stderr_is_terminal()
    if show_bar:
        callbacks.append(RichProgressBar(leave=False, console_kwargs={"stderr": True}))
    loggers: list[Any] = [CSVLogger(save_dir=str(out), name="logs", version="")]
    if logger is not None:
        loggers.insert(0, logger)

    kwargs: dict[str, Any] = {
        "max_epochs": settings.max_epochs,
        "max_steps": settings.max_steps or -1,
        "limit_train_batches": settings.limit_train_batches,
        "limit_val_batches": settings.limit_val_batches,
        "callbacks": callbacks,
        "logger": loggers,
        "enable_progress_bar": show_bar,
        "enable_model_summary": False,
        "default_root_dir": str(scratch),
        "log_every_n_steps": 1,
        "num_sanity_val_steps": 0,
        "deterministic": "warn" if _is_cpu(trainer_kwargs) else False,
    }
    kwargs.update({k: v for k, v in trainer_kwargs.items() if v is not None})
    source = f"model {spec.name} ({task_kind})"
    budget = step_budget(
        datamodule,
        limit_train_batches=settings.limit_train_batches,
        max_steps=settings.max_steps,
        source=source,
        profile=profile,
        warn=not settings.early_stopping,
    )
    with _quiet_lightning(), budget as passes:
        trainer = L.Trainer(**kwargs)
        trainer.fit(module, datamodule=datamodule)
    if trainer.interrupted:
        raise TrainingError(
            "training was interrupted", source=source, hint="rerun the same command to resume"
        )

    checkpoint = out / CHECKPOINT_NAME
    if trainer.global_rank != 0:
        return checkpoint
    best = checkpoint_cb.best_model_path
    if not best or not Path(best).is_file():
        raise TrainingError(
            "no checkpoint was selected (the validation loss was never computed)",
            source=source,
            hint="check that the validation split is not empty and limit_val_batches > 0",
        )
    best_score = checkpoint_cb.best_model_score
    best_loss = float(best_score) if best_score is not None else float("nan")
    if not math.isfinite(best_loss):
        raise TrainingError(
            f"best validation loss is {best_loss}", source=source, hint="lower the learning rate"
        )
    with open(best, "rb") as src, atomic_write(checkpoint, "wb") as dst:
        shutil.copyfileobj(src, dst, length=1 << 20)
    elapsed = time.perf_counter() - started
    info = {
        "status": "trained",
        "model": spec.name,
        "plugin": registered.plugin,
        "task": task_to_dict(task),
        "build_hparams": build_hparams,
        "training": settings.to_dict(),
        "profile": profile,
        "seed": seed,
        "best_val_loss": best_loss,
        "epochs_trained": int(trainer.current_epoch),
        "early_stopped": bool(trainer.current_epoch < settings.max_epochs),
        "global_steps": int(trainer.global_step),
        # passes over the training data the budget took (a "round" may hold several)
        "data_passes": passes.passes(int(trainer.global_step)),
        "trainer": {
            **{k: v if isinstance(v, (int, float, bool, str)) else str(v) for k, v in trainer_kwargs.items()},
            "world_size": int(trainer.world_size),
            "precision": str(trainer.precision),
        },
        "train_seconds": round(elapsed, 3),
        "train_cpu_seconds": round(time.process_time() - cpu_started, 3),
        "checkpoint": CHECKPOINT_NAME,
        "extra": dict(extra or {}),
    }
    with atomic_write(out / TRAIN_INFO_NAME) as fh:
        json.dump(info, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
    shutil.rmtree(scratch, ignore_errors=True)
    log.info(
        "%s: trained %d epochs in %.1f s, best val loss %.4f",
        source,
        info["epochs_trained"],
        elapsed,
        best_loss,
    )
    return checkpoint


def trainer_options(
    *,
    accelerator: str | None = None,
    devices: str | int | Sequence[int] | None = None,
    num_nodes: int | None = None,
    strategy: str | None = None,
    precision: str | None = None,
) -> dict[str, Any]:
    """Collect the pass-through Trainer options that were given (``None`` = Lightning's default)."""
    options: dict[str, Any] = {}
    if accelerator is not None:
        options["accelerator"] = accelerator
    if devices is not None:
        options["devices"] = _parse_devices(devices)
    if num_nodes is not None:
        options["num_nodes"] = int(num_nodes)
    if strategy is not None:
        options["strategy"] = strategy
    if precision is not None:
        options["precision"] = precision
    return options


def _parse_devices(devices: str | int | Sequence[int]) -> str | int | list[int]:
    if isinstance(devices, int) or not isinstance(devices, str):
        return devices if isinstance(devices, int) else list(devices)
    text = devices.strip()
    if text == "auto" or text == "-1":
        return text if text == "auto" else -1
    if text.isdigit():
        return int(text)
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(
            f"cannot parse devices {devices!r}",
            source="--devices",
            hint="pass a count (2), a list (0,1) or auto",
        ) from None
