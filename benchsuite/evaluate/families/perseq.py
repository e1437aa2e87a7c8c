"""Per-sequence family: Pearson within each test sequence, and its thresholded test sets.

* ``perseq.pearson``: Pearson r over the bins of each coverage-threshold test chunk's central
  ``input_length`` window (the paper's per-sequence evaluation), averaged over the chunks
  where it is defined (a constant prediction or truth is skipped, like ``nanmean``).
* ``thresholded.pearson@{t}``: the same per-sequence Pearson over the whole-chromosome test
  tiles whose max true coverage (any target, base resolution) exceeds ``t`` (paper Fig. 2e,
  the test-set selection analysis); it rides the whole-chromosome pass.

Binary models predict one value per window, so neither applies to them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchsuite.evaluate.families.base import Batch, Context, StreamingFamily, binary_reason
from benchsuite.evaluate.registry import threshold_metric_name
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.stats import per_sequence_pearson_matrix

__all__ = ["PerSequence", "SequenceMean", "Thresholded"]


class SequenceMean:
    """Running mean over sequences of a per-(sequence, target) value, undefined values skipped."""

    def __init__(self, num_targets: int) -> None:
        self.total = np.zeros(num_targets)
        self.count = np.zeros(num_targets, dtype=np.int64)

    def update(self, r: np.ndarray, select: np.ndarray | None = None) -> None:
        """Add ``(n, T)`` values; ``select`` (``(n,)`` bool) keeps only some sequences."""
        ok = np.isfinite(r) if select is None else select[:, None] & np.isfinite(r)
        self.total += np.where(ok, r, 0.0).sum(axis=0)
        self.count += ok.sum(axis=0)

    def compute(self) -> np.ndarray:
        """Mean per target (NaN where no sequence was defined)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.total / np.maximum(self.count, 1), np.nan)


class PerSequence(StreamingFamily):
    """``perseq.pearson`` on the coverage-threshold test chunks."""

    key = "perseq"
    split = "quantitative"

    def start(self, ctx: Context, split: Any) -> None:
        if ctx.binary:
            raise NotApplicable(binary_reason())
        self.ctx, self.n_sequences = ctx, len(split)
        self.mean = SequenceMean(len(ctx.align.coverage_names))

    def update(self, batch: Batch) -> None:
        self.mean.update(per_sequence_pearson_matrix(*batch.own_bin()))

    def finish(self) -> FamilyResult:
        out, names = FamilyResult(), self.ctx.align.coverage_names
        out.put("perseq.pearson", self.mean.compute(), names)
        out.tables["perseq"] = {
            "n_sequences": self.n_sequences,
            "n_defined": dict(zip(names, self.mean.count.tolist(), strict=True)),
        }
        return out


class Thresholded(StreamingFamily):
    """``thresholded.pearson@{t}`` for every threshold of ``EvalOptions.thresholds``."""

    key = "thresholded"
    split = "wholechrom"

    def start(self, ctx: Context, split: Any) -> None:
        if ctx.binary:
            raise NotApplicable(binary_reason())
        self.ctx = ctx
        self.thresholds = tuple(ctx.options.thresholds)
        t = len(ctx.align.coverage_names)
        self.means = [SequenceMean(t) for _ in self.thresholds]
        self.n_sequences = np.zeros(len(self.thresholds), dtype=np.int64)

    def update(self, batch: Batch) -> None:
        if not self.thresholds:
            return
        r = per_sequence_pearson_matrix(*batch.own_bin())
        _, cov = batch.aligned()
        with np.errstate(invalid="ignore"):
            peak = np.nanmax(cov.reshape(cov.shape[0], -1), axis=1)
        for i, th in enumerate(self.thresholds):
            selected = peak > th
            self.n_sequences[i] += int(selected.sum())
            self.means[i].update(r, selected)

    def finish(self) -> FamilyResult:
        out, names = FamilyResult(), self.ctx.align.coverage_names
        for th, mean in zip(self.thresholds, self.means, strict=True):
            out.put(threshold_metric_name(th), mean.compute(), names)
        out.tables["thresholded"] = {
            "selection": "whole-chromosome tiles whose max true coverage over targets and positions > t",
            "n_sequences": {
                f"{th:g}": int(n) for th, n in zip(self.thresholds, self.n_sequences, strict=True)
            },
            "n_defined": {
                f"{th:g}": dict(zip(names, m.count.tolist(), strict=True))
                for th, m in zip(self.thresholds, self.means, strict=True)
            },
        }
        return out
