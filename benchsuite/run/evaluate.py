"""Re-evaluate one trained checkpoint (``benchsuite evaluate``)."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchsuite.errors import ConfigError
from benchsuite.run.scoring import eval_device, eval_options_for, evaluate_checkpoint, model_record

if TYPE_CHECKING:
    from benchsuite.data.cache import DatasetCache
    from benchsuite.data.manifest import Manifest
    from benchsuite.plugins.manager import Registry
    from benchsuite.run.runner import RunOptions

__all__ = ["evaluate_checkpoint_to_record", "PREVIOUS_RECORD_NAME"]

#: where an in-place re-evaluation keeps the record it replaces (not gathered by leaderboards)
PREVIOUS_RECORD_NAME = "record.previous.json"

log = logging.getLogger(__name__)


def evaluate_checkpoint_to_record(
    checkpoint: str | Path,
    *,
    bundle: str | Path | None = None,
    out: str | Path | None = None,
    cache_dir: str | Path | None = None,
    accelerator: str | None = None,
    cagi5: bool = True,
    motifs: bool = True,
    registry: Registry | None = None,
    progress: bool = True,
) -> tuple[dict[str, Any], Path]:
    """Evaluate a checkpoint with the installed harness and write its record atomically.

    Parameters
    ----------
    checkpoint:
        A ``checkpoint.ckpt`` written by ``benchsuite run``.
    bundle:
        The bundle to evaluate on (default: the bundle stored in the checkpoint).
    out:
        Folder receiving ``record.json``. Default: the checkpoint's folder (the cell), where
        the cell's current record is first kept as ``record.previous.json``; that is refused
        when evaluating on another dataset than the training one (pass ``out``).
    cache_dir:
        Dataset cache folder.
    accelerator:
        ``cpu``, ``gpu`` or ``auto`` for the evaluation device.
    cagi5, motifs:
        Run the CAGI5 and motif-recovery families.
    registry:
        Plugin registry (default: :func:`benchsuite.plugins.load_plugins`).
    progress:
        Show progress while preparing the dataset.

    Returns
    -------
    (record, path)
        The written record and its path.

    Raises
    ------
    InputFileError
        The checkpoint cannot be read.
    ConfigError
        No bundle is known, the bundle's targets do not fit the model, an in-place
        evaluation on another dataset than the training one, or an ``accelerator`` this machine
        does not have.
    PluginError
        The model's plugin is not installed.
    """
    from benchsuite.results.record import write_record
    from benchsuite.run.runner import RunOptions
    from benchsuite.train.module import read_checkpoint_hparams
    from benchsuite.train.trainer_checks import check_trainer_options

    if accelerator is not None:  # --accelerator gpu without a GPU is refused, not run on the CPU
        check_trainer_options({"accelerator": accelerator})
    checkpoint = Path(checkpoint)
    hp = read_checkpoint_hparams(checkpoint)
    extra = dict(hp.get("extra") or {})
    task = hp["task"]
    manifest, cache = _dataset_of(task, extra, bundle=bundle, out=out, cache_dir=cache_dir, progress=progress)
    if registry is None:
        from benchsuite.plugins import load_plugins

        registry = load_plugins()
    profile = str(extra.get("profile", "default"))
    options = RunOptions(profile=profile, cagi5=cagi5, motifs=motifs, accelerator=accelerator)
    path = Path(out) / "record.json" if out is not None else checkpoint.parent / "record.json"
    record = _score(
        checkpoint,
        manifest,
        cache,
        task_kind=str(task["kind"]),
        extra=extra,
        options=options,
        registry=registry,
        figures=path.parent / "figures",
    )
    if out is None and path.is_file():
        _keep_previous(path)
    write_record(path, record)
    return record, path


def _score(
    checkpoint: Path,
    manifest: Manifest,
    cache: DatasetCache,
    *,
    task_kind: str,
    extra: Mapping[str, Any],
    options: RunOptions,
    registry: Registry,
    figures: Path,
) -> dict[str, Any]:
    """Run the harness on ``checkpoint`` (figures into ``figures``); its record, not yet written."""
    device = eval_device(options)
    result, _task, info, seconds = evaluate_checkpoint(
        checkpoint,
        cache,
        manifest,
        options=eval_options_for(options, device=device),
        registry=registry,
        device=device,
        out_dir=figures,
    )
    return model_record(
        registered=info["registered"],
        task=task_kind,
        manifest=manifest,
        cache=cache,
        profile=options.profile,
        seed=int(extra.get("seed", 0)),
        build_hparams=info["build_hparams"],
        train_info=_train_info_of(checkpoint, extra),
        evaluation=result.to_dict(),
        eval_seconds=seconds,
        eval_cpu_seconds=info.get("evaluate_cpu_seconds"),
        wandb=None,
        checkpoint=checkpoint,
    )


def _dataset_of(
    task: Mapping[str, Any],
    extra: Mapping[str, Any],
    *,
    bundle: str | Path | None,
    out: str | Path | None,
    cache_dir: str | Path | None,
    progress: bool,
) -> tuple[Manifest, DatasetCache]:
    """The manifest and prepared cache to evaluate a checkpoint (``task``, ``extra``) on, checked."""
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset

    manifest = load_manifest(_bundle_of(bundle, extra))
    _check_targets(manifest, task)
    cache = prepare_dataset(manifest, cache_dir=cache_dir, progress=progress)
    _check_dataset(extra.get("dataset_fingerprint"), cache, out)
    return manifest, cache


def _bundle_of(bundle: str | Path | None, extra: Mapping[str, Any]) -> Path:
    """``bundle``, or the bundle stored in the checkpoint (which must still exist)."""
    if bundle is not None:
        return Path(bundle)
    stored = extra.get("bundle")
    if not stored or not Path(stored).exists():
        raise ConfigError(
            "the checkpoint does not name an existing bundle" + (f" (stored: {stored})" if stored else ""),
            source="--bundle",
            hint="pass the bundle the model was trained on with --bundle DIR",
        )
    return Path(stored)


def _check_targets(manifest: Manifest, task: Mapping[str, Any]) -> None:
    """The bundle has as many targets of the model's task kind as the model predicts."""
    expected = manifest.task_target_names(str(task["kind"]))
    if len(expected) != int(task["num_targets"]):
        raise ConfigError(
            f"the bundle has {len(expected)} {task['kind']} targets, "
            f"the model predicts {task['num_targets']}",
            source="--bundle",
            hint="evaluate on a bundle with the same targets as the training bundle",
        )


def _check_dataset(trained_on: str | None, cache: DatasetCache, out: str | Path | None) -> None:
    """Refuse an in-place evaluation on another dataset than the training one; warn with ``out``."""
    if not trained_on or trained_on == cache.fingerprint:
        return
    if out is None:
        raise ConfigError(
            f"the model was trained on dataset {str(trained_on)[:12]} but --bundle is dataset "
            f"{cache.fingerprint[:12]}: its record would replace the cell's record of the training data",
            source="--out",
            hint="pass --out DIR to write the record of this other dataset elsewhere",
        )
    log.warning(
        "the model was trained on dataset %s but is evaluated on %s",
        str(trained_on)[:12],
        cache.fingerprint[:12],
    )


def _train_info_of(checkpoint: Path, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The cell's ``train.json`` beside the checkpoint, else the training settings it stores."""
    from benchsuite.train.fit import TRAIN_INFO_NAME

    train_info: dict[str, Any] = {}
    info_path = checkpoint.parent / TRAIN_INFO_NAME
    if info_path.is_file():
        try:
            train_info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            train_info = {}
    if not train_info:
        train_info = {"training": extra.get("training"), "extra": dict(extra)}
    return train_info


def _keep_previous(path: Path) -> None:
    """Copy the record an in-place evaluation replaces to ``record.previous.json`` (atomically)."""
    from benchsuite.io.atomic import atomic_write

    previous = path.with_name(PREVIOUS_RECORD_NAME)
    with open(path, "rb") as src, atomic_write(previous, "wb") as dst:
        shutil.copyfileobj(src, dst)
    log.info("kept the replaced record as %s", previous)
