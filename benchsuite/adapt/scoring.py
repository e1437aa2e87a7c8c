"""``benchsuite evaluate --model NAME``: score an evaluate-only model on a bundle and write its record."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchsuite.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from benchsuite.plugins.manager import Registry

__all__ = ["evaluate_model_to_record", "parse_map_option"]


def parse_map_option(value: str | None) -> tuple[Any, str]:
    """``--map``: ``names``, ``probe`` or a YAML file -> (target_map, where it came from)."""
    from benchsuite.adapt.targets import read_mapping_file

    if value is None:
        return None, "plugin"
    if value in ("names", "probe"):
        return value, "--map"
    return read_mapping_file(value), f"file {Path(value).name}"


def evaluate_model_to_record(
    model: str,
    *,
    bundle: str | Path,
    out: str | Path,
    task: str | None = None,
    cache_dir: str | Path | None = None,
    accelerator: str | None = None,
    profile: str = "default",
    cagi5: bool = True,
    motifs: bool = True,
    target_map: str | None = None,
    registry: Registry | None = None,
    progress: bool = True,
) -> tuple[dict[str, Any], Path]:
    """Score the ``load``-giving model ``model`` on ``bundle``; write ``out/record.json``.

    ``task`` defaults to the model's only task (``quantitative`` when it has both); ``profile``
    sets the evaluation budget (as for ``benchsuite run``); ``target_map`` is ``--map``.

    Raises
    ------
    PluginError
        Unknown model, no ``load``, a mapping to a missing track.
    ConfigError
        A task the model does not support, or an accelerator this machine does not have.
    """
    from benchsuite.adapt.pretrained import evaluate_pretrained, pretrained_record
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.errors import PluginError
    from benchsuite.results.record import write_record
    from benchsuite.run.runner import RunOptions
    from benchsuite.run.scoring import eval_device, eval_options_for
    from benchsuite.train.trainer_checks import check_trainer_options

    if accelerator is not None:
        check_trainer_options({"accelerator": accelerator})
    if registry is None:
        from benchsuite.plugins import load_plugins

        registry = load_plugins()
    registered = registry.get(model)
    if registered.spec.load is None:
        raise PluginError(
            f"model {model!r} gives no load function (it is trained by the suite)",
            source=registered.label,
            hint="score its trained cell with benchsuite evaluate --checkpoint CELL/checkpoint.ckpt",
        )
    tasks = sorted(registered.spec.tasks)
    kind = task or ("quantitative" if "quantitative" in tasks else tasks[0])
    if kind not in tasks:
        raise ConfigError(
            f"model {model!r} does not support the {kind!r} task",
            source="--task",
            hint=f"use {' or '.join(tasks)}",
        )
    mapping, map_source = parse_map_option(target_map)
    manifest = load_manifest(Path(bundle))
    cache = prepare_dataset(manifest, cache_dir=cache_dir, progress=progress)
    options = RunOptions(profile=profile, cagi5=cagi5, motifs=motifs, accelerator=accelerator)
    device = eval_device(options)
    path = Path(out) / "record.json"
    result, info = evaluate_pretrained(
        registered,
        kind,
        cache,
        manifest,
        options=eval_options_for(options, device=device),
        device=device,
        out_dir=path.parent / "figures",
        target_map=mapping,
        map_source=map_source,
    )
    record = pretrained_record(
        registered=registered,
        task=kind,
        manifest=manifest,
        cache=cache,
        profile=profile,
        result=result,
        info=info,
    )
    write_record(path, record)
    return record, path
