"""Per-sequence family: Pearson within each test sequence, and its thresholded test sets.

* ``perseq.pearson``: Pearson r over the bins of each coverage-threshold test chunk's central
  ``input_length`` window (the paper's per-sequence evaluation), averaged over the chunks
  where it is defined (a constant prediction or truth is skipped, like ``nanmean``).
* ``thresholded.pearson@{t}``: the same per-sequence Pearson over the whole-chromosome test
  tiles whose max true coverage (any target, base resolution) exceeds ``t`` (paper Fig. 2e,
  the test-set selection analysis); it rides the whole-chromosome pass. A threshold keeping
  fewer than ``EvalOptions.thresholded_min_sequences`` (30) tiles is not applicable.

Sums and counts are kept per bootstrap block, which gives the 95% intervals.

Binary models predict one value per window, so neither applies to them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchsuite.evaluate.families.base import Batch, Context, StreamingFamily, binary_reason
from benchsuite.evaluate.registry import threshold_metric_name
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.stats import per_sequence_pearson_matrix
from benchsuite.evaluate.stats.bootstrap import BlockSums

__all__ = ["PerSequence", "Thresholded"]


class PerSequence(StreamingFamily):
    """``perseq.pearson`` on the coverage-threshold test chunks."""

    key = "perseq"
    split = "quantitative"

    def start(self, ctx: Context, split: Any) -> None:
        if ctx.binary:
            raise NotApplicable(binary_reason())
        self.ctx, self.n_sequences = ctx, len(split)
        self.n_blocks = ctx.row_blocks(split)[1]
        self.sums = BlockSums(self.n_blocks, len(ctx.align.coverage_names))

    def update(self, batch: Batch) -> None:
        self.sums.update(per_sequence_pearson_matrix(*batch.own_bin()), batch.blocks)

    def finish(self) -> FamilyResult:
        out, names = FamilyResult(), self.ctx.align.coverage_names
        out.put("perseq.pearson", self.sums.mean(), names)
        if self.ctx.n_boot:
            units = f"{self.n_blocks} blocks of <= {self.ctx.block_bp:,} bp (test chunks)"
            out.put_interval("perseq.pearson", self.sums.replicates(self.ctx.n_boot), units=units)
        out.tables["perseq"] = {
            "n_sequences": self.n_sequences,
            "n_defined": dict(zip(names, self.sums.n_defined.tolist(), strict=True)),
        }
        return out


class Thresholded(StreamingFamily):
    """``thresholded.pearson@{t}`` for every threshold of ``EvalOptions.thresholds``.

    A threshold that keeps fewer than ``EvalOptions.thresholded_min_sequences`` tiles is not
    applicable (a mean over a handful of sequences would rank models by noise).
    """

    key = "thresholded"
    split = "wholechrom"

    def start(self, ctx: Context, split: Any) -> None:
        if ctx.binary:
            raise NotApplicable(binary_reason())
        self.ctx = ctx
        self.thresholds = tuple(ctx.options.thresholds)
        self.n_blocks = ctx.row_blocks(split)[1]
        t = len(ctx.align.coverage_names)
        self.sums = [BlockSums(self.n_blocks, t) for _ in self.thresholds]
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
            self.sums[i].update(r, batch.blocks, selected)

    def finish(self) -> FamilyResult:
        out, names = FamilyResult(), self.ctx.align.coverage_names
        minimum = int(self.ctx.options.thresholded_min_sequences)
        units = f"{self.n_blocks} blocks of <= {self.ctx.block_bp:,} bp of the test chromosomes"
        for th, sums, n in zip(self.thresholds, self.sums, self.n_sequences, strict=True):
            name = threshold_metric_name(th)
            if n < minimum:
                out.skip(
                    name, f"only {int(n)} test tiles have a max coverage above {th:g} (fewer than {minimum})"
                )
                continue
            out.put(name, sums.mean(), names)
            if self.ctx.n_boot:
                out.put_interval(name, sums.replicates(self.ctx.n_boot), units=units)
        out.tables["thresholded"] = {
            "selection": "whole-chromosome tiles whose max true coverage over targets and positions > t",
            "min_sequences": minimum,
            "n_sequences": {
                f"{th:g}": int(n) for th, n in zip(self.thresholds, self.n_sequences, strict=True)
            },
            "n_defined": {
                f"{th:g}": dict(zip(names, m.n_defined.tolist(), strict=True))
                for th, m in zip(self.thresholds, self.sums, strict=True)
            },
        }
        return out
