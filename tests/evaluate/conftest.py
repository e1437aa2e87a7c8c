"""Fixtures of the evaluate tests: a tiny in-memory dataset cache shaped like ``DatasetCache``.

The fake cache follows ``docs/ARCHITECTURE.md`` ("Dataset cache"): ``split(kind, split)``
returns arrays ``seq (N, W)`` uint8, ``cov``/``cov_rep2 (N, T, W)`` float32, ``labels (N, T)``
uint8, ``coords (N, 2)``, ``chroms``; ``geometry`` has chunk_length, input_length, bin_sizes,
common_bin and coverage_threshold. Coverage is a :class:`FakeOracle` expectation of a random
test chromosome with multiplicative gamma noise (two independent replicates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchsuite.errors import DatasetError
from tests.evaluate.toys import FakeOracle

TARGETS = ("cellA", "cellB", "cellC")


@dataclass(frozen=True)
class FakeGeometry:
    chunk_length: int = 384
    input_length: int = 256
    bin_sizes: tuple[int, ...] = (1, 8, 32)
    common_bin: int = 32
    coverage_threshold: float = 2.0


@dataclass
class FakeSplit:
    seq: np.ndarray
    cov: np.ndarray
    cov_rep2: np.ndarray | None
    labels: np.ndarray | None
    coords: np.ndarray
    chroms: tuple[str, ...]
    kind: str = ""
    split: str = ""

    def __len__(self) -> int:
        return int(self.seq.shape[0])


@dataclass
class FakeCache:
    root: Path
    fingerprint: str
    meta: dict[str, Any]
    target_names: tuple[str, ...]
    geometry: FakeGeometry
    splits: dict[tuple[str, str], FakeSplit] = field(default_factory=dict)

    def split(self, kind: str, split: str) -> FakeSplit:
        if (kind, split) not in self.splits:
            raise DatasetError(f"the cache has no {kind}/{split} split", source=self.root)
        return self.splits[(kind, split)]


@dataclass
class FakeManifest:
    name: str
    geometry: FakeGeometry
    target_names: tuple[str, ...]
    variants: Any = None
    motifs: Path | None = None
    simulator: dict | None = None


def make_toy_cache(seed: int = 0, *, n_tiles: int = 48, rep2: bool = True, binary: bool = True) -> FakeCache:
    """Build a small cache: whole-chromosome tiles, coverage-threshold chunks, peak chunks."""
    rng = np.random.default_rng(seed)
    geo = FakeGeometry()
    length, chunk = geo.input_length, geo.chunk_length
    genome_len = length * n_tiles
    codes = rng.integers(0, 4, size=genome_len, dtype=np.uint8)
    oracle = FakeOracle(TARGETS, seed=seed)
    expected = oracle.predict_codes(codes[None])[0]  # (T, G)
    rep1 = (expected * rng.gamma(4.0, 0.25, size=expected.shape)).astype(np.float32)
    rep2_cov = (expected * rng.gamma(4.0, 0.25, size=expected.shape)).astype(np.float32)

    def cut(starts: np.ndarray, width: int, kind: str, labels: np.ndarray | None = None) -> FakeSplit:
        idx = starts[:, None] + np.arange(width)[None, :]
        return FakeSplit(
            seq=codes[idx],
            cov=np.ascontiguousarray(rep1[:, idx].transpose(1, 0, 2)),
            cov_rep2=np.ascontiguousarray(rep2_cov[:, idx].transpose(1, 0, 2)) if rep2 else None,
            labels=labels,
            coords=np.stack([np.zeros_like(starts), starts], axis=1).astype(np.int64),
            chroms=("chr8",),
            kind=kind,
            split="test",
        )

    tiles = np.arange(n_tiles, dtype=np.int64) * length
    tiles = np.delete(tiles, [i for i in (5, 17) if i < n_tiles])  # as if excluded regions removed them
    tile_max = expected[:, tiles[:, None] + np.arange(length)[None, :]].max(axis=2).T  # (N, T)
    tile_labels = (tile_max > np.quantile(tile_max, 0.7, axis=0)[None, :]).astype(np.uint8)
    splits = {("wholechrom", "test"): cut(tiles, length, "wholechrom", tile_labels if binary else None)}

    starts = np.arange(0, genome_len - chunk + 1, chunk, dtype=np.int64)
    peak_max = rep1[:, starts[:, None] + np.arange(chunk)[None, :]].max(axis=(0, 2))
    keep = starts[peak_max > geo.coverage_threshold]
    splits[("quantitative", "test")] = cut(keep, chunk, "quantitative")

    if binary:
        bstarts = np.arange(0, genome_len - chunk + 1, chunk // 2, dtype=np.int64)
        off = (chunk - length) // 2
        centre = expected[:, bstarts[:, None] + off + np.arange(length)[None, :]].max(axis=2).T  # (N, T)
        labels = (centre > np.quantile(centre, 0.6, axis=0)[None, :]).astype(np.uint8)
        splits[("binary", "test")] = cut(bstarts, chunk, "binary", labels)

    return FakeCache(
        root=Path("/nonexistent/fake-cache"),
        fingerprint=f"fake{seed}",
        meta={},
        target_names=TARGETS,
        geometry=geo,
        splits=splits,
    )


@pytest.fixture(scope="session")
def toy_cache() -> FakeCache:
    return make_toy_cache(0)


@pytest.fixture(scope="session")
def small_cache() -> FakeCache:
    """A smaller cache for tests that only check plumbing (12 tiles)."""
    return make_toy_cache(3, n_tiles=12)


@pytest.fixture(scope="session")
def toy_manifest(toy_cache: FakeCache) -> FakeManifest:
    return FakeManifest(name="toy", geometry=toy_cache.geometry, target_names=toy_cache.target_names)


@pytest.fixture(scope="session")
def fake_oracle() -> FakeOracle:
    return FakeOracle(TARGETS, seed=0)
