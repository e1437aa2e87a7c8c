"""Robustness family: the variation score under translational shifts (paper Fig. 3).

Runs :func:`benchsuite.evaluate.robustness.robustness_evaluate` on the peak-holding chunks of
the peak-centred test split: shifted, bin-aligned windows of each chunk are predicted and the
per-position spread of the predictions over the centre region, relative to their mean, is
averaged per target (lower is better; comparable only between models of equal bin size).
Window offsets are multiples of the dataset's coarsest bin, so every model of a dataset sees
the same windows and the same number of shifts. Per-chunk scores are resampled by genome block
for the 95% interval.

The family needs coverage only: a bundle without peak files (no binary dataset) is scored on
the coverage-threshold test chunks instead, target ``t`` on the chunks whose central window
has a coverage of ``t`` above the dataset's coverage threshold (``tables.robustness.chunks``
says which set was used).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from benchsuite.errors import ConfigError, DatasetError
from benchsuite.evaluate.families.base import Context, Family
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.robustness import robustness_evaluate
from benchsuite.evaluate.sources import get_test_split
from benchsuite.evaluate.stats.bootstrap import BlockSums, block_ids

__all__ = ["Robustness"]


def _alignment_step(ctx: Context) -> int:
    """Offsets step: the least common multiple of the dataset's coarsest bin and the model's bin.

    Every model of a dataset is then scored on the same windows with the same number of shifts
    (a plugin whose bin does not divide the coarsest bin gets the smallest step that both divide).
    """
    bins = [int(b) for b in ctx.cache.geometry.bin_sizes if ctx.source.input_length % int(b) == 0]
    return math.lcm(max(bins, default=1), int(ctx.source.bin_size))


def _scored_chunks(ctx: Context) -> tuple[Any, np.ndarray, str]:
    """The test split to shift, its ``(N, |C|)`` per-target selection, and a note on the set.

    The peak-centred test chunks with their peaks when the bundle has peak files; otherwise
    the coverage-threshold test chunks, each target on the chunks where its coverage in the
    central ``input_length`` window exceeds the dataset's coverage threshold.
    """
    try:
        split = get_test_split(ctx.cache, "binary")
    except DatasetError:
        split = None
    if split is not None and split.labels is not None:
        return split, ctx.align.coverage_labels(np.asarray(split.labels)), ""
    split = get_test_split(ctx.cache, "quantitative")
    cov = np.asarray(split.cov)
    input_length = int(ctx.cache.geometry.input_length)
    start = (cov.shape[-1] - input_length) // 2
    central = np.nan_to_num(cov[..., start : start + input_length].astype(np.float32), nan=0.0)
    threshold = float(getattr(ctx.cache.geometry, "coverage_threshold", 0.0))
    labels = (central.max(axis=-1) > threshold).astype(np.uint8)
    return split, labels, f"coverage-threshold (coverage > {threshold:g}; no peak files)"


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
        split, labels, chunks = _scored_chunks(ctx)
        names, options, src = ctx.align.coverage_names, ctx.options, ctx.source
        n_any = int((labels > 0).any(axis=1).sum())
        cap = options.robustness_max_sequences
        advance = ctx.progress.task(f"robustness ({src.name})", min(n_any, cap) if cap else n_any)
        align = _alignment_step(ctx)
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
                align=align,
            )
        except ConfigError as exc:
            raise NotApplicable(exc.message) from exc
        out = FamilyResult()
        out.put("robustness.variation", res.per_target, names)
        if ctx.n_boot and res.chosen.size:
            ids = block_ids(np.asarray(split.coords)[res.chosen], ctx.block_bp)
            sums = BlockSums(int(ids.max()) + 1, len(names))
            sums.update(res.chunk_scores, ids)
            units = f"{sums.total.shape[0]} blocks of <= {ctx.block_bp:,} bp (scored peak chunks)"
            out.put_interval("robustness.variation", sums.replicates(ctx.n_boot), units=units)
        out.tables["robustness"] = {
            "bin_size": res.bin_size,
            "offset_step": align,
            "offsets": res.offsets,
            "centre_bins": res.centre_bins,
            "n_selected": res.n_selected,
            "n_chunks": dict(zip(names, res.n_chunks.tolist(), strict=True)),
        }
        if chunks:  # the coverage-only fallback says so
            out.tables["robustness"]["chunks"] = chunks
        return out
