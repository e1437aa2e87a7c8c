"""Whole-chromosome family: Pearson, Spearman and MSE over the entire test chromosome(s).

Streams the ``wholechrom`` tiles (contiguous ``input_length`` windows covering the test
chromosomes, excluded regions left out). Per target, every position is one pair: the model's
prediction at its own bin against the true coverage averaged into that bin
(``wholechrom.*``), and both averaged into the common bin (``wholechrom_common.*``, paper
Fig. 2c). A binary model's tile logit is its coverage (task conversion); its MSE and scaled
metrics do not apply. Scaled metrics use the paper's global factor ``mean(true) / mean(pred)``
per target ("Scaling predictions"). All values come from the moments kernel
(:mod:`benchsuite.evaluate.stats.moments`) except Spearman (:mod:`~.stats.ranks`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchsuite.evaluate.conversion import binary_as_coverage
from benchsuite.evaluate.families.base import Batch, Context, StreamingFamily
from benchsuite.evaluate.result import FamilyResult
from benchsuite.evaluate.stats import StreamingPearson, StreamingSpearman, bin_average, masked_rows

__all__ = ["WholeChromosome", "common_bin_reason"]

_NO_SCALE = "a binary model's logits have no coverage scale (task conversion uses them for correlations only)"


def common_bin_reason(kind: str, length: int, bin_size: int, common: int) -> str | None:
    """Why the common-bin metrics do not apply to a source (None when they do)."""
    if kind == "binary":
        return (
            f"input length {length} is not a multiple of the common bin {common}" if length % common else None
        )
    if bin_size > common:
        return f"model bin {bin_size} bp is coarser than the common bin {common} bp"
    if common % bin_size or length % common:
        return (
            f"common bin {common} bp is not a multiple of the model bin {bin_size} bp "
            f"within {length}-bp inputs"
        )
    return None


class WholeChromosome(StreamingFamily):
    """``wholechrom.*`` and ``wholechrom_common.*``."""

    key = "wholechrom"
    also_skips = ("wholechrom_common",)
    split = "wholechrom"

    def start(self, ctx: Context, split: Any) -> None:
        self.ctx = ctx
        src = ctx.source
        self.common = int(ctx.cache.geometry.common_bin)
        self.common_reason = common_bin_reason(src.kind, src.input_length, src.bin_size, self.common)
        self.own = StreamingPearson()
        self.at_common = StreamingPearson() if self.common_reason is None else None
        self.spearman = None
        if ctx.options.spearman != "off":
            self.spearman = StreamingSpearman(ctx.options.spearman, tmp_dir=ctx.options.tmp_dir)
        self.n_windows = 0

    def update(self, batch: Batch) -> None:
        pred, cov = batch.aligned()
        pred_own, true_own = batch.own_bin()
        self.n_windows += cov.shape[0]
        x, y, mask = masked_rows(pred_own, true_own)
        if self.spearman is not None:
            self.spearman.update_rows(x, y, mask)  # copies: must run before the in-place moments
        self.own.update_rows(x, y, mask)
        if self.at_common is not None:
            src, c = self.ctx.source, self.common
            true_c = bin_average(cov, c)
            if self.ctx.binary:
                pred_c = binary_as_coverage(pred, src.input_length // c)
            else:
                pred_c = bin_average(pred, c // src.bin_size)
            self.at_common.update(pred_c, true_c)

    def finish(self) -> FamilyResult:
        out = FamilyResult()
        names = self.ctx.align.coverage_names
        moments = self.own.moments
        out.put("wholechrom.pearson", self.own.compute(), names)
        if self.spearman is not None:
            out.put("wholechrom.spearman", self.spearman.compute(), names)
            out.tables["wholechrom_spearman"] = {
                "method": dict(zip(names, self.spearman.methods, strict=True)),
                "error_bound": dict(zip(names, self.spearman.error_bound.tolist(), strict=True)),
            }
        else:
            out.skip("wholechrom.spearman", "disabled by the spearman option")
        n = moments.n if moments is not None else np.zeros(len(names))
        out.tables["wholechrom"] = {
            "n_windows": int(self.n_windows),
            "n_positions": dict(zip(names, n.astype(int).tolist(), strict=True)),
            "bin_size": int(self.ctx.source.bin_size),
        }
        if self.ctx.binary:
            for name in ("wholechrom.mse", "wholechrom.pearson_scaled", "wholechrom.mse_scaled"):
                out.skip(name, _NO_SCALE)
        elif moments is not None:
            factor = moments.scale_factor()
            out.tables["scale_factors"] = dict(zip(names, factor.tolist(), strict=True))
            out.put("wholechrom.mse", moments.mse(), names)
            out.put("wholechrom.pearson_scaled", self.own.compute() * np.sign(factor), names)
            out.put("wholechrom.mse_scaled", moments.mse(factor), names)
        self._finish_common(out, names)
        return out

    def _finish_common(self, out: FamilyResult, names: tuple[str, ...]) -> None:
        if self.common_reason is not None:
            out.skip("wholechrom_common", self.common_reason)
            return
        assert self.at_common is not None
        out.put("wholechrom_common.pearson", self.at_common.compute(), names)
        out.tables["wholechrom_common"] = {"common_bin": self.common}
        moments = self.at_common.moments
        if self.ctx.binary:
            out.skip("wholechrom_common.mse_scaled", _NO_SCALE)
        elif moments is not None:
            out.put("wholechrom_common.mse_scaled", moments.mse(moments.scale_factor()), names)

    def close(self) -> None:
        spearman = getattr(self, "spearman", None)
        if spearman is not None:
            spearman.close()
