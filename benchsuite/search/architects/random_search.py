"""Random search, the honest baseline: every decision drawn uniformly, independently.

Candidate ``i`` of seed ``s`` is drawn from its own generator (seeded with ``(s, i)``), so a
resumed or sharded search proposes exactly the candidates of an uninterrupted, unsharded one.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from benchsuite.search.architects.base import Trial
from benchsuite.search.space import SearchSpace

__all__ = ["RandomArchitect"]


class RandomArchitect:
    """Uniform random proposals (see the module docstring)."""

    name = "random"

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        self.space = space
        self.seed = int(seed)

    def restore(self, finished: Sequence[Trial]) -> None:
        """Nothing to rebuild: proposals depend only on the seed and the index."""

    def propose(self, index: int) -> list[int]:
        """Draw candidate ``index``."""
        rng = random.Random(f"benchsuite-search-random-{self.seed}-{index}")
        return [rng.randrange(n) for _, n in self.space.decisions()]

    def observe(self, index: int, choices: Sequence[int], score: float | None) -> None:
        """Random search does not learn."""
