"""Robustness family: the variation score under translational shifts (paper Fig. 3).

Runs :func:`benchsuite.evaluate.robustness.robustness_evaluate` on the peak-holding chunks of
the peak-centred test split: shifted, bin-aligned windows of each chunk are predicted and the
per-position spread of the predictions over the centre region, relative to their mean, is
averaged per target (lower is better; comparable only between models of equal bin size).
"""

from __future__ import annotations

import numpy as np

from benchsuite.errors import ConfigError
from benchsuite.evaluate.families.base import Context, Family
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.robustness import robustness_evaluate
from benchsuite.evaluate.sources import get_test_split

__all__ = ["Robustness"]


class Robustness(Family):
    """``robustness.variation``."""

    key = "robustness"
    roles = frozenset({"predictor"})
    role_reason = "replicate 2 is a measurement: it cannot be shifted and re-predicted"

    def check(self, ctx: Context) -> None:
        super().check(ctx)
        if ctx.binary:
            raise NotApplicable(
                "a binary model predicts one value per window: the variation score needs a coverage profile"
            )
        if not ctx.source.can_predict_codes:
            raise NotApplicable(f"{ctx.source.name} cannot predict shifted windows")

    def run(self, ctx: Context) -> FamilyResult:
        split = get_test_split(ctx.cache, "binary")
        if split.labels is None:
            raise NotApplicable("the peak-centered test split has no labels (no peak files)")
        labels = ctx.align.coverage_labels(np.asarray(split.labels))
        names, options, src = ctx.align.coverage_names, ctx.options, ctx.source
        n_any = int((labels > 0).any(axis=1).sum())
        cap = options.robustness_max_sequences
        advance = ctx.progress.task(f"robustness ({src.name})", min(n_any, cap) if cap else n_any)
        try:
            res = robustness_evaluate(
                src.predict_codes,
                split.seq,
                labels,
                input_length=src.input_length,
                bin_size=src.bin_size,
                n_shifts=options.robustness_shifts,
                max_sequences=cap,
                seed=options.seed,
                batch_windows=max(options.batch_size, options.robustness_shifts),
                progress=advance,
            )
        except ConfigError as exc:
            raise NotApplicable(exc.message) from exc
        out = FamilyResult()
        out.put("robustness.variation", res.per_target, names)
        out.tables["robustness"] = {
            "bin_size": res.bin_size,
            "offsets": res.offsets,
            "centre_bins": res.centre_bins,
            "n_selected": res.n_selected,
            "n_chunks": dict(zip(names, res.n_chunks.tolist(), strict=True)),
        }
        return out
