"""Step budgets that mean the same on any dataset: :func:`step_budget`.

A profile with a step budget (``smoke``, ``default``, ``converge``) counts training in
*rounds* of ``limit_train_batches`` batches followed by a validation pass (Lightning calls a
round an epoch). On a dataset with at least that many batches per pass a round is the first
``limit_train_batches`` batches of a fresh shuffle, as before. On a smaller dataset a round
is made of as many fresh shuffles (passes) as it takes, so the budget is still exactly
``max_epochs x limit_train_batches`` optimiser steps with a validation pass every
``limit_train_batches`` steps, instead of silently shrinking to ``max_epochs`` short epochs.

How many passes over the training data the budget took is stored in ``train.json``
(``data_passes``) and in the record's hyperparameters; past :data:`MANY_PASSES` passes of a
fixed budget (no early stopping) a warning says the dataset is small for the profile.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["MANY_PASSES", "RepeatedLoader", "BudgetInfo", "step_budget"]

log = logging.getLogger(__name__)

#: more passes over the training data than this draws a warning (the default bundle: 8)
MANY_PASSES = 25.0


class RepeatedLoader:
    """Iterate a loader pass after pass (a fresh shuffle each time) for exactly ``length`` batches."""

    def __init__(self, loader: Iterable[Any], length: int) -> None:
        self.loader = loader
        self.length = int(length)

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Any]:
        produced = 0
        while produced < self.length:
            empty = True
            for batch in self.loader:
                empty = False
                yield batch
                produced += 1
                if produced >= self.length:
                    return
            if empty:
                return


@dataclass
class BudgetInfo:
    """What the training loader looked like (filled when Lightning asks for it)."""

    batches_per_pass: int | None = None
    train_sequences: int | None = None
    repeated: bool = False

    def passes(self, global_steps: int) -> float | None:
        """Passes over the training data that ``global_steps`` optimiser steps took."""
        if not self.batches_per_pass:
            return None
        return round(global_steps / self.batches_per_pass, 2)


def _world_size(datamodule: Any) -> int:
    trainer = getattr(datamodule, "trainer", None)
    try:
        return int(getattr(trainer, "world_size", 1) or 1)
    except (TypeError, ValueError):
        return 1


@contextlib.contextmanager
def step_budget(
    datamodule: Any,
    *,
    limit_train_batches: int | float,
    max_steps: int | None,
    source: str,
    profile: str,
    warn: bool = True,
) -> Iterator[BudgetInfo]:
    """Serve rounds of ``limit_train_batches`` batches from ``datamodule`` during a fit.

    ``datamodule.train_dataloader`` is wrapped for the duration of the block (and restored
    after it): when a pass holds fewer batches than a round, the loader repeats passes
    (:class:`RepeatedLoader`; single-process training only, DDP keeps Lightning's loader).
    The yielded :class:`BudgetInfo` says how large a pass was. A budget of more than
    :data:`MANY_PASSES` passes logs a warning naming the cell and the profile when ``warn``
    (a fixed budget; with early stopping the step budget is only a cap).
    """
    info = BudgetInfo()
    had_attr = "train_dataloader" in vars(datamodule)
    original = datamodule.train_dataloader

    def train_dataloader() -> Any:
        loader = original()
        try:
            n = len(loader)
            dataset = getattr(loader, "dataset", None)
            info.train_sequences = len(dataset) if dataset is not None else None
        except TypeError:
            return loader
        info.batches_per_pass = n
        if warn and max_steps and n and max_steps / n > MANY_PASSES:
            seqs = f" of {info.train_sequences} training sequences" if info.train_sequences else ""
            log.warning(
                "%s: the %s profile's budget of %d steps is %.0f passes over the %d batches%s; "
                "the dataset is small for this budget (models may overfit): consider "
                "--profile converge (early stopping on the validation loss)",
                source,
                profile,
                max_steps,
                max_steps / n,
                n,
                seqs,
            )
        short = isinstance(limit_train_batches, int) and 0 < n < limit_train_batches
        if short and _world_size(datamodule) == 1:
            info.repeated = True
            return RepeatedLoader(loader, int(limit_train_batches))
        return loader

    datamodule.train_dataloader = train_dataloader
    try:
        yield info
    finally:
        if had_attr:
            datamodule.train_dataloader = original
        else:
            with contextlib.suppress(AttributeError):
                del datamodule.train_dataloader
