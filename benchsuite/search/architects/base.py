"""What an architect is: it proposes choice vectors and learns from their validation scores.

The search loop (:mod:`benchsuite.search.loop`) drives an architect through

1. :meth:`Architect.restore` once, with the candidates a previous (killed) run of the same
   search already finished (from the search journal), so it can rebuild its state without
   evaluating them again;
2. :meth:`Architect.propose` for each remaining candidate index, then
3. :meth:`Architect.observe` with that candidate's validation score (``None`` when the
   candidate failed to train).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from benchsuite.search.space import SearchSpace

__all__ = ["Trial", "Architect"]


@dataclass(frozen=True)
class Trial:
    """One finished candidate: its index, choice vector and validation score (None = failed)."""

    index: int
    choices: tuple[int, ...]
    score: float | None


class Architect(Protocol):
    """The interface of every architect (random, tpe, controller)."""

    name: str
    space: SearchSpace

    def restore(self, finished: Sequence[Trial]) -> None:
        """Rebuild the state of a resumed search from its finished candidates (in index order)."""

    def propose(self, index: int) -> list[int]:
        """The choice vector of candidate ``index``."""
        ...

    def observe(self, index: int, choices: Sequence[int], score: float | None) -> None:
        """Learn from the validation score of candidate ``index`` (None: it failed)."""
