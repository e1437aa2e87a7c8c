"""Peaks family: classification on peak-centred test chunks, and the task conversion.

Streams the ``binary`` test split (chunks centred on merged peak summits; central
``input_length`` window). Every model gets both kinds of metric (paper Fig. 4,
:mod:`benchsuite.evaluate.conversion`):

* ``peak.auroc`` / ``peak.aupr`` per label target: the sequence score (a binary model's logit;
  a quantitative model's mean predicted coverage over the window) against the chunk's label;
* ``peak.pearson``: across chunks, the sequence score against the chunk's mean true coverage;
* ``peak.pearson_perseq`` (quantitative): Pearson within each chunk, averaged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchsuite.evaluate.conversion import sequence_scores
from benchsuite.evaluate.families.base import Batch, Context, StreamingFamily, binary_reason
from benchsuite.evaluate.families.perseq import SequenceMean
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.stats import (
    aupr_per_target,
    auroc_per_target,
    pearson_per_target,
    per_sequence_pearson_matrix,
    single_class_reasons,
)

__all__ = ["Peaks"]


class Peaks(StreamingFamily):
    """``peak.*``."""

    key = "peak"
    split = "binary"

    def start(self, ctx: Context, split: Any) -> None:
        if split.labels is None:
            raise NotApplicable("the peak-centered test split has no labels (no peak files)")
        self.ctx, self.labels = ctx, np.asarray(split.labels)
        self.label_scores: list[np.ndarray] = []
        self.scores: list[np.ndarray] = []
        self.mean_cov: list[np.ndarray] = []
        self.within = SequenceMean(len(ctx.align.coverage_names))

    def update(self, batch: Batch) -> None:
        kind = self.ctx.source.kind
        self.label_scores.append(self.ctx.align.label_scores(sequence_scores(batch.pred, kind)))
        pred, cov = batch.aligned()
        self.scores.append(sequence_scores(pred, kind))
        self.mean_cov.append(cov.mean(axis=2, dtype=np.float64))
        if not self.ctx.binary:
            self.within.update(per_sequence_pearson_matrix(*batch.own_bin()))

    def finish(self) -> FamilyResult:
        out = FamilyResult()
        names, label_names = self.ctx.align.coverage_names, self.ctx.align.label_targets
        label_scores = np.concatenate(self.label_scores)
        out.put("peak.auroc", auroc_per_target(label_scores, self.labels), label_names)
        out.put("peak.aupr", aupr_per_target(label_scores, self.labels), label_names)
        scores, mean_cov = np.concatenate(self.scores), np.concatenate(self.mean_cov)
        out.put("peak.pearson", pearson_per_target(scores, mean_cov), names)
        if self.ctx.binary:
            out.skip("peak.pearson_perseq", binary_reason())
        else:
            out.put("peak.pearson_perseq", self.within.compute(), names)
        out.tables["peak"] = {
            "n_sequences": int(self.labels.shape[0]),
            "n_positive": dict(zip(label_names, (self.labels > 0).sum(axis=0).tolist(), strict=True)),
            "score": "logit" if self.ctx.binary else "mean predicted coverage over the input window",
            "undefined": single_class_reasons(self.labels, label_names),
        }
        return out
