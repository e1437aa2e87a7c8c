"""What the harness needs of a dataset cache and a manifest (structural types).

:class:`benchsuite.data.cache.DatasetCache` and :class:`benchsuite.data.manifest.Manifest`
satisfy these protocols; so do the small in-memory fakes of the tests. The harness reads
nothing else from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = ["CacheLike", "GeometryLike", "ManifestLike", "SplitLike", "VariantsLike"]


class GeometryLike(Protocol):
    """Window geometry of a dataset (``benchsuite.data.manifest.Geometry``)."""

    @property
    def chunk_length(self) -> int: ...
    @property
    def input_length(self) -> int: ...
    @property
    def bin_sizes(self) -> Sequence[int]: ...
    @property
    def common_bin(self) -> int: ...


class SplitLike(Protocol):
    """The arrays of one split (``benchsuite.data.cache.SplitArrays``)."""

    seq: np.ndarray
    cov: np.ndarray
    cov_rep2: np.ndarray | None
    labels: np.ndarray | None
    kind: str
    split: str

    def __len__(self) -> int: ...


class CacheLike(Protocol):
    """A prepared dataset (``benchsuite.data.cache.DatasetCache``)."""

    @property
    def root(self) -> Path: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def target_names(self) -> tuple[str, ...]: ...
    @property
    def geometry(self) -> GeometryLike: ...

    def split(self, kind: str, split: str) -> Any: ...


class VariantsLike(Protocol):
    """A CAGI5-style variant set (``benchsuite.data.manifest.VariantSetSpec``)."""

    @property
    def sequences(self) -> Path: ...
    @property
    def table(self) -> Path: ...


class ManifestLike(Protocol):
    """The parts of a bundle manifest the harness reads (``benchsuite.data.manifest.Manifest``)."""

    @property
    def name(self) -> str: ...
    @property
    def variants(self) -> VariantsLike | None: ...
    @property
    def motifs(self) -> Path | None: ...
    @property
    def simulator(self) -> dict[str, Any] | None: ...
