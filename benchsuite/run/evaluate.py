"""Re-evaluate one trained checkpoint (``benchsuite evaluate``)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from benchsuite.errors import ConfigError
from benchsuite.io.atomic import atomic_write

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
    registry: Any = None,
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
        No bundle is known, the bundle's targets do not fit the model, or an in-place
        evaluation on another dataset than the training one.
    PluginError
        The model's plugin is not installed.
    """
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.results.record import write_record
    from benchsuite.run.runner import (
        RunOptions,
        _eval_device,
        eval_options_for,
        evaluate_checkpoint,
        model_record,
    )
    from benchsuite.train.fit import TRAIN_INFO_NAME
    from benchsuite.train.module import read_checkpoint_hparams

    checkpoint = Path(checkpoint)
    hp = read_checkpoint_hparams(checkpoint)
    extra = dict(hp.get("extra") or {})
    if bundle is None:
        stored = extra.get("bundle")
        if not stored or not Path(stored).exists():
            raise ConfigError(
                "the checkpoint does not name an existing bundle"
                + (f" (stored: {stored})" if stored else ""),
                source="--bundle",
                hint="pass the bundle the model was trained on with --bundle DIR",
            )
        bundle = Path(stored)
    manifest = load_manifest(bundle)
    task = hp["task"]
    expected = manifest.task_target_names(str(task["kind"]))
    if len(expected) != int(task["num_targets"]):
        raise ConfigError(
            f"the bundle has {len(expected)} {task['kind']} targets, "
            f"the model predicts {task['num_targets']}",
            source="--bundle",
            hint="evaluate on a bundle with the same targets as the training bundle",
        )
    cache = prepare_dataset(manifest, cache_dir=cache_dir, progress=progress)
    trained_on = extra.get("dataset_fingerprint")
    if trained_on and trained_on != cache.fingerprint:
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
    if registry is None:
        from benchsuite.plugins import load_plugins

        registry = load_plugins()
    profile = str(extra.get("profile", "default"))
    options = RunOptions(profile=profile, cagi5=cagi5, motifs=motifs, accelerator=accelerator)
    device = _eval_device(options)
    eval_options = eval_options_for(options, device=device)
    path = Path(out) / "record.json" if out is not None else checkpoint.parent / "record.json"
    result, _task, info, seconds = evaluate_checkpoint(
        checkpoint,
        cache,
        manifest,
        options=eval_options,
        registry=registry,
        device=device,
        out_dir=path.parent / "figures",
    )
    train_info: dict[str, Any] = {}
    info_path = checkpoint.parent / TRAIN_INFO_NAME
    if info_path.is_file():
        try:
            train_info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            train_info = {}
    if not train_info:
        train_info = {"training": extra.get("training")}
    record = model_record(
        registered=info["registered"],
        task=str(task["kind"]),
        manifest=manifest,
        cache=cache,
        profile=profile,
        seed=int(extra.get("seed", 0)),
        build_hparams=info["build_hparams"],
        train_info=train_info,
        evaluation=result.to_dict(),
        eval_seconds=seconds,
        eval_cpu_seconds=info.get("evaluate_cpu_seconds"),
        wandb=None,
    )
    if out is None and path.is_file():
        previous = path.with_name(PREVIOUS_RECORD_NAME)
        with open(path, "rb") as src, atomic_write(previous, "wb") as dst:
            shutil.copyfileobj(src, dst)
        log.info("kept the replaced record as %s", previous)
    write_record(path, record)
    return record, path
