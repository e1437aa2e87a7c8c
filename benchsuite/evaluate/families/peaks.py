"""Peaks family: classification on peak-centred test chunks, and the task conversion.

Streams the ``binary`` test split (chunks centred on merged peak summits; central
``input_length`` window). Every model gets both kinds of metric (paper Fig. 4,
:mod:`benchsuite.evaluate.conversion`):

* ``peak.auroc`` / ``peak.aupr`` per label target: the sequence score (a binary model's logit;
  a quantitative model's mean predicted coverage over the window) against the chunk's label;
* ``peak.pearson``: across chunks, the sequence score against the chunk's mean true coverage;
* ``peak.pearson_perseq`` (quantitative): Pearson within each chunk, averaged;
* ``peak_genome.auroc`` / ``.aupr`` (:class:`GenomePeaks`): the same classification over every
  whole-chromosome test tile (genome-wide peak detection).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchsuite.evaluate.conversion import sequence_scores
from benchsuite.evaluate.families.base import (
    NO_COVERAGE_REASON,
    Batch,
    Context,
    StreamingFamily,
    binary_reason,
    is_sequence_set,
)
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.stats import (
    aupr_per_target,
    auroc_per_target,
    masked_rows,
    per_sequence_pearson_matrix,
    single_class_reasons,
)
from benchsuite.evaluate.stats.bootstrap import (
    BlockMoments,
    BlockSums,
    bootstrap_weights,
    weighted_aupr,
    weighted_auroc,
)

__all__ = ["GenomePeaks", "Peaks", "classification_intervals", "skip_single_class"]


def skip_single_class(out: FamilyResult, prefix: str, labels: np.ndarray, names: Any, where: str) -> None:
    """Explain undefined AUROC/AUPR per target in ``not_applicable["{prefix}.auroc:{target}"]``.

    A target whose labels in ``where`` hold a single class has undefined AUROC and AUPR (the
    value stays ``None``); the reason says which class is missing and, when only positives
    are present, the fix: ``binary_negatives`` in the manifest.
    """
    for target, reason in single_class_reasons(labels, names).items():
        if "only positive" in reason:
            fix = (
                " (fix: add peak-free chunks as negatives with `binary_negatives: {source: "
                "coverage-threshold}` in the manifest)"
            )
        else:
            fix = " (no peak of this target in the test chromosomes: choose a test split holding its peaks)"
        text = f"AUROC/AUPR undefined: {reason} in {where}{fix}"
        out.skip(f"{prefix}.auroc:{target}", text)
        out.skip(f"{prefix}.aupr:{target}", text)


def classification_intervals(
    out: FamilyResult,
    prefix: str,
    scores: np.ndarray,
    labels: np.ndarray,
    blocks: np.ndarray,
    n_blocks: int,
    n_boot: int,
    units: str,
) -> None:
    """Bootstrap intervals of ``{prefix}.auroc`` / ``{prefix}.aupr`` (items resampled by block)."""
    weights = bootstrap_weights(n_blocks, n_boot)[:, blocks]
    t = scores.shape[1]
    auroc = np.stack([weighted_auroc(scores[:, i], labels[:, i], weights) for i in range(t)], axis=1)
    aupr = np.stack([weighted_aupr(scores[:, i], labels[:, i], weights) for i in range(t)], axis=1)
    out.put_interval(f"{prefix}.auroc", auroc, units=units)
    out.put_interval(f"{prefix}.aupr", aupr, units=units)


class Peaks(StreamingFamily):
    """``peak.*``, with block-bootstrap intervals (chunks resampled by genome block)."""

    key = "peak"
    split = "binary"

    def start(self, ctx: Context, split: Any) -> None:
        if split.labels is None:
            raise NotApplicable("the peak-centered test split has no labels (no peak files)")
        self.ctx, self.labels = ctx, np.asarray(split.labels)
        self.blocks, self.n_blocks = ctx.row_blocks(split)
        # a sequence set's coverage is one value per sequence (none without `values:`)
        self.sequence_set = is_sequence_set(ctx.cache)
        self.has_coverage = len(ctx.cache.target_names) > 0
        self.label_scores: list[np.ndarray] = []
        self.across = BlockMoments()
        self.within = BlockSums(self.n_blocks, len(ctx.align.coverage_names))

    def update(self, batch: Batch) -> None:
        kind = self.ctx.source.kind
        self.label_scores.append(self.ctx.align.label_scores(sequence_scores(batch.pred, kind)))
        if not self.has_coverage:
            return
        pred, cov = batch.aligned()
        scores, mean_cov = sequence_scores(pred, kind), cov.mean(axis=2, dtype=np.float64)
        self.across.update_rows(*masked_rows(scores, mean_cov), batch.blocks, 1)
        if not self.ctx.binary and not self.sequence_set:
            self.within.update(per_sequence_pearson_matrix(*batch.own_bin()), batch.blocks)

    def finish(self) -> FamilyResult:
        out, ctx = FamilyResult(), self.ctx
        names, label_names = ctx.align.coverage_names, ctx.align.label_targets
        label_scores = np.concatenate(self.label_scores)
        out.put("peak.auroc", auroc_per_target(label_scores, self.labels), label_names)
        out.put("peak.aupr", aupr_per_target(label_scores, self.labels), label_names)
        if self.has_coverage:
            out.put("peak.pearson", self.across.total(len(names)).pearson(), names)
        else:
            out.skip(
                "peak.pearson",
                "sequence-set bundle without `values:`: no quantitative value to correlate"
                if self.sequence_set
                else NO_COVERAGE_REASON,
            )
        if ctx.binary:
            out.skip("peak.pearson_perseq", binary_reason())
        elif self.sequence_set:
            out.skip(
                "peak.pearson_perseq",
                "sequence-set bundle: one value per sequence, so within-sequence Pearson is undefined",
            )
        else:
            out.put("peak.pearson_perseq", self.within.mean(), names)
        if ctx.n_boot:
            units = f"{self.n_blocks} blocks of <= {ctx.block_bp:,} bp (peak-centred chunks)"
            classification_intervals(
                out, "peak", label_scores, self.labels, self.blocks, self.n_blocks, ctx.n_boot, units
            )
            if self.has_coverage:
                reps = self.across.replicates(len(names), self.n_blocks, ctx.n_boot)
                out.put_interval("peak.pearson", reps.pearson(), units=units)
            if not ctx.binary and not self.sequence_set:
                out.put_interval("peak.pearson_perseq", self.within.replicates(ctx.n_boot), units=units)
        out.tables["peak"] = {
            "n_sequences": int(self.labels.shape[0]),
            "n_positive": dict(zip(label_names, (self.labels > 0).sum(axis=0).tolist(), strict=True)),
            "score": "logit" if ctx.binary else "mean predicted coverage over the input window",
            "undefined": single_class_reasons(self.labels, label_names),
        }
        skip_single_class(out, "peak", self.labels, label_names, "the peak-centred test chunks")
        return out


class GenomePeaks(StreamingFamily):
    """``peak_genome.auroc`` / ``.aupr``: peak detection over every whole-chromosome test tile.

    Beside ``peak.*`` (peak-centred chunks: which cell types a peak belongs to), this asks the
    genome-wide question of the paper's Supp. Table 2 / Fig. 4b (right): does the model rank the
    tiles that hold a peak above the rest of the test chromosome? The score of a tile is the
    logit (binary) or the mean predicted coverage over the tile (quantitative; a model whose
    input is shorter than the tile is averaged over the tile's windows); its label is 1 when a
    peak of the label target overlaps the tile.
    """

    key = "peak_genome"
    split = "wholechrom"

    def start(self, ctx: Context, split: Any) -> None:
        if split.labels is None:
            raise NotApplicable("the whole-chromosome tiles have no peak labels (no peak files)")
        self.ctx, self.labels = ctx, np.asarray(split.labels)
        self.blocks, self.n_blocks = ctx.row_blocks(split)
        self.scores: list[np.ndarray] = []

    def update(self, batch: Batch) -> None:
        scores = self.ctx.align.label_scores(sequence_scores(batch.pred, self.ctx.source.kind))
        k = batch.windows_per_row
        self.scores.append(scores.reshape(-1, k, scores.shape[1]).mean(axis=1) if k > 1 else scores)

    def finish(self) -> FamilyResult:
        out, ctx = FamilyResult(), self.ctx
        label_names = ctx.align.label_targets
        scores = np.concatenate(self.scores)
        out.put("peak_genome.auroc", auroc_per_target(scores, self.labels), label_names)
        out.put("peak_genome.aupr", aupr_per_target(scores, self.labels), label_names)
        if ctx.n_boot:
            units = f"{self.n_blocks} blocks of <= {ctx.block_bp:,} bp of the test chromosomes"
            classification_intervals(
                out, "peak_genome", scores, self.labels, self.blocks, self.n_blocks, ctx.n_boot, units
            )
        out.tables["peak_genome"] = {
            "n_tiles": int(self.labels.shape[0]),
            "n_positive": dict(zip(label_names, (self.labels > 0).sum(axis=0).tolist(), strict=True)),
            "score": "logit" if ctx.binary else "mean predicted coverage over the tile",
            "undefined": single_class_reasons(self.labels, label_names),
        }
        skip_single_class(out, "peak_genome", self.labels, label_names, "the whole-chromosome test tiles")
        return out
