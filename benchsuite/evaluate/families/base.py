"""The family interface and the streaming passes that feed it.

A *family* computes a group of metrics (names in :mod:`benchsuite.evaluate.registry`) and
returns a :class:`~benchsuite.evaluate.result.FamilyResult`. Two kinds exist:

* :class:`StreamingFamily` consumes the batches of one test split (``split``:
  ``"wholechrom"``, ``"quantitative"`` or ``"binary"``). The harness makes **one pass per
  split**, predicts each batch once and hands it to every streaming family of that split
  (``start`` -> ``update`` per batch -> ``finish``), so adding a family never adds a forward
  pass over the same windows.
* :class:`Family` computes on its own inputs in ``run`` (shifted windows, variants, filters).

Both declare ``roles``, the sources they apply to (``"predictor"``: a model or the oracle;
``"replicate2"``), with ``role_reason`` for the others, and may raise
:class:`~benchsuite.evaluate.result.NotApplicable` (whole family, stored under ``key``) or
call ``FamilyResult.skip`` for single metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from benchsuite.evaluate.conversion import TargetAlignment
from benchsuite.evaluate.options import EvalOptions
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.sources import Progress, Source
from benchsuite.evaluate.stats import bin_average
from benchsuite.evaluate.stats.bootstrap import block_ids
from benchsuite.evaluate.types import CacheLike, ManifestLike

__all__ = [
    "COVERAGE_FAMILIES",
    "NO_COVERAGE_REASON",
    "SEQUENCE_SET_REASONS",
    "Batch",
    "Context",
    "Family",
    "StreamingFamily",
    "binary_reason",
    "is_sequence_set",
]

#: family key -> why it does not apply to a sequence-set bundle (``kind: sequences``: labelled
#: sequences that are not tiles of a genome; see docs/real-data.md, "Sequence sets")
SEQUENCE_SET_REASONS: dict[str, str] = {
    "wholechrom": "sequence-set bundle: no genome coordinates (no whole-chromosome test tiles)",
    "thresholded": "sequence-set bundle: no genome coordinates (no whole-chromosome test tiles)",
    "peak_genome": "sequence-set bundle: no genome coordinates (no genome-wide peak detection)",
    "perseq": "sequence-set bundle: one value per sequence, so within-sequence Pearson is undefined",
    "robustness": "sequence-set bundle: no genome context to shift the sequences' windows into",
}


#: families that correlate predictions with coverage, so they do not apply to a bundle of peak
#: files only (genome + ``peaks:``, no ``track:``)
COVERAGE_FAMILIES: tuple[str, ...] = ("wholechrom", "thresholded", "perseq", "robustness")

#: why a coverage family does not apply to a bundle without any coverage track
NO_COVERAGE_REASON = "the bundle has no coverage track (peak files only): no coverage to score against"


def is_sequence_set(cache: Any) -> bool:
    """Whether a dataset cache is a sequence-set bundle's (``DatasetCache.bundle_kind``)."""
    return getattr(cache, "bundle_kind", "genome") == "sequences"


def binary_reason(what: str = "within-sequence Pearson is undefined") -> str:
    """The reason a within-sequence metric does not apply to a binary model."""
    return f"a binary model predicts one value per sequence: {what}"


@dataclass
class Context:
    """Everything a family may read: the source, the dataset, the options and the outputs."""

    source: Source
    cache: CacheLike
    manifest: ManifestLike
    options: EvalOptions
    align: TargetAlignment
    progress: Progress
    model: Any = None
    first_layer: str | None = None
    out_dir: Path | None = None
    block_bp: int = 100_000
    _blocks: dict[str, tuple[np.ndarray, int]] = field(default_factory=dict, repr=False)

    def row_blocks(self, split: Any) -> tuple[np.ndarray, int]:
        """Bootstrap block of every row of a test split and the number of blocks.

        Rows are grouped by ``(chromosome, start // block_bp)`` of their coordinates, so a
        block is a contiguous stretch of a test chromosome (see
        :mod:`benchsuite.evaluate.stats.bootstrap`); the same for every source.
        """
        key = f"{split.kind}/{split.split}"
        if key not in self._blocks:
            ids = block_ids(np.asarray(split.coords), self.block_bp)
            self._blocks[key] = (ids, int(ids.max()) + 1 if ids.size else 0)
        return self._blocks[key]

    @property
    def n_boot(self) -> int:
        """Bootstrap replicates per interval (0: none)."""
        return int(self.options.bootstrap)

    @property
    def binary(self) -> bool:
        """Whether the source is a binary (one logit per window) model."""
        return self.source.kind == "binary"


@dataclass
class Batch:
    """One batch of a streaming pass, predicted once and shared by the split's families.

    Attributes
    ----------
    pred:
        Raw predictions of the source for the windows: ``(n, T_model, bins)`` or ``(n, T_model)``.
    cov:
        Base-resolution true coverage of the same windows, ``(n, T_cov, input_length)`` float32.
    codes:
        The windows' base codes ``(n, input_length)``.
    rows:
        Rows of the split (for per-row arrays such as labels); on the whole-chromosome pass
        each tile may hold several windows (``windows_per_row``).
    """

    ctx: Context
    pred: np.ndarray
    cov: np.ndarray
    codes: np.ndarray
    rows: slice
    windows_per_row: int = 1
    row_blocks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def blocks(self) -> np.ndarray:
        """Bootstrap block of every window of the batch."""
        return np.repeat(self.row_blocks, self.windows_per_row)

    def aligned(self) -> tuple[np.ndarray, np.ndarray]:
        """(predictions, truth) on the coverage side of the task conversion (see ``TargetAlignment``)."""
        if "aligned" not in self._memo:
            align = self.ctx.align
            self._memo["aligned"] = (align.coverage_pred(self.pred), align.coverage_true(self.cov))
        return self._memo["aligned"]

    def own_bin(self) -> tuple[np.ndarray, np.ndarray]:
        """Aligned (predictions, truth) at the source's own bin: ``(n, T, bins)`` each.

        A binary model's logit is one bin spanning the window.
        """
        if "own" not in self._memo:
            pred, cov = self.aligned()
            pred_own = pred[:, :, None] if self.ctx.binary else pred
            self._memo["own"] = (pred_own, bin_average(cov, self.ctx.source.bin_size))
        return self._memo["own"]


class _Declared:
    key: ClassVar[str]
    #: further ``not_applicable`` keys set when the whole family does not apply
    also_skips: ClassVar[tuple[str, ...]] = ()
    roles: ClassVar[frozenset[str]] = frozenset({"predictor", "replicate2"})
    role_reason: ClassVar[str] = ""

    def check(self, ctx: Context) -> None:
        """Raise :class:`NotApplicable` when the family does not apply (before any work)."""
        if ctx.source.role not in self.roles:
            raise NotApplicable(self.role_reason or f"{ctx.source.name} is not scored by {self.key}")
        if self.key in SEQUENCE_SET_REASONS and is_sequence_set(ctx.cache):
            raise NotApplicable(SEQUENCE_SET_REASONS[self.key])
        if self.key in COVERAGE_FAMILIES and not ctx.align.coverage_targets:
            raise NotApplicable(NO_COVERAGE_REASON)


class Family(_Declared):
    """A family that makes its own inputs."""

    def run(self, ctx: Context) -> FamilyResult:  # pragma: no cover - interface
        raise NotImplementedError


class StreamingFamily(_Declared):
    """A family fed with the batches of one test split."""

    split: ClassVar[str]

    def start(self, ctx: Context, split: Any) -> None:
        """Called once before the first batch (may raise :class:`NotApplicable`)."""

    def update(self, batch: Batch) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def finish(self) -> FamilyResult:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (spool files); called after finish or on error."""


Advance = Callable[[int], None]
