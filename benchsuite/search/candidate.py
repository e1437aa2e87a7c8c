"""Train one candidate under the search budget and read its validation score.

A candidate is trained by the suite's own :func:`~benchsuite.train.fit.fit_cell` (same loss,
optimiser, augmentation and checkpoint selection as ``benchsuite run``) on a data module
without a test split (:mod:`benchsuite.search.guard`), for exactly ``steps`` optimiser steps
in rounds of at most the profile's ``limit_train_batches`` steps (``steps`` is rounded up to
whole rounds), no early stopping. Its score is the validation metric the training module logs
(``val/auroc`` for binary, ``val/pearson`` for quantitative tasks) at the validation pass with
the lowest validation loss, i.e. of the checkpoint that training keeps.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchsuite.errors import TrainingError

__all__ = ["VAL_METRIC", "CandidateResult", "candidate_settings", "read_val_score", "train_candidate"]

#: the validation score of each task (logged by the training module)
VAL_METRIC = {"binary": "val/auroc", "quantitative": "val/pearson"}


@dataclass(frozen=True)
class CandidateResult:
    """Validation score, best validation loss, optimiser steps and seconds of one candidate."""

    score: float
    val_loss: float
    steps: int
    seconds: float


def candidate_settings(spec: Any, task: str, profile: str, steps: int) -> Any:
    """The profile's :class:`~benchsuite.train.fit.TrainingSettings` with a budget of ``steps``."""
    from benchsuite.train.fit import resolve_training

    settings = resolve_training(spec, task, profile)
    limit = settings.limit_train_batches
    per_round = min(int(limit), steps) if isinstance(limit, int) else min(50, steps)
    rounds = math.ceil(steps / per_round)
    val = settings.limit_val_batches
    return dataclasses.replace(
        settings,
        limit_train_batches=per_round,
        limit_val_batches=val if isinstance(val, int) else 20,
        max_epochs=rounds,
        patience=rounds + 1,
        early_stopping=False,
    )


def read_val_score(cell_dir: str | Path, task: str) -> tuple[float, float]:
    """``(score, val_loss)`` at the validation pass with the lowest loss, from ``logs/metrics.csv``."""
    path = Path(cell_dir) / "logs" / "metrics.csv"
    metric = VAL_METRIC[task]
    best: tuple[float, float] | None = None
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            loss, score = row.get("val/loss") or "", row.get(metric) or ""
            if not loss or not score:
                continue
            pair = (float(loss), float(score))
            if math.isfinite(pair[0]) and (best is None or pair[0] < best[0]):
                best = pair
    if best is None:
        raise TrainingError(
            f"no validation {metric} was logged",
            source=path,
            hint="check that the validation split is not empty",
        )
    score = best[1] if math.isfinite(best[1]) else 0.0
    return score, best[0]


def train_candidate(
    spec: Any,
    task: str,
    datamodule: Any,
    folder: Path,
    *,
    profile: str,
    steps: int,
    seed: int,
    logger: Any = None,
    trainer_kwargs: dict[str, Any] | None = None,
) -> CandidateResult:
    """Train ``spec`` for ``steps`` steps into ``folder``; its :class:`CandidateResult`."""
    from benchsuite.plugins.manager import DIRECT, RegisteredModel
    from benchsuite.train.fit import fit_cell, read_train_info

    registered = RegisteredModel(spec, plugin="search", distribution=DIRECT, version="")
    settings = candidate_settings(spec, task, profile, steps)
    started = time.perf_counter()
    fit_cell(
        registered,
        task,
        datamodule,
        folder,
        profile=profile,
        seed=seed,
        settings=settings,
        logger=logger,
        trainer_kwargs=trainer_kwargs,
        progress=False,
    )
    info = read_train_info(folder) or {}
    score, val_loss = read_val_score(folder, task)
    return CandidateResult(
        score=score,
        val_loss=val_loss,
        steps=int(info.get("global_steps", settings.max_steps or 0)),
        seconds=round(time.perf_counter() - started, 3),
    )
