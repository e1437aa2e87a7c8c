"""Whole-chromosome family: Pearson, Spearman and MSE over the entire test chromosome(s).

Streams the ``wholechrom`` tiles (contiguous ``input_length`` windows covering the test
chromosomes, excluded regions left out). Per target, every position is one pair: the model's
prediction at its own bin against the true coverage averaged into that bin
(``wholechrom.*``), and both averaged into the common bin (``wholechrom_common.*``, paper
Fig. 2c). A binary model's tile logit is its coverage (task conversion); its MSE and scaled
metrics do not apply. The scaled MSE uses the paper's global factor ``mean(true) / mean(pred)``
per target ("Scaling predictions"; the scaled Pearson equals the raw one and is not reported).
Moments are kept per bootstrap block (a stretch of a test chromosome), so the 95% intervals
come from the same sufficient statistics as the values. All values come from the moments kernel
(:mod:`benchsuite.evaluate.stats.moments`) except Spearman (:mod:`~.stats.ranks`).
"""

from __future__ import annotations

from typing import Any

from benchsuite.evaluate.conversion import binary_as_coverage
from benchsuite.evaluate.families.base import Batch, Context, StreamingFamily
from benchsuite.evaluate.result import FamilyResult
from benchsuite.evaluate.stats import StreamingSpearman, bin_average, masked_rows
from benchsuite.evaluate.stats.bootstrap import BlockMoments

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
    """``wholechrom.*`` and ``wholechrom_common.*``, with block-bootstrap intervals."""

    key = "wholechrom"
    also_skips = ("wholechrom_common",)
    split = "wholechrom"

    def start(self, ctx: Context, split: Any) -> None:
        self.ctx = ctx
        src = ctx.source
        self.common = int(ctx.cache.geometry.common_bin)
        self.common_reason = common_bin_reason(src.kind, src.input_length, src.bin_size, self.common)
        self.own = BlockMoments()
        self.at_common = BlockMoments() if self.common_reason is None else None
        self.n_blocks = ctx.row_blocks(split)[1]
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
        self.own.update_rows(x, y, mask, batch.blocks, pred_own.shape[2])
        if self.at_common is not None:
            src, c = self.ctx.source, self.common
            true_c = bin_average(cov, c)
            if self.ctx.binary:
                pred_c = binary_as_coverage(pred, src.input_length // c)
            else:
                pred_c = bin_average(pred, c // src.bin_size)
            self.at_common.update_rows(*masked_rows(pred_c, true_c), batch.blocks, true_c.shape[2])

    def finish(self) -> FamilyResult:
        out = FamilyResult()
        names = self.ctx.align.coverage_names
        moments = self.own.total(len(names))
        out.put("wholechrom.pearson", moments.pearson(), names)
        if self.spearman is not None:
            out.put("wholechrom.spearman", self.spearman.compute(), names)
            out.tables["wholechrom_spearman"] = {
                "method": dict(zip(names, self.spearman.methods, strict=True)),
                "error_bound": dict(zip(names, self.spearman.error_bound.tolist(), strict=True)),
            }
        else:
            out.skip("wholechrom.spearman", "disabled by the spearman option")
        out.tables["wholechrom"] = {
            "n_windows": int(self.n_windows),
            "n_positions": dict(zip(names, moments.n.astype(int).tolist(), strict=True)),
            "bin_size": int(self.ctx.source.bin_size),
            "n_blocks": int(self.n_blocks),
            "block_bp": int(self.ctx.block_bp),
        }
        reps = self.own.replicates(len(names), self.n_blocks, self.ctx.n_boot) if self.ctx.n_boot else None
        units = f"{self.n_blocks} blocks of <= {self.ctx.block_bp:,} bp of the test chromosomes"
        if reps is not None:
            out.put_interval("wholechrom.pearson", reps.pearson(), units=units)
        if self.ctx.binary:
            for name in ("wholechrom.mse", "wholechrom.mse_scaled"):
                out.skip(name, _NO_SCALE)
        else:
            factor = moments.scale_factor()
            out.tables["scale_factors"] = dict(zip(names, factor.tolist(), strict=True))
            out.put("wholechrom.mse", moments.mse(), names)
            out.put("wholechrom.mse_scaled", moments.mse(factor), names)
            if reps is not None:
                out.put_interval("wholechrom.mse", reps.mse(), units=units)
                out.put_interval("wholechrom.mse_scaled", reps.mse(reps.scale_factor()), units=units)
        self._finish_common(out, names, units)
        return out

    def _finish_common(self, out: FamilyResult, names: tuple[str, ...], units: str) -> None:
        if self.common_reason is not None:
            out.skip("wholechrom_common", self.common_reason)
            return
        assert self.at_common is not None
        moments = self.at_common.total(len(names))
        out.put("wholechrom_common.pearson", moments.pearson(), names)
        out.tables["wholechrom_common"] = {"common_bin": self.common}
        reps = None
        if self.ctx.n_boot:
            reps = self.at_common.replicates(len(names), self.n_blocks, self.ctx.n_boot)
            out.put_interval("wholechrom_common.pearson", reps.pearson(), units=units)
        if self.ctx.binary:
            out.skip("wholechrom_common.mse_scaled", _NO_SCALE)
        else:
            out.put("wholechrom_common.mse_scaled", moments.mse(moments.scale_factor()), names)
            if reps is not None:
                out.put_interval("wholechrom_common.mse_scaled", reps.mse(reps.scale_factor()), units=units)

    def close(self) -> None:
        spearman = getattr(self, "spearman", None)
        if spearman is not None:
            spearman.close()
