"""The tuning loop: :func:`run_tuning`, the architecture search loop for a registered model.

Same folder layout, journal, resumption, shards, W&B group and validation-only scoring as
:func:`benchsuite.search.loop.run_search`; each candidate is the model with one point of the
tuning space applied (:func:`benchsuite.search.tune.tuned_spec`), trained for ``steps`` steps.
The best point is written as ``<out>/tuned.json``: the model, task, profile, the build and
training overrides, the validation score and the search's provenance.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from rich.console import Console

from benchsuite.errors import BenchsuiteError, ConfigError
from benchsuite.search.architects import Trial, make_architect
from benchsuite.search.candidate import VAL_METRIC
from benchsuite.search.journal import append_journal, journal_path, read_all_journals, read_journal
from benchsuite.search.loop import (
    SearchOptions,
    SearchResult,
    _best,
    _bundle,
    _check_folder,
    _check_options,
    _shard,
    candidate_progress,
    train_on_search_splits,
)
from benchsuite.search.tune import TUNED_NAME, TuneEvaluator, TuneSpace, tuned_spec, write_tuned

__all__ = ["run_tuning"]


def _training_evaluator(options: SearchOptions, manifest: Any) -> TuneEvaluator:
    def evaluate(spec: Any, folder: Path, logger: Any) -> Any:
        return train_on_search_splits(options, manifest, spec, spec.bin_size, folder, logger)

    return evaluate


def _evaluate(
    options: SearchOptions, spec: Any, index: int, point: dict[str, Any], evaluator: TuneEvaluator, group: str
) -> dict[str, Any]:
    from benchsuite.results.wandb_logging import WandbRun

    folder = Path(options.out) / "candidates" / f"{index:04d}"
    shutil.rmtree(folder, ignore_errors=True)
    entry: dict[str, Any] = {"index": index, "name": spec.name, **point}
    with WandbRun.start(
        mode=options.wandb,
        directory=Path(options.out),
        project=options.wandb_project,
        name=f"tune-{spec.name}/candidate{index:04d}",
        group=group,
        config={"candidate": index, "model": spec.name, **point},
    ) as run:
        try:
            result = evaluator(spec, folder, run.lightning_logger())
        except BenchsuiteError as exc:
            entry.update(score=None, error=str(exc))
        else:
            entry.update(
                score=result.score, val_loss=result.val_loss, steps=result.steps, seconds=result.seconds
            )
            if run.run is not None:
                run.run.summary.update({"search/score": result.score})
    return entry


def run_tuning(
    options: SearchOptions,
    model: str,
    space: TuneSpace,
    *,
    registry: Any = None,
    console: Console | None = None,
    evaluator: TuneEvaluator | None = None,
) -> SearchResult:
    """Tune ``model`` (a registered name) over ``space``; writes ``<out>/tuned.json``.

    Raises
    ------
    ConfigError
        Unknown model, a task the model does not support, bad options or a folder of another search.
    """
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset
    from benchsuite.plugins import load_plugins
    from benchsuite.train.fit import model_size_profile

    console = console or Console(stderr=True)
    _check_options(options)
    registry = registry if registry is not None else load_plugins()
    if model not in registry.models:
        raise ConfigError(
            f"unknown model {model!r}", source="--tune", hint="`benchsuite list` shows the models"
        )
    base = registry.models[model].spec
    if options.task not in base.tasks:
        raise ConfigError(
            f"model {model!r} does not support the {options.task!r} task",
            source="--task",
            hint=f"it supports: {', '.join(sorted(base.tasks))}",
        )
    k, n, tag = _shard(options)
    out = Path(options.out)
    manifest = load_manifest(_bundle(options, console))
    cache = prepare_dataset(manifest, cache_dir=options.cache_dir, progress=options.progress)
    config = {
        "tune": model,
        "task": options.task,
        "architect": options.architect,
        "seed": options.seed,
        "steps": options.steps,
        "profile": options.profile,
        "threads": options.threads,
        "space": space.to_dict(),
        "bundle_fingerprint": cache.fingerprint,
    }
    _check_folder(out, config)
    journal = journal_path(out, tag)
    finished = {int(e["index"]): e for e in read_journal(journal)}
    architect = make_architect(options.architect, space, options.seed, out, tag=tag, shard=k)  # type: ignore[arg-type]
    architect.restore([Trial(i, tuple(e["choices"]), e.get("score")) for i, e in sorted(finished.items())])
    evaluator = evaluator or _training_evaluator(options, manifest)
    size = model_size_profile(options.profile)
    group = f"tune-{model}-{options.architect}-{options.task}-seed{options.seed}-{cache.fingerprint[:8]}"
    mine = [i for i in range(options.candidates) if i % n == k - 1]
    result = SearchResult(None, None, resumed=sorted(i for i in finished if i in mine))
    metric = VAL_METRIC[options.task]
    with candidate_progress(options, console) as progress:
        bar = progress.add_task(f"tune {model}", total=len(mine), completed=len(result.resumed))
        for index in (i for i in mine if i not in finished):
            choices = architect.propose(index)
            build, training = space.values(choices)
            spec = tuned_spec(base, build, training, size)
            point = {"choices": choices, "build": build, "training": training}
            entry = _evaluate(options, spec, index, point, evaluator, group)
            append_journal(journal, entry)
            architect.observe(index, choices, entry.get("score"))
            result.trained.append(index)
            best = _best(read_all_journals(out))
            shown = "-" if best is None else f"{best['score']:.4f} (candidate {best['index']})"
            progress.update(bar, advance=1, description=f"tune {model}: best {metric} {shown}")
    result.trials = read_all_journals(out)
    best = _best(result.trials)
    if best is None:
        console.print("[yellow]no candidate finished with a score; no tuned profile written[/]")
        return result
    payload = {
        "model": model,
        "task": options.task,
        "profile": options.profile,
        "size_profile": size,
        "build": best["build"],
        "training": best["training"],
        "search": {
            "architect": options.architect,
            "seed": options.seed,
            "candidates": options.candidates,
            "steps": options.steps,
            "metric": metric,
            "score": best["score"],
            "candidate": best["index"],
            "evaluated": len(result.trials),
        },
        "space": space.to_dict(),
        "bundle": {"name": manifest.name, "fingerprint": cache.fingerprint},
    }
    result.document_path = write_tuned(out / TUNED_NAME, payload)
    console.print(f"tuned {model}: {metric} {best['score']:.4f} -> {result.document_path}", highlight=False)
    return result
