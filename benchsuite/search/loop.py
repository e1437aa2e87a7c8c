"""The search loop: propose, train on train, score on valid, learn; write the best document.

:func:`run_search` runs ``candidates`` candidates (this shard's share of them with
``shard="K/N"``: the indices ``i`` with ``i % N == K - 1``), each trained for ``steps``
optimiser steps (:mod:`benchsuite.search.candidate`) and scored on the validation split only
(the test split is closed: :mod:`benchsuite.search.guard`). The total budget is
``candidates x steps`` steps. Every candidate is a W&B run (offline by default) in the group
of the search; a rich progress bar shows the best validation score so far.

The search folder (``--out``) holds ``search.json`` (what the search is; a second invocation
with other settings is refused), the journal(s) (:mod:`benchsuite.search.journal`), the TPE
study (``tpe*.db``), ``candidates/<index>/`` (training logs; checkpoints are deleted) and
``best.arch.json``, the architecture document of the best candidate of all journals of the
folder. Rerunning the same command resumes: finished candidates are skipped (and replayed
into the architect), the rest are trained.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchsuite.errors import BenchsuiteError, ConfigError
from benchsuite.io.atomic import atomic_write
from benchsuite.search.architects import ARCHITECTS, Trial, make_architect
from benchsuite.search.candidate import VAL_METRIC, CandidateResult
from benchsuite.search.document import ArchitectureDocument, write_document
from benchsuite.search.journal import append_journal, journal_path, read_all_journals, read_journal
from benchsuite.search.space import SearchSpace, decode, default_space

__all__ = ["SearchOptions", "SearchResult", "Evaluator", "run_search", "BEST_NAME", "CONFIG_NAME"]

BEST_NAME = "best.arch.json"
CONFIG_NAME = "search.json"

#: ``evaluator(document, folder, logger) -> CandidateResult``: trains one candidate
Evaluator = Callable[[ArchitectureDocument, Path, Any], CandidateResult]


@dataclass
class SearchOptions:
    """Everything ``benchsuite search`` was asked to do (see ``benchsuite search --help``)."""

    task: str = "binary"
    architect: str = "random"
    candidates: int = 8
    steps: int = 12
    seed: int = 0
    profile: str = "smoke"
    bundle: Path | None = None
    out: Path = Path("search")
    shard: str | None = None
    wandb: str = "offline"
    wandb_project: str = "benchsuite-search"
    cache_dir: Path | None = None
    bin_size: int = 32
    dropout: float = 0.1
    accelerator: str | None = None
    progress: bool = True
    space: SearchSpace | None = None
    threads: int = 1


@dataclass
class SearchResult:
    """What a search invocation did."""

    document: ArchitectureDocument | None
    document_path: Path | None
    trials: list[dict[str, Any]] = field(default_factory=list)
    trained: list[int] = field(default_factory=list)
    resumed: list[int] = field(default_factory=list)


def _check_options(options: SearchOptions) -> None:
    if options.task not in VAL_METRIC:
        raise ConfigError(
            f"unknown task {options.task!r}", source="--task", hint="use binary or quantitative"
        )
    if options.architect not in ARCHITECTS:
        raise ConfigError(
            f"unknown architect {options.architect!r}",
            source="--architect",
            hint=f"use one of {', '.join(ARCHITECTS)}",
        )
    for name in ("candidates", "steps", "bin_size", "threads"):
        if int(getattr(options, name)) < 1:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(
                f"{flag} must be >= 1, got {getattr(options, name)}", source=flag, hint="pass N >= 1"
            )


def _shard(options: SearchOptions) -> tuple[int, int, str]:
    """``(K, N, file tag)`` of ``--shard K/N`` (``(1, 1, "")`` unsharded), parsed like ``run --shard``."""
    from benchsuite.run.matrix import parse_shard

    if not options.shard:
        return 1, 1, ""
    k, n = parse_shard(options.shard)
    return k, n, f"-{k}-of-{n}"


def _bundle(options: SearchOptions, console: Console) -> Path:
    """``--bundle``, or the profile's simulated bundle in ``<out>/bundles/`` (made once)."""
    from benchsuite.data.manifest import load_manifest

    if options.bundle is not None:
        return Path(options.bundle)
    target = Path(options.out) / "bundles" / f"{options.profile}-seed{options.seed}"
    if (target / "manifest.yaml").is_file():
        sim = load_manifest(target).simulator or {}
        if str(sim.get("profile")) == options.profile and sim.get("seed") == options.seed:
            return target
    from benchsuite.simulate.bundle import simulate_bundle

    console.print(
        f"simulating the [bold]{options.profile}[/] bundle (seed {options.seed}) into {escape(str(target))}",
        highlight=False,
    )
    return Path(simulate_bundle(options.profile, target, options.seed, force=True, progress=options.progress))


def _config(options: SearchOptions, space: SearchSpace, fingerprint: str) -> dict[str, Any]:
    return {
        "task": options.task,
        "architect": options.architect,
        "seed": options.seed,
        "steps": options.steps,
        "profile": options.profile,
        "bin_size": options.bin_size if options.task == "quantitative" else 1,
        "dropout": options.dropout,
        "threads": options.threads,
        "space": space.to_dict(),
        "bundle_fingerprint": fingerprint,
    }


def _check_folder(out: Path, config: dict[str, Any]) -> None:
    """Refuse a folder that holds another search; write ``search.json`` on first use."""
    path = out / CONFIG_NAME
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            old = None
        if old != config:
            diff = sorted(k for k in config if not isinstance(old, dict) or old.get(k) != config[k])
            raise ConfigError(
                f"the folder holds a different search (differs in: {', '.join(diff) or 'format'})",
                source=path,
                hint="use another --out, or the same task, architect, seed, steps, profile and bundle",
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as fh:
        json.dump(config, fh, indent=2, sort_keys=True)
        fh.write("\n")


def _document(
    options: SearchOptions,
    space: SearchSpace,
    choices: list[int],
    bundle: dict[str, Any],
    search: dict[str, Any],
) -> ArchitectureDocument:
    return ArchitectureDocument(
        task=options.task,
        bin_size=options.bin_size if options.task == "quantitative" else 1,
        space=space,
        architecture=decode(choices, space),
        training={"dropout": options.dropout, "profile": options.profile, "steps": options.steps},
        search={
            "architect": options.architect,
            "seed": options.seed,
            "candidates": options.candidates,
            "steps": options.steps,
            "budget_steps": options.candidates * options.steps,
            "profile": options.profile,
            "shard": options.shard,
            "metric": VAL_METRIC[options.task],
            **search,
        },
        bundle=bundle,
    )


def train_on_search_splits(
    options: SearchOptions, manifest: Any, spec: Any, bin_size: int, folder: Path, logger: Any
) -> CandidateResult:
    """Train one candidate ``spec`` with the suite's training on the guarded (train/valid only)
    data module; its validation score (the weights are not kept)."""
    from benchsuite.search.candidate import candidate_settings, train_candidate
    from benchsuite.search.guard import search_datamodule

    settings = candidate_settings(spec, options.task, options.profile, options.steps)
    datamodule = search_datamodule(
        options.task,
        manifest,
        bin_size=bin_size,
        cache_dir=options.cache_dir,
        random_shift=settings.random_shift,
        reverse_complement=settings.reverse_complement,
        batch_size=settings.batch_size,
        seed=options.seed,
        progress=False,
    )
    trainer = {"accelerator": options.accelerator} if options.accelerator else None
    result = train_candidate(
        spec,
        options.task,
        datamodule,
        folder,
        profile=options.profile,
        steps=options.steps,
        seed=options.seed,
        logger=logger,
        trainer_kwargs=trainer,
    )
    (folder / "checkpoint.ckpt").unlink(missing_ok=True)  # the search keeps scores, not weights
    return result


def _training_evaluator(options: SearchOptions, manifest: Any) -> Evaluator:
    """The default evaluator: the suite's training on the guarded data module."""
    from benchsuite.search.model import document_spec

    def evaluate(document: ArchitectureDocument, folder: Path, logger: Any) -> CandidateResult:
        spec = document_spec(document)
        return train_on_search_splits(options, manifest, spec, document.bin_size, folder, logger)

    return evaluate


def _evaluate_one(
    options: SearchOptions, document: ArchitectureDocument, index: int, evaluator: Evaluator, group: str
) -> dict[str, Any]:
    """Train and score one candidate inside its W&B run; its journal entry."""
    from benchsuite.results.wandb_logging import WandbRun

    folder = Path(options.out) / "candidates" / f"{index:04d}"
    shutil.rmtree(folder, ignore_errors=True)  # what a killed attempt left
    entry: dict[str, Any] = {
        "index": index,
        "name": document.name,
        "architecture": document.architecture.to_dict(),
    }
    config = {"candidate": index, "model": document.name, **document.to_dict()}
    with WandbRun.start(
        mode=options.wandb,
        directory=Path(options.out),
        project=options.wandb_project,
        name=f"{options.architect}/candidate{index:04d}",
        group=group,
        config=config,
    ) as run:
        try:
            result = evaluator(document, folder, run.lightning_logger())
        except BenchsuiteError as exc:
            entry.update(score=None, error=str(exc))
        else:
            entry.update(
                score=result.score, val_loss=result.val_loss, steps=result.steps, seconds=result.seconds
            )
            if run.run is not None:
                run.run.summary.update({"search/score": result.score, "search/val_loss": result.val_loss})
    return entry


def _best(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    scored = [e for e in entries if isinstance(e.get("score"), (int, float))]
    if not scored:
        return None
    return max(scored, key=lambda e: (float(e["score"]), -int(e["index"])))


@contextmanager
def candidate_progress(options: SearchOptions, console: Console) -> Iterator[Progress]:
    """The progress bar of a search's candidates, with ``options.threads`` intra-op threads
    while it is open (every candidate trains inside it)."""
    from benchsuite.run.parallel import cell_threads

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    progress = Progress(*columns, console=console, disable=not options.progress)
    with progress, cell_threads(options.threads):
        yield progress


def run_search(
    options: SearchOptions, *, console: Console | None = None, evaluator: Evaluator | None = None
) -> SearchResult:
    """Run (or resume) a search; see the module docstring.

    Raises
    ------
    ConfigError
        Bad options, or ``--out`` holds a different search.
    """
    from benchsuite.data.manifest import load_manifest
    from benchsuite.data.prepare import prepare_dataset

    console = console or Console(stderr=True)
    _check_options(options)
    k, n, tag = _shard(options)
    out = Path(options.out)
    space = options.space or default_space(options.profile)
    manifest = load_manifest(_bundle(options, console))
    cache = prepare_dataset(manifest, cache_dir=options.cache_dir, progress=options.progress)
    bundle = {"name": manifest.name, "fingerprint": cache.fingerprint}
    _check_folder(out, _config(options, space, cache.fingerprint))
    journal = journal_path(out, tag)
    finished = {int(e["index"]): e for e in read_journal(journal)}
    mine = [i for i in range(options.candidates) if i % n == k - 1]
    architect = make_architect(options.architect, space, options.seed, out, tag=tag, shard=k)
    architect.restore(
        [
            Trial(i, tuple(e.get("choices", ())), e.get("score"))
            for i, e in sorted(finished.items())
            if "choices" in e
        ]
    )
    evaluator = evaluator or _training_evaluator(options, manifest)
    group = f"search-{options.architect}-{options.task}-seed{options.seed}-{cache.fingerprint[:8]}"
    result = SearchResult(None, None, resumed=sorted(i for i in finished if i in mine))
    best = _best(list(finished.values()))
    with candidate_progress(options, console) as progress:
        bar = progress.add_task(_describe(options, best), total=len(mine), completed=len(result.resumed))
        for index in mine:
            if index in finished:
                continue
            choices = architect.propose(index)
            document = _document(options, space, choices, bundle, {"candidate": index})
            entry = {**_evaluate_one(options, document, index, evaluator, group), "choices": choices}
            append_journal(journal, entry)
            architect.observe(index, choices, entry.get("score"))
            result.trained.append(index)
            if entry.get("score") is not None and (best is None or entry["score"] > best["score"]):
                best = entry
            progress.update(bar, advance=1, description=_describe(options, best))
    result.trials = read_all_journals(out)
    _write_best(options, space, bundle, result, console)
    return result


def _describe(options: SearchOptions, best: dict[str, Any] | None) -> str:
    metric = VAL_METRIC[options.task]
    shown = "-" if best is None else f"{float(best['score']):.4f} (candidate {best['index']})"
    return f"search {options.architect} {options.task}: best {metric} {shown}"


def _write_best(
    options: SearchOptions, space: SearchSpace, bundle: dict[str, Any], result: SearchResult, console: Console
) -> None:
    best = _best(result.trials)
    if best is None:
        console.print("[yellow]no candidate finished with a score; no document written[/]")
        return
    search = {
        "candidate": int(best["index"]),
        "score": float(best["score"]),
        "evaluated": len(result.trials),
        "failed": sum(1 for e in result.trials if e.get("score") is None),
    }
    document = _document(options, space, list(best["choices"]), bundle, search)
    path = write_document(Path(options.out) / BEST_NAME, document)
    result.document, result.document_path = document, path
    console.print(
        f"best {escape(document.name)}: {VAL_METRIC[options.task]} {search['score']:.4f} "
        f"(candidate {search['candidate']} of {search['evaluated']}) -> {escape(str(path))}",
        highlight=False,
    )
