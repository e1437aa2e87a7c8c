"""Fixtures of the search tests: a simulated smoke bundle, a dataset cache, stub evaluators."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from benchsuite.data.cache import DatasetCache
from benchsuite.search.candidate import CandidateResult
from benchsuite.search.document import ArchitectureDocument
from benchsuite.search.loop import SearchOptions, run_search
from benchsuite.search.space import SearchSpace

#: a small space (3 layers, 8 channels), the smoke profile's
SPACE = SearchSpace(num_layers=3, channels=8)


@pytest.fixture(scope="session")
def search_bundle(tmp_path_factory) -> Path:
    """A simulated smoke bundle (made once per session)."""
    from benchsuite.simulate.bundle import simulate_bundle

    root = tmp_path_factory.mktemp("search-bundle")
    return Path(simulate_bundle("smoke", root / "bundle", 0, progress=False))


@pytest.fixture(scope="session")
def search_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("search-cache")


def options(bundle: Path, cache: Path, out: Path, **kwargs) -> SearchOptions:
    """Search options of a quick smoke search without W&B or progress bar."""
    base = dict(
        task="binary",
        architect="random",
        candidates=4,
        steps=2,
        seed=0,
        profile="smoke",
        bundle=bundle,
        out=out,
        wandb="disabled",
        cache_dir=cache,
        progress=False,
        accelerator="cpu",
        space=SPACE,
    )
    base.update(kwargs)
    return SearchOptions(**base)  # type: ignore[arg-type]


def toy_score(operations: Sequence[str]) -> float:
    """A known reward: the share of layers that are conv15 (the best architecture is all conv15)."""
    return sum(op == "conv15" for op in operations) / len(operations)


class StubEvaluator:
    """Scores a candidate by :func:`toy_score` without training; records what it evaluated.

    ``kill_at``: raise KeyboardInterrupt (a kill) when asked for the n-th candidate (0-based call count).
    """

    def __init__(self, kill_at: int | None = None) -> None:
        self.calls: list[str] = []
        self.kill_at = kill_at

    def __call__(self, document: ArchitectureDocument, folder: Path, logger: object) -> CandidateResult:
        if self.kill_at is not None and len(self.calls) == self.kill_at:
            raise KeyboardInterrupt("killed")
        self.calls.append(document.name)
        return CandidateResult(toy_score(document.architecture.operations), 1.0, 2, 0.0)


@pytest.fixture(scope="session")
def real_search(search_bundle, search_cache, tmp_path_factory):
    """A real 2-candidate x 2-step random search (the suite's training), recording every split it maps."""
    from benchsuite.search.guard import NoTestCache

    opened: list[tuple[str, str]] = []

    def spy(original):
        def split(self, kind, split):
            opened.append((kind, split))  # recorded before the guard can refuse it
            return original(self, kind, split)

        return split

    out = tmp_path_factory.mktemp("real-search")
    mp = pytest.MonkeyPatch()
    mp.setattr(DatasetCache, "split", spy(DatasetCache.split))
    mp.setattr(NoTestCache, "split", spy(NoTestCache.split))
    try:
        result = run_search(options(search_bundle, search_cache, out, candidates=2, steps=2))
    finally:
        mp.undo()
    return out, result, opened
