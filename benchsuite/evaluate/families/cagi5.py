"""CAGI5 family: variant effects of a saturation-mutagenesis set (paper Fig. 5).

Runs :func:`benchsuite.evaluate.cagi5.cagi5_evaluate` on the manifest's variant set: each
allele's window is predicted once (``cagi5.standard``) and averaged over random shifts
(``cagi5.robust``); the score is the within-element Pearson between predicted and measured
effect, averaged over elements.
"""

from __future__ import annotations

from benchsuite.evaluate.families.base import Context, Family
from benchsuite.evaluate.result import FamilyResult, NotApplicable
from benchsuite.evaluate.sources import PredictorSource

__all__ = ["Cagi5"]


class Cagi5(Family):
    """``cagi5.standard`` and ``cagi5.robust``."""

    key = "cagi5"
    roles = frozenset({"predictor"})
    role_reason = "replicate 2 has no measurement of the mutated sequences"

    def check(self, ctx: Context) -> None:
        super().check(ctx)
        if not ctx.options.cagi5:
            raise NotApplicable("disabled by the cagi5 option")
        if not isinstance(ctx.source, PredictorSource):
            raise NotApplicable(f"{ctx.source.name} has no predictions for variant sequences")
        if ctx.manifest.variants is None:
            raise NotApplicable("the bundle has no variant set (manifest field 'variants')")

    def run(self, ctx: Context) -> FamilyResult:
        from benchsuite.evaluate.cagi5 import cagi5_evaluate

        assert isinstance(ctx.source, PredictorSource) and ctx.manifest.variants is not None
        variants, options = ctx.manifest.variants, ctx.options
        res = cagi5_evaluate(
            ctx.source.predictor,
            variants.sequences,
            variants.table,
            n_shifts=options.cagi5_shifts,
            seed=options.seed,
            max_variants_per_element=options.cagi5_max_variants_per_element,
            progress=options.progress,
        )
        out = FamilyResult()
        out.put_scalar("cagi5.standard", res.standard)
        out.put_scalar("cagi5.robust", res.robust)
        out.tables["cagi5"] = {
            "per_element": list(res.per_element),
            "n_scored": int(res.n_scored),
            "n_mismatched": int(res.n_mismatched),
            "convention": res.convention,
        }
        return out
